"""Notebook 06, state types and data flow (``06_state_types_and_data_flow.ipynb``): the checks of
``06-result-path`` and ``06-parameters``."""

from __future__ import annotations

import json

from sfn_tutorial.exercises.checking import (
    Wrong,
    ended,
    ending,
    exercise,
    json_or_none,
    newest_execution,
    newest_success,
    state_machine,
)
from sfn_tutorial.i18n import t


@exercise("06-result-path")
def result_replaces_input() -> str:
    """``data-flow-exercise``: AddStatus has ``"ResultPath": "$"``, and its newest run failed
    with ``States.Runtime``."""
    name, arn, definition = state_machine(
        "data-flow-exercise",
        "deploy your copy with helpers.deploy_state_machine('data-flow-exercise', ...).",
    )
    result_path = definition.get("States", {}).get("AddStatus", {}).get("ResultPath")
    if result_path != "$":
        raise Wrong(
            t(
                "{name}'s AddStatus has ResultPath {result_path!r}: which path means the whole "
                "input?",
                name=name,
                result_path=result_path,
            )
        )
    execution = newest_execution(name, arn, "run it with helpers.run(..., order).")
    if ending(execution) != "FAILED with States.Runtime":
        raise Wrong(
            t(
                "The newest execution of {name} ended {ending}: with only ResultPath changed, a "
                "run with `order` fails with States.Runtime.",
                name=name,
                ending=ended(execution),
            )
        )
    return t(
        "✅ AddStatus's Result replaced its whole input, so KeepTracking failed: States.Runtime."
    )


@exercise("06-parameters")
def order_summary_built() -> str:
    """``order-summary``'s newest run built ``{orderId, customer, source}`` from its input."""
    name, arn, _ = state_machine(
        "order-summary", "deploy it with helpers.deploy_state_machine('order-summary', ...)."
    )
    execution = newest_success(name, arn, "run it with helpers.run(..., order).")
    given = json_or_none(execution.get("input"))
    try:
        expected = {
            "orderId": given["order"]["id"],
            "customer": given["order"]["customer"],
            "source": given["request"]["source"],
        }
    except (KeyError, TypeError) as error:
        raise Wrong(
            t("The newest execution of {name} did not run with `order`: run it so.", name=name)
        ) from (error)
    output = json_or_none(execution.get("output"))
    if output != expected:
        raise Wrong(
            t(
                "{name} returned {output}, not {expected}: in Parameters, a key ending in .$ takes "
                "its value from a path such as $.order.id.",
                name=name,
                output=json.dumps(output),
                expected=json.dumps(expected),
            )
        )
    return t("✅ {name} built {expected} from the order.", name=name, expected=json.dumps(expected))
