"""Notebook 10, service integrations (``10_service_integrations.ipynb``): the checks of
``10-shipped``, ``10-reject`` and ``10-job``."""

from __future__ import annotations

import boto3

from sfn_tutorial import executions
from sfn_tutorial.exercises.checking import (
    Wrong,
    ended,
    exercise,
    json_or_none,
    newest_execution,
    newest_success,
    state_machine,
)
from sfn_tutorial.i18n import t
from sfn_tutorial.resources import resource_name


def _task_states(definition: dict) -> list[dict]:
    return [s for s in definition.get("States", {}).values() if s.get("Type") == "Task"]


@exercise("10-shipped")
def purchase_marked_shipped() -> str:
    """``MarkShipped``: a ``dynamodb:updateItem`` Task; its newest run (for ``p-1001``)
    succeeded, and the purchase's item in the table has ``Status`` ``SHIPPED``."""
    name, arn, definition = state_machine(
        "MarkShipped",
        "deploy it with helpers.deploy_state_machine('MarkShipped', ..., role_arn).",
    )
    resources = [state.get("Resource") for state in _task_states(definition)]
    if "arn:aws:states:::dynamodb:updateItem" not in resources:
        raise Wrong(
            t(
                "{name} has no Task calling arn:aws:states:::dynamodb:updateItem (its Tasks call "
                "{resources}).",
                name=name,
                resources=resources or "nothing",
            )
        )
    execution = newest_success(name, arn, 'run it with {"PurchaseId": "p-1001"}.')
    purchase_id = (json_or_none(execution.get("input")) or {}).get("PurchaseId")
    if not isinstance(purchase_id, str):
        raise Wrong(
            t(
                'The newest execution of {name} had no PurchaseId in its input: use "p-1001".',
                name=name,
            )
        )
    item = (
        boto3.client("dynamodb")
        .get_item(TableName=resource_name("Purchases"), Key={"PurchaseId": {"S": purchase_id}})
        .get("Item")
    )
    status = ((item or {}).get("Status") or {}).get("S")
    if status != "SHIPPED":
        raise Wrong(
            t(
                "Purchase {purchase_id} has the Status {status!r} in the table, not 'SHIPPED': "
                'set it with "UpdateExpression": "SET #status = :shipped".',
                purchase_id=purchase_id,
                status=status,
            )
        )
    return t(
        "✅ {name} marked purchase {purchase_id} SHIPPED in the table.",
        name=name,
        purchase_id=purchase_id,
    )


@exercise("10-reject")
def purchase_rejected() -> str:
    """``ApprovePurchase``'s newest execution failed with ``PurchaseRejected`` after a
    ``SendTaskFailure`` that gave a reason."""
    name, arn, _definition = state_machine(
        "ApprovePurchase", "run the notebook's cells from the top first."
    )
    execution = newest_execution(
        name, arn, "start it, then answer it with the form's Reject button."
    )
    if execution.get("error") != "PurchaseRejected":
        raise Wrong(
            t(
                "The newest execution of {name} ended {ending}: start a new one and press Reject "
                "in a form (not Approve), with a reason.",
                name=name,
                ending=ended(execution),
            )
        )
    events = executions.execution_history(execution["executionArn"])
    failed = [e["taskFailedEventDetails"] for e in events if e["type"] == "TaskFailed"]
    reason = failed[0].get("cause", "") if failed else ""
    if not reason or reason == "rejected without a reason":
        raise Wrong(t("The rejection gave no reason: type one in the form's Reason box first."))
    return t("✅ {name} ended with PurchaseRejected, because: {reason}", name=name, reason=reason)


@exercise("10-job")
def report_failure_caught() -> str:
    """``ReportWithFallback``: its ``ecs:runTask.sync`` Task catches ``States.TaskFailed``;
    its newest run's container failed, and the run succeeded through the catcher."""
    name, arn, definition = state_machine(
        "ReportWithFallback",
        "deploy your copy with helpers.deploy_state_machine('ReportWithFallback', ..., role_arn).",
    )
    jobs = [
        state
        for state in _task_states(definition)
        if state.get("Resource") == "arn:aws:states:::ecs:runTask.sync"
    ]
    if not jobs:
        raise Wrong(
            t(
                "{name} has no ecs:runTask.sync Task: start from a copy of report_definition.",
                name=name,
            )
        )
    caught = [
        error for catcher in jobs[0].get("Catch", []) for error in catcher.get("ErrorEquals", [])
    ]
    if not {"States.TaskFailed", "States.ALL"} & set(caught):
        raise Wrong(
            t(
                '{name}\'s RunReport has no Catch for States.TaskFailed: add "Catch": '
                '[{{"ErrorEquals": ["States.TaskFailed"], "Next": "ReportFailed"}}].',
                name=name,
            )
        )
    execution = newest_execution(name, arn, 'run it with {"PurchaseId": "p-1009", "Amount": 0}.')
    events = executions.execution_history(execution["executionArn"])
    failed = [e for e in events if e["type"] == "TaskFailed"]
    if not failed:
        raise Wrong(
            t(
                "In the newest execution of {name} the report did not fail: run it with an "
                'Amount of 0, e.g. {{"PurchaseId": "p-1009", "Amount": 0}}.',
                name=name,
            )
        )
    if execution["status"] != "SUCCEEDED":
        raise Wrong(
            t(
                "The newest execution of {name} ended {ending}: the Catch should lead to a Pass "
                "state that ends the execution.",
                name=name,
                ending=ended(execution),
            )
        )
    return t("✅ {name} caught the failed report job and ended SUCCEEDED.", name=name)
