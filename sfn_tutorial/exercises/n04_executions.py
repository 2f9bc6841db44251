"""Notebook 04, executions (``04_executions.ipynb``): the checks of ``04-exchange``."""

from __future__ import annotations

from sfn_tutorial.exercises.checking import (
    Wrong,
    ended,
    ending,
    exercise,
    json_or_none,
    newest_execution,
    state_machine,
)
from sfn_tutorial.i18n import t
from sfn_tutorial.resources import STATE_MACHINE


@exercise("04-exchange")
def exchange_matched_no_rule() -> str:
    """The newest execution of the blog's machine had ``EXCHANGE`` as its TransactionType and
    failed with ``States.NoChoiceMatched``."""
    name, arn, _ = state_machine(
        STATE_MACHINE, "run the notebook's cells from the top (ensure_blog_stack)."
    )
    execution = newest_execution(name, arn, "start one with sfn.start_execution(...).")
    given = json_or_none(execution.get("input"))
    if not isinstance(given, dict) or given.get("TransactionType") != "EXCHANGE":
        raise Wrong(
            t(
                "The newest execution of {name} had the input {input}: start one with "
                '{{"TransactionType": "EXCHANGE"}}.',
                name=name,
                input=execution.get("input"),
            )
        )
    if ending(execution) != "FAILED with States.NoChoiceMatched":
        raise Wrong(
            t(
                "Your EXCHANGE execution ended {ending}, not FAILED with States.NoChoiceMatched: "
                "has {name} been changed? Run the notebook from the top.",
                ending=ended(execution),
                name=name,
            )
        )
    return t(
        "✅ Your EXCHANGE execution failed with States.NoChoiceMatched: no Choice rule matched."
    )
