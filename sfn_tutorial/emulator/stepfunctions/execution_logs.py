"""Executions write their history to CloudWatch Logs, as a state machine's ``loggingConfiguration``
asks.

AWS (Step Functions developer guide, "Using CloudWatch Logs to log execution history" and "Log
levels"): a machine created or updated with a ``loggingConfiguration`` whose ``level`` is not
``OFF`` and whose one destination is a log group's ARN (``arn:aws:logs:REGION:ACCOUNT:log-group:
NAME:*``) has each execution, Standard or Express, send its history events to that group:

- ``ALL`` sends every event, ``ERROR`` the failures (``TaskFailed``, ``FailStateEntered``,
  ``ExecutionFailed``...; ``ERROR_EVENTS``), ``FATAL`` only how an execution ended badly
  (``ExecutionFailed``, ``ExecutionAborted``, ``ExecutionTimedOut``).
- Each log event's message is one JSON object: ``id``, ``type``, ``details`` (the history
  event's details), ``previous_event_id``, ``event_timestamp`` (epoch milliseconds), all numbers
  written as text, ``execution_arn`` and ``redrive_count``.
- ``includeExecutionData: false`` leaves out ``input``, ``output`` and their ``inputDetails`` /
  ``outputDetails`` from every event's details.
- Streams are named ``states/MACHINE/YYYY-MM-DD-HH-MM/ID``; delivery is best effort: with no such
  log group, nothing is written and the execution goes on.

moto's interpreter has the hooks (its event manager asks a logging session about each event) but
starts every execution without a session, and its session writes in a shape CloudWatch Logs'
reads cannot return. Here each execution gets a session that writes AWS's shape into moto's Logs
backend, so ``FilterLogEvents`` and ``GetLogEvents`` read the events back.
"""

from __future__ import annotations

import datetime
import json
import logging
import secrets
import threading

OFF = "OFF"
FATAL_EVENTS = frozenset({"ExecutionAborted", "ExecutionFailed", "ExecutionTimedOut"})
ERROR_EVENTS = FATAL_EVENTS | {
    "FailStateEntered",
    "LambdaFunctionFailed",
    "LambdaFunctionScheduleFailed",
    "LambdaFunctionStartFailed",
    "LambdaFunctionTimedOut",
    "MapIterationAborted",
    "MapIterationFailed",
    "MapRunAborted",
    "MapRunFailed",
    "MapStateAborted",
    "MapStateFailed",
    "ParallelStateAborted",
    "ParallelStateFailed",
    "TaskFailed",
    "TaskStartFailed",
    "TaskStateAborted",
    "TaskSubmitFailed",
    "TaskTimedOut",
    "WaitStateAborted",
}
EXECUTION_DATA = ("input", "inputDetails", "output", "outputDetails")

LOG = logging.getLogger(__name__)
_WRITING = threading.Lock()  # executions run in threads; moto's Logs backend has no lock


def apply() -> None:
    """Start every execution of a machine that logs with a session writing to its log group."""
    executions_log_their_history()


def logged_levels(level: str) -> frozenset[str] | None:
    """The event types ``level`` sends (``None``: all of them)."""
    return {"ALL": None, "ERROR": ERROR_EVENTS, "FATAL": FATAL_EVENTS}.get(level, frozenset())


def log_group_of(configuration: dict | None) -> tuple[str, str, str] | None:
    """``(account, region, log group name)`` a logging configuration sends to, or ``None`` when
    it sends nothing (level ``OFF``, no destination)."""
    configuration = configuration or {}
    destinations = configuration.get("destinations") or []
    if configuration.get("level", OFF) == OFF or not destinations:
        return None
    arn = (destinations[0].get("cloudWatchLogsLogGroup") or {}).get("logGroupArn", "")
    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
        return None
    return parts[4], parts[3], parts[6]


def stream_name(machine_name: str, started: datetime.datetime) -> str:
    """An execution's log stream: ``states/MACHINE/YYYY-MM-DD-HH-MM/ID``, as AWS names them."""
    return f"states/{machine_name}/{started:%Y-%m-%d-%H-%M}/{secrets.token_hex(4)}"


def log_message(history_log: dict, include_execution_data: bool, redrive_count: int = 0) -> str:
    """One history event as the JSON text AWS writes to CloudWatch Logs."""
    details = dict(history_log.get("details") or {})
    if not include_execution_data:
        for key in EXECUTION_DATA:
            details.pop(key, None)
    message = {
        "id": str(history_log["id"]),
        "type": str(getattr(history_log["type"], "value", history_log["type"])),
        "details": details,
        "previous_event_id": str(history_log["previous_event_id"]),
        "event_timestamp": str(epoch_ms(history_log["event_timestamp"])),
        "execution_arn": history_log["execution_arn"],
        "redrive_count": str(redrive_count),
    }
    return json.dumps(message, separators=(",", ":"), default=str)


def epoch_ms(timestamp) -> int:
    """A history event's time (a datetime, or the ISO 8601 text moto stores) in epoch ms."""
    if isinstance(timestamp, str):
        timestamp = datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    if timestamp.tzinfo is None:
        timestamp = timestamp.replace(tzinfo=datetime.timezone.utc)
    return int(timestamp.timestamp() * 1000)


def executions_log_their_history() -> None:
    """An execution of a machine with a ``loggingConfiguration`` gets a logging session (moto
    gives none), and its session writes AWS's log events into moto's Logs backend."""
    from moto.stepfunctions.parser.asl.eval.event.logging import (
        CloudWatchLoggingConfiguration,
        CloudWatchLoggingSession,
    )
    from moto.stepfunctions.parser.backend.execution import Execution

    class ExecutionLogSession(CloudWatchLoggingSession):
        """Where one execution's events go: a group, a stream of its own, a level."""

        def __init__(self, execution_arn, machine, target, level, include_data, started):
            account, region, group = target
            self.execution_arn = execution_arn
            self.configuration = CloudWatchLoggingConfiguration(
                state_machine_arn=machine.arn,
                log_account_id=account,
                log_region=region,
                log_group_name=group,
                log_level=level,
                include_execution_data=include_data,
            )
            self.configuration.log_stream_name = stream_name(machine.name, started)
            self.types = logged_levels(level)

        def log_level_filter(self, history_event_type) -> bool:
            name = str(getattr(history_event_type, "value", history_event_type))
            return self.types is None or name in self.types

        def publish_history_log(self, history_log) -> None:
            try:
                message = log_message(history_log, self.configuration.include_execution_data)
                timestamp = epoch_ms(history_log["event_timestamp"])
                write_log_event(self.configuration, timestamp, message)
            except Exception:  # a log is never worth an execution: AWS delivers best effort
                LOG.exception("Could not log an event of %s", self.execution_arn)

    original_init = Execution.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        if self._cloud_watch_logging_session is not None:
            return
        machine = self.state_machine
        configuration = getattr(machine, "loggingConfiguration", None)
        target = log_group_of(configuration)
        if target is not None:
            self._cloud_watch_logging_session = ExecutionLogSession(
                self.exec_arn,
                machine,
                target,
                configuration["level"],
                bool(configuration.get("includeExecutionData", False)),
                self.start_date,
            )

    Execution.__init__ = __init__


def write_log_event(configuration, timestamp_ms: int, message: str) -> None:
    """Append one event to the session's stream, creating the stream the first time; without
    the log group, drop it (AWS delivers these logs on a best-effort basis)."""
    from moto.logs.models import logs_backends

    backend = logs_backends[configuration.log_account_id][configuration.log_region]
    with _WRITING:
        group = backend.groups.get(configuration.log_group_name)
        if group is None:
            return
        name = configuration.log_stream_name
        if name not in group.streams:
            backend.create_log_stream(configuration.log_group_name, name)
        group.put_log_events(name, [{"timestamp": timestamp_ms, "message": message}])
