"""Step Functions sends "Step Functions Execution Status Change" events to EventBridge.

AWS (Step Functions developer guide, "Automating Step Functions event delivery with
EventBridge"): every time a Standard execution's status changes (it starts, is redriven,
succeeds, fails, times out or is aborted), an event with source ``aws.states`` and detail-type
``Step Functions Execution Status Change`` reaches the account's default event bus, so a rule
can react to, say, ``{"source": ["aws.states"], "detail": {"status": ["FAILED"]}}``. Its
``resources`` is the execution's ARN and its ``detail`` holds what ``DescribeExecution`` says:
``executionArn``, ``stateMachineArn``, ``name``, ``status``, ``startDate`` and ``stopDate`` (epoch
milliseconds, ``null`` while running), ``input`` and ``output`` (``null`` unless it succeeded)
with their details, ``error`` and ``cause``, the redrive fields, and the version and alias ARNs of
an execution started through them. Express executions send none.

moto's Step Functions sends no events at all. ``apply()`` is called by ``emulator.fixes.apply()``;
``tests/test_stepfunctions_status_events.py`` checks the events a rule receives.
"""

from __future__ import annotations

import json
import logging

from sfn_tutorial.emulator.stepfunctions import lifecycle, redrive, versions

SOURCE = "aws.states"
DETAIL_TYPE = "Step Functions Execution Status Change"
LOG = logging.getLogger(__name__)


def apply() -> None:
    """Status changes of Standard executions go to the default event bus."""
    lifecycle.watch(StatusEvents())


def epoch_ms(moment) -> int | None:
    """A date as EventBridge's Step Functions events write it: epoch milliseconds."""
    return None if moment is None else int(moment.timestamp() * 1000)


def detail(execution) -> dict:
    """The event's ``detail``: the execution as ``DescribeExecution`` describes it."""
    status = execution.status
    succeeded = status == "SUCCEEDED"
    fields = {
        "executionArn": execution.exec_arn,
        "stateMachineArn": execution.state_machine_arn,
        "name": execution.name,
        "status": status,
        "startDate": epoch_ms(execution.start_date),
        "stopDate": None if status == "RUNNING" else epoch_ms(execution.stop_date),
        "input": execution.execution_input,
        "output": json.dumps(execution.output, separators=(",", ":")) if succeeded else None,
        "inputDetails": {"included": True},
        "outputDetails": {"included": True} if succeeded else None,
        "error": execution.error,
        "cause": execution.cause,
    }
    redrives = redrive.describe_fields(execution)
    fields["redriveCount"] = redrives["redriveCount"]
    fields["redriveDate"] = epoch_ms(redrives.get("redriveDate"))
    fields["redriveStatus"] = redrives["redriveStatus"]
    fields["redriveStatusReason"] = redrives.get("redriveStatusReason")
    if versions.version_arn_of(execution):
        fields["stateMachineVersionArn"] = versions.version_arn_of(execution)
    if versions.alias_arn_of(execution):
        fields["stateMachineAliasArn"] = versions.alias_arn_of(execution)
    return fields


def send(execution) -> None:
    """Put the execution's status change on its account's and region's default bus."""
    from moto.events.models import events_backends

    if execution.exec_arn.split(":")[5:6] != ["execution"]:
        return  # Express executions send no status change events
    backend = events_backends[execution.account_id][execution.region_name]
    backend.put_events(
        [
            {
                "Source": SOURCE,
                "DetailType": DETAIL_TYPE,
                "Detail": json.dumps(detail(execution)),
                "Resources": [execution.exec_arn],
            }
        ]
    )


class StatusEvents:
    """Sends an event when an execution starts or is redriven, and when it ends."""

    kinds = frozenset({"ExecutionStarted", "ExecutionRedriven"})

    def event(self, execution, event: dict) -> None:
        send(execution)

    def ended(self, execution) -> None:
        send(execution)
