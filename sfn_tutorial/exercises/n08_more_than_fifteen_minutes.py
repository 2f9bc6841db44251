"""Notebook 08, more than fifteen minutes (``08_more_than_fifteen_minutes.ipynb``): the checks of
``08-strict``."""

from __future__ import annotations

from sfn_tutorial.exercises.checking import (
    Wrong,
    ended,
    ending,
    exercise,
    newest_execution,
    state_machine,
)
from sfn_tutorial.i18n import t


@exercise("08-strict")
def failure_budget_exceeded() -> str:
    """``price-all-lines-strict``: its Map tolerates 10 % of failures, and its newest run failed
    with ``States.ExceedToleratedFailureThreshold``."""
    name, arn, definition = state_machine(
        "price-all-lines-strict",
        "deploy your copy with helpers.deploy_state_machine('price-all-lines-strict', ...).",
    )
    maps = [s for s in definition.get("States", {}).values() if s.get("Type") == "Map"]
    if not maps:
        raise Wrong(t("{name} has no Map state: start from a copy of price_all.", name=name))
    tolerated = maps[0].get("ToleratedFailurePercentage")
    if tolerated != 10:
        raise Wrong(
            t(
                "{name}'s Map tolerates {tolerated} % of failures: set it to 10.",
                name=name,
                tolerated=tolerated,
            )
        )
    execution = newest_execution(name, arn, "run it with helpers.run(strict_arn, {}).")
    if ending(execution) != "FAILED with States.ExceedToleratedFailureThreshold":
        raise Wrong(
            t(
                "The newest execution of {name} ended {ending}: 15 % of the lines fail, more "
                "than 10 %, so it should fail with States.ExceedToleratedFailureThreshold.",
                name=name,
                ending=ended(execution),
            )
        )
    return t(
        "✅ More items failed than the 10 % tolerated: States.ExceedToleratedFailureThreshold."
    )
