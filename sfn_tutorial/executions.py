"""Follow an execution: wait for it, read its history, and say what happened in plain words."""

from __future__ import annotations

import datetime
import json
import os
import time

import boto3

from sfn_tutorial.i18n import t
from sfn_tutorial.tables import Table

FINISHED = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
POLL_INTERVAL_S = 0.25


def wait_for_execution(execution_arn: str, timeout_s: float = 300, on_poll=None) -> dict:
    """Poll ``DescribeExecution`` until the execution ends; return its description.

    ``on_poll(description)`` is called after every poll, e.g. to redraw a graph while it runs.
    """
    sfn = boto3.client("stepfunctions")
    deadline = time.monotonic() + timeout_s
    while True:
        description = sfn.describe_execution(executionArn=execution_arn)
        if on_poll:
            on_poll(description)
        if description["status"] in FINISHED:
            return description
        if time.monotonic() > deadline:
            raise TimeoutError(
                t(
                    "Execution still {status} after {seconds} s",
                    status=description["status"],
                    seconds=timeout_s,
                )
            )
        time.sleep(POLL_INTERVAL_S)


def execution_history(execution_arn: str) -> list[dict]:
    """All events of an execution, oldest first (every page of ``GetExecutionHistory``)."""
    paginator = boto3.client("stepfunctions").get_paginator("get_execution_history")
    return [
        event for page in paginator.paginate(executionArn=execution_arn) for event in page["events"]
    ]


def states_entered(events: list[dict], top_level_only: bool = False) -> list[str]:
    """The names of the states the execution entered, in order: the path it took.

    With ``top_level_only``, states inside Parallel branches and Map iterations are left out
    (they run concurrently, so their order is not meaningful).
    """
    names = []
    open_containers = 0
    for event in events:
        kind = event["type"]
        if "stateEnteredEventDetails" in event and not (top_level_only and open_containers):
            names.append(event["stateEnteredEventDetails"]["name"])
        if kind in ("MapStateEntered", "ParallelStateEntered"):
            open_containers += 1
        elif kind in ("MapStateExited", "ParallelStateExited"):
            open_containers -= 1
    return names


def _details(event: dict) -> dict:
    """The one ``...EventDetails`` member that every history event carries (or ``{}``)."""
    return next((v for k, v in event.items() if k.endswith("EventDetails")), {})


def _short(text: str, limit: int = 140) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cause_text(cause: str) -> str:
    """A Lambda error's message rather than its whole JSON report (type, stack, request id)."""
    try:
        report = json.loads(cause)
    except (TypeError, ValueError):
        return cause
    if isinstance(report, dict) and "errorMessage" in report:
        return str(report["errorMessage"])
    return cause


def event_summary(event: dict) -> str:
    """One line saying what an event carries: an error, an output, an input or a resource."""
    details = _details(event)
    if "error" in details or "cause" in details:
        return _short(f"{details.get('error', '')}: {_cause_text(details.get('cause', ''))}")
    for field in ("output", "input"):
        if field in details:
            return _short(f"{field}: {details[field]}")
    if "resource" in details:
        return _short(f"{details.get('resourceType', '')} {details['resource']}")
    if "workerName" in details:  # ActivityStarted: which worker took the activity's task
        return _short(t("worker: {name}", name=details["workerName"]))
    return ""


def history_table(events: list[dict]) -> Table:
    """The event history as the console lists it: id, type, state, and what the event carries."""
    state_of = {}
    rows = []
    for event in events:
        details = _details(event)
        state = details.get("name") or state_of.get(event.get("previousEventId"), "")
        if event["type"].startswith("Execution"):
            state = ""  # the execution's own events belong to no state
        state_of[event["id"]] = state
        rows.append([event["id"], event["type"], state, event_summary(event)])
    return Table(["#", t("Type"), t("State"), t("Details")], rows)


def data_flow_table(events: list[dict]) -> Table:
    """Each state's input and output, from the history: how data changes from step to step."""
    inputs: dict[str, str] = {}
    rows = []
    for event in events:
        if "stateEnteredEventDetails" in event:
            details = event["stateEnteredEventDetails"]
            inputs[details["name"]] = details.get("input", "")
        elif "stateExitedEventDetails" in event:
            details = event["stateExitedEventDetails"]
            name = details["name"]
            rows.append([name, _compact(inputs.get(name, "")), _compact(details.get("output", ""))])
    return Table([t("State"), t("Input"), t("Output")], rows)


def _compact(text: str) -> str:
    """JSON text on one line, without spaces after separators."""
    try:
        return json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
    except ValueError:
        return text


def executions_started_since(state_machine_arn: str, since, wait_s: float = 20) -> list[dict]:
    """Executions of ``state_machine_arn`` started after ``since``, oldest first; waits up to
    ``wait_s`` seconds for at least one to appear."""
    sfn = boto3.client("stepfunctions")
    deadline = time.monotonic() + wait_s
    while True:
        pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn)
        found = [e for page in pages for e in page["executions"] if e["startDate"] > since]
        if found or time.monotonic() > deadline:
            return sorted(found, key=lambda execution: execution["startDate"])
        time.sleep(POLL_INTERVAL_S)


def start_and_wait(state_machine_arn: str, execution_input=None) -> tuple[dict, list[dict]]:
    """Start an execution with ``execution_input`` (any JSON value), wait for its end, and
    return its description and its events."""
    sfn = boto3.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=state_machine_arn, input=json.dumps(execution_input or {})
    )["executionArn"]
    return wait_for_execution(arn), execution_history(arn)


def pretty_json(text: str | None) -> str:
    """A JSON string re-indented for reading (or the text unchanged if it is not JSON)."""
    if text is None:
        return ""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def lambda_error_report(cause) -> dict | None:
    """Lambda's error report (``errorMessage``, ``errorType``, ``stackTrace``...) that a
    ``Cause`` holds as JSON text, parsed; ``None`` for any other cause."""
    try:
        report = json.loads(cause)
    except (TypeError, ValueError):
        return None
    if isinstance(report, dict) and "errorType" in report and "errorMessage" in report:
        return report
    return None


def fold_error_reports(text: str | None) -> tuple[str, bool]:
    """JSON text re-indented for reading, each ``Cause`` holding a Lambda error report shown as
    ``<ErrorType: message>``; and whether any was folded."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return pretty_json(text), False
    folded = []

    def fold(item):
        if isinstance(item, list):
            return [fold(element) for element in item]
        if not isinstance(item, dict):
            return item
        result = {key: fold(element) for key, element in item.items()}
        report = lambda_error_report(item.get("Cause"))
        if report is not None:
            result["Cause"] = f"<{report['errorType']}: {report['errorMessage']}>"
            folded.append(True)
        return result

    shown = json.dumps(fold(value), indent=2, ensure_ascii=False)
    return shown, bool(folded)


def cause_text(cause: str, frames: int = 2) -> str:
    """A ``Cause`` for reading: Lambda's error report as its type, message and the last
    ``frames`` frames of its stack trace (the one that raised last); any other cause as is."""
    report = lambda_error_report(cause)
    if report is None:
        return pretty_json(cause)
    lines = [f"errorType:    {report['errorType']}", f"errorMessage: {report['errorMessage']}"]
    trace = report.get("stackTrace") or []
    if trace:
        shown = trace[-frames:]
        hidden = len(trace) - len(shown)
        if hidden == 1:
            lines.append(t("stackTrace: (1 earlier frame left out)"))
        elif hidden:
            lines.append(t("stackTrace: ({count} earlier frames left out)", count=hidden))
        else:
            lines.append("stackTrace:")
        lines += ["  " + line for frame in shown for line in str(frame).rstrip().splitlines()]
    return "\n".join(lines)


def execution_report(description: dict, events: list[dict]) -> str:
    """Status, path and output (or error and cause) of a finished execution, as text."""
    status = description["status"]
    lines = [
        t("Execution {name}: {status}", name=description["name"], status=status),
        path_line(states_entered(events, top_level_only=True), status),
    ]
    if description["status"] == "SUCCEEDED":
        output, folded = fold_error_reports(description.get("output"))
        lines += [t("Output:"), output]
        if folded:
            lines.append(
                t(
                    "(Cause folded: it holds Lambda's error report as JSON text, stack trace "
                    "included; helpers.show_cause(cause) shows it parsed.)"
                )
            )
    else:
        lines += [
            t("Error: {error}", error=description.get("error", "")),
            t("Cause: {cause}", cause=description.get("cause", "")),
        ]
    link = console_link(description["executionArn"])
    if link:
        lines.append(t("In the AWS console: {link}", link=link))
    return "\n".join(lines)


def path_line(states: list[str], status: str) -> str:
    """``Path: Start -> A -> B -> End`` (or ``-> (FAILED)``, for an execution that did not
    succeed): the states an execution entered, between its start and its end."""
    steps = " -> ".join(states)
    if status == "SUCCEEDED":
        if steps:
            return t("Path: Start -> {steps} -> End", steps=steps)
        return t("Path: Start -> End")
    if steps:
        return t("Path: Start -> {steps} -> ({status})", steps=steps, status=status)
    return t("Path: Start -> ({status})", status=status)


def console_link(execution_arn: str) -> str | None:
    """The AWS console page of an execution, on the aws target; ``None`` on the local one."""
    if (os.environ.get("TUTORIAL_TARGET") or "local").strip().lower() != "aws":
        return None
    region = execution_arn.split(":")[3]
    return (
        f"https://{region}.console.aws.amazon.com/states/home?region={region}"
        f"#/v2/executions/details/{execution_arn}"
    )


# ---------------------------------------------------------------- history in CloudWatch Logs

ENDINGS = {"ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"}
LOG_WAIT_S = 60  # on AWS, logs arrive some seconds after the events


def is_express(execution_arn: str) -> bool:
    """Whether ``execution_arn`` is an Express execution's (``...:express:MACHINE:NAME:ID``)."""
    parts = execution_arn.split(":")
    return len(parts) > 5 and parts[5] == "express"


def machine_of(execution_arn: str) -> str:
    """The ARN of the state machine an execution (Standard or Express) belongs to."""
    parts = execution_arn.split(":")
    return ":".join([*parts[:5], "stateMachine", parts[6]])


def log_group_name(log_group: str) -> str:
    """A log group's name, from its name or its ARN (``arn:aws:logs:...:log-group:NAME:*``)."""
    return log_group.split(":")[6] if log_group.startswith("arn:") else log_group


def logged_history(log_group: str, execution_arn: str, wait_s: float = LOG_WAIT_S) -> list[dict]:
    """An execution's events as its state machine logged them to CloudWatch Logs, oldest first,
    in ``GetExecutionHistory``'s shape (so ``history_table`` and the cost helper read them).

    The only history an Express execution has. Waits up to ``wait_s`` seconds for the event
    that ends the execution: CloudWatch Logs receives events some seconds after they happen.
    """
    deadline = time.monotonic() + wait_s
    while True:
        messages = _logged_messages(log_group_name(log_group), execution_arn)
        ended = any(message["type"] in ENDINGS for message in messages)
        if ended or time.monotonic() > deadline:
            break
        time.sleep(1)
    if not messages:
        raise LookupError(
            t(
                "No event of {arn} in log group {group} after {seconds:.0f} s: is the state "
                "machine's loggingConfiguration level ALL, with this log group as its "
                "destination?",
                arn=execution_arn,
                group=log_group_name(log_group),
                seconds=wait_s,
            )
        )
    return sorted((history_event(message) for message in messages), key=lambda e: e["id"])


def _logged_messages(group: str, execution_arn: str) -> list[dict]:
    """The parsed log events of one execution (CloudWatch Logs filters on the quoted ARN)."""
    pages = (
        boto3.client("logs")
        .get_paginator("filter_log_events")
        .paginate(logGroupName=group, filterPattern=f'"{execution_arn}"')
    )
    messages = []
    for page in pages:
        for event in page["events"]:
            message = json.loads(event["message"])
            if message.get("execution_arn") == execution_arn:
                messages.append(message)
    return messages


def history_event(message: dict) -> dict:
    """One logged event (``id``, ``type``, ``details``, ``event_timestamp``...) as
    ``GetExecutionHistory`` gives it: its details under ``<type>EventDetails``."""
    kind = message["type"]
    event = {
        "id": int(message["id"]),
        "previousEventId": int(message.get("previous_event_id") or 0),
        "type": kind,
        "timestamp": datetime.datetime.fromtimestamp(
            int(message["event_timestamp"]) / 1000, tz=datetime.timezone.utc
        ),
    }
    if message.get("details"):
        event[_details_key(kind)] = message["details"]
    return event


def _details_key(kind: str) -> str:
    """The member of a history event that holds its details, e.g. ``TaskScheduled``:
    ``taskScheduledEventDetails``; every ``...StateEntered``: ``stateEnteredEventDetails``."""
    if kind.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if kind.endswith("StateExited"):
        return "stateExitedEventDetails"
    return kind[0].lower() + kind[1:] + "EventDetails"
