"""The machinery every notebook's checks share: the registry of checks (``exercise``,
``check``, ``CHECKS``), ``Wrong`` (a check's ``❌`` line), and the functions that read the
target (a state machine, its newest execution, a function's log, a role's policies...).
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from datetime import datetime, timezone
from urllib.parse import unquote

import boto3
from botocore.exceptions import ClientError

from sfn_tutorial import executions, target
from sfn_tutorial.i18n import t
from sfn_tutorial.resources import (
    NAME_PREFIX,
    STATES_LOG_GROUP_PREFIX,
    find_state_machine_arn,
    resource_name,
)

CHECKS: dict[str, Callable[[], str]] = {}
WAIT_S = 60  # how long a check waits for an execution that is still running
LOG_PATIENCE_S = 15  # on AWS, how long a check waits for Lambda's log to arrive
LAMBDA_TRANSIENT_ERRORS = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)


class Wrong(Exception):
    """What is wrong with an answer and a hint: a check's ``❌`` line without the ``❌``."""


def exercise(exercise_id: str):
    """Register a check under ``exercise_id``. The check returns its ``✅`` line or raises
    ``Wrong``; registered, it returns the ``❌`` line instead, and never raises."""

    def register(check: Callable[[], str]) -> Callable[[], str]:
        @functools.wraps(check)
        def line() -> str:
            try:
                return check()
            except Wrong as wrong:
                return t("❌ {message}", message=one_line(wrong))
            except Exception as error:  # a check never raises: it says what went wrong
                return t(
                    "❌ The check could not finish ({error_type}: {message}). Run the notebook's "
                    "cells from the top, then your answer, then the check.",
                    error_type=type(error).__name__,
                    message=one_line(error),
                )

        CHECKS[exercise_id] = line
        return line

    return register


def check(exercise_id: str) -> str:
    """The line of exercise ``exercise_id``'s check (``✅ ...`` or ``❌ ...``)."""
    if exercise_id not in CHECKS:
        return t(
            "❌ There is no exercise {exercise_id!r}; the exercises are {exercises}.",
            exercise_id=exercise_id,
            exercises=", ".join(CHECKS),
        )
    return CHECKS[exercise_id]()


# ---------------------------------------------------------------- reading the target


def state_machine(name: str, hint: str) -> tuple[str, str, dict]:
    """``(full name, ARN, definition)`` of state machine ``sfn-tutorial-<name>``."""
    full_name = resource_name(name)
    arn = find_state_machine_arn(full_name)
    if arn is None:
        raise Wrong(
            t("There is no state machine {full_name} yet: {hint}", full_name=full_name, hint=hint)
        )
    described = boto3.client("stepfunctions").describe_state_machine(stateMachineArn=arn)
    return full_name, arn, json.loads(described["definition"])


def newest_execution(name: str, arn: str, hint: str) -> dict:
    """``DescribeExecution`` of the newest execution of ``arn``, once it has ended."""
    pages = (
        boto3.client("stepfunctions").get_paginator("list_executions").paginate(stateMachineArn=arn)
    )
    found = [execution for page in pages for execution in page["executions"]]
    if not found:
        raise Wrong(t("{name} has no execution yet: {hint}", name=name, hint=hint))
    newest = max(found, key=lambda execution: execution["startDate"])
    try:
        return executions.wait_for_execution(newest["executionArn"], timeout_s=WAIT_S)
    except TimeoutError as error:
        raise Wrong(
            t(
                "The newest execution of {name} is still running after {WAIT_S} s: wait for it "
                "(helpers.show_execution), then run this check again.",
                name=name,
                WAIT_S=WAIT_S,
            )
        ) from error


def newest_success(name: str, arn: str, hint: str) -> dict:
    """``newest_execution``, which must have succeeded: else the learner sees how it ended."""
    execution = newest_execution(name, arn, hint)
    if execution["status"] != "SUCCEEDED":
        raise Wrong(
            t(
                "The newest execution of {name} ended {ending}: {cause}",
                name=name,
                ending=ended(execution),
                cause=execution.get("cause"),
            )
        )
    return execution


def tutorial_log_group(name: str, configuration: dict) -> str:
    """The name of the tutorial log group a machine's ``loggingConfiguration`` sends to."""
    destinations = configuration.get("destinations") or []
    arn = (
        (destinations[0].get("cloudWatchLogsLogGroup") or {}).get("logGroupArn", "")
        if (destinations)
        else ""
    )
    group = executions.log_group_name(arn) if arn else ""
    if not group.startswith(STATES_LOG_GROUP_PREFIX + NAME_PREFIX):
        raise Wrong(
            t(
                "{name} does not send its logs to a tutorial log group ({group}): use the ARN "
                "helpers.ensure_log_group(...) returned as its destination.",
                name=name,
                group=group or "none",
            )
        )
    return group


def newest_logged_run(messages: list[dict]) -> list[dict]:
    """The logged events of the execution that logged last."""
    if not messages:
        return []
    newest = max(messages, key=lambda m: int(m.get("event_timestamp", 0)))["execution_arn"]
    return [message for message in messages if message["execution_arn"] == newest]


def logged_events(group: str, fragment: str, accept) -> list:
    """``accept(messages)`` for the parsed log events of ``group`` whose execution ARN contains
    ``fragment``; on AWS, retried for a while (logs arrive late) until it is not empty."""
    patience = LOG_PATIENCE_S if target.chosen_target() == target.AWS else 0
    deadline = time.monotonic() + patience
    while True:
        pages = boto3.client("logs").get_paginator("filter_log_events").paginate(logGroupName=group)
        messages = [
            message
            for page in pages
            for event in page["events"]
            for message in [json_or_none(event["message"])]
            if isinstance(message, dict) and fragment in message.get("execution_arn", "")
        ]
        accepted = accept(messages)
        if accepted or time.monotonic() > deadline:
            return accepted
        time.sleep(2)


def one_line(message) -> str:
    """A message on one line: a check prints exactly one."""
    return " ".join(str(message).split())


def ended(execution: dict) -> str:
    """``ending`` in the notebook's language, for a check's line."""
    error = execution.get("error")
    if error:
        return t("{status} with {error}", status=execution["status"], error=error)
    return execution["status"]


def ending(execution: dict) -> str:
    """``SUCCEEDED``, or e.g. ``FAILED with States.Runtime``."""
    error = execution.get("error")
    return f"{execution['status']} with {error}" if error else execution["status"]


def json_or_none(text):
    """Parsed JSON text, or ``None``."""
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


def newest_invocation_log(function_name: str) -> list[str]:
    """The log lines of a function's newest invocation, from ``START`` to ``END``."""
    logs = boto3.client("logs")
    group = f"/aws/lambda/{function_name}"
    since = int(time.time() * 1000) - 24 * 3600 * 1000
    try:
        pages = logs.get_paginator("filter_log_events").paginate(
            logGroupName=group, startTime=since
        )
        found = [event for page in pages for event in page["events"]]
    except logs.exceptions.ResourceNotFoundException:
        found = []
    starts = [e for e in found if e["message"].startswith("START RequestId:")]
    if not starts:
        raise Wrong(
            t(
                "{function_name} has no invocation in its log yet: invoke it.",
                function_name=function_name,
            )
        )
    newest = sorted(starts, key=lambda event: event["timestamp"])[-1]  # the last of equals
    stream = [e for e in found if e["logStreamName"] == newest["logStreamName"]]
    lines = [e["message"] for e in stream[stream.index(newest) :]]
    ending = next((i for i, line in enumerate(lines) if line.startswith("END RequestId:")), None)
    return lines if ending is None else lines[: ending + 1]


def function_arn(folder: str) -> str:
    """The ARN of function ``sfn-tutorial-<folder>`` on the target."""
    name = resource_name(folder)
    try:
        return boto3.client("lambda").get_function_configuration(FunctionName=name)["FunctionArn"]
    except ClientError as error:
        raise Wrong(
            t("There is no function {name}: run the notebook's first cells.", name=name)
        ) from error


def policy_document(document) -> dict:
    """A policy document: boto3 gives it parsed, some clients as (URL-encoded) JSON text."""
    if isinstance(document, str):
        return json.loads(unquote(document))
    return document


def policy_statements(document) -> list[dict]:
    statements = policy_document(document).get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def listed(value) -> list[str]:
    return value if isinstance(value, list) else [value]


def trusts(document: dict, service: str) -> bool:
    """Does a trust policy let ``service`` assume the role?"""
    return any(
        statement.get("Effect") == "Allow"
        and "sts:AssumeRole" in listed(statement.get("Action", []))
        and service in listed(statement.get("Principal", {}).get("Service", []))
        for statement in policy_statements(document)
    )


def simulated(role_arn: str, action: str, resources: list[str]) -> dict[str, str]:
    """IAM's policy simulator's decision (``allowed``, ``implicitDeny``, ``explicitDeny``) for
    the role doing ``action`` on each resource: how IAM would decide the real calls."""
    results = boto3.client("iam").simulate_principal_policy(
        PolicySourceArn=role_arn, ActionNames=[action], ResourceArns=resources
    )["EvaluationResults"]
    return {result["EvalResourceName"]: result["EvalDecision"] for result in results}


def pattern_matches(pattern: str, transaction_type: str) -> bool:
    """Does an EventBridge pattern match the shop's Transaction event of this type?

    EventBridge's ``TestEventPattern`` answers on AWS; the local emulator does not implement it,
    so there moto's matcher, the one the emulator delivers events with, answers instead."""
    session = boto3.session.Session()
    event = {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "Transaction",
        "source": "tutorial.shop",
        "account": boto3.client("sts").get_caller_identity()["Account"],
        "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": session.region_name,
        "resources": [],
        "detail": {"TransactionType": transaction_type},
    }
    if target.chosen_target() == target.AWS:
        answer = boto3.client("events").test_event_pattern(
            EventPattern=pattern, Event=json.dumps(event)
        )
        return answer["Result"]
    from moto.events.models import EventPattern

    return EventPattern.load(pattern).matches_event(event)
