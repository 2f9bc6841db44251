"""Notebook 11, Standard vs Express (``11_standard_vs_express.ipynb``): the checks of ``11-errors``
and ``11-async``."""

from __future__ import annotations

import boto3

from sfn_tutorial import executions
from sfn_tutorial.exercises.checking import (
    Wrong,
    exercise,
    logged_events,
    newest_logged_run,
    state_machine,
    tutorial_log_group,
)
from sfn_tutorial.i18n import t


@exercise("11-errors")
def errors_only_without_data() -> str:
    """``TransactionsErrorsOnly``: an EXPRESS machine logging level ``ERROR`` without execution
    data to a tutorial log group, where its EXCHANGE run's failure is, with no input in it."""
    name, arn, _ = state_machine(
        "TransactionsErrorsOnly",
        "create it with helpers.deploy_state_machine('TransactionsErrorsOnly', ..., "
        'type="EXPRESS", loggingConfiguration=...).',
    )
    described = boto3.client("stepfunctions").describe_state_machine(stateMachineArn=arn)
    if described["type"] != "EXPRESS":
        raise Wrong(
            t(
                "{name} is a {kind} machine: its type cannot change, so delete it "
                '(sfn.delete_state_machine) and create it with type="EXPRESS".',
                name=name,
                kind=described["type"],
            )
        )
    configuration = described.get("loggingConfiguration") or {}
    if configuration.get("level") != "ERROR":
        raise Wrong(
            t(
                '{name} logs at level {level}: set "level": "ERROR" in its loggingConfiguration.',
                name=name,
                level=configuration.get("level", "OFF"),
            )
        )
    if configuration.get("includeExecutionData"):
        raise Wrong(
            t('{name} logs its execution data: set "includeExecutionData": False.', name=name)
        )
    group = tutorial_log_group(name, configuration)
    messages = logged_events(group, f":express:{name}:", newest_logged_run)
    if not messages:
        raise Wrong(
            t(
                "{group} holds no event of {name} yet: run it with sfn.start_sync_execution and "
                'the input {{"TransactionType": "EXCHANGE"}}.',
                group=group,
                name=name,
            )
        )
    types = {message["type"] for message in messages}
    if "ExecutionFailed" not in types:
        raise Wrong(
            t(
                "The newest run of {name} logged {types}, and no ExecutionFailed: run it with "
                '{{"TransactionType": "EXCHANGE"}}, which no Choice rule matches.',
                name=name,
                types=", ".join(sorted(types)),
            )
        )
    if "ExecutionStarted" in types or any(
        key in message.get("details", {}) for message in messages for key in ("input", "output")
    ):
        raise Wrong(
            t(
                "The newest run of {name} logged more than its errors, or their data: run it "
                "once more, now that it logs level ERROR without execution data.",
                name=name,
            )
        )
    return t(
        "✅ {name} logs only its failures, without inputs or outputs: {group} holds its "
        "ExecutionFailed (States.NoChoiceMatched) and nothing of what the caller sent.",
        name=name,
        group=group,
    )


@exercise("11-async")
def async_refund_logged() -> str:
    """The newest execution ``TransactionsExpressLogged`` logged was a REFUND that succeeded
    through ``ProcessRefund``."""
    name, arn, _ = state_machine(
        "TransactionsExpressLogged", "run the notebook's cells from the top first."
    )
    described = boto3.client("stepfunctions").describe_state_machine(stateMachineArn=arn)
    group = tutorial_log_group(name, described.get("loggingConfiguration") or {})

    def newest_run(messages):
        started = [m for m in messages if m["type"] == "ExecutionStarted"]
        if not started:
            return []
        newest = max(started, key=lambda m: (int(m["event_timestamp"]), m["execution_arn"]))
        run = [m for m in messages if m["execution_arn"] == newest["execution_arn"]]
        refund = "REFUND" in newest.get("details", {}).get("input", "")
        ended = any(m["type"] in executions.ENDINGS for m in run)
        return run if refund and ended else []

    run = logged_events(group, f":express:{name}:", newest_run)
    if not run:
        raise Wrong(
            t(
                "The newest execution {group} holds for {name} is not a finished REFUND: start "
                'one with sfn.start_execution and {{"TransactionType": "REFUND"}}, then read it '
                "back with helpers.logged_history.",
                group=group,
                name=name,
            )
        )
    entered = [m["details"].get("name") for m in run if m["type"].endswith("StateEntered")]
    if "ProcessRefund" not in entered or not any(m["type"] == "ExecutionSucceeded" for m in run):
        raise Wrong(
            t(
                "The newest REFUND of {name} went {path} and did not succeed through "
                'ProcessRefund: check its input is exactly {{"TransactionType": "REFUND"}}.',
                name=name,
                path=" -> ".join(map(str, entered)),
            )
        )
    return t(
        "✅ The newest execution of {name} was a REFUND that succeeded through "
        "ProcessRefund, and its whole history is in {group}.",
        name=name,
        group=group,
    )
