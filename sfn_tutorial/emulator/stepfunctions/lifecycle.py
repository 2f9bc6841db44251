"""An execution's life, for the parts of the emulator that watch it: each history event as it is
written, and the moment the execution ends (its status, stop date and output or error set).

Step Functions' status change events (``status_events``), its CloudWatch metrics
(``cloudwatch.metrics``) and its X-Ray traces (``xray.traces``) are made from what happens to an
execution; each registers a watcher with ``watch()``. A watcher's failure is logged and never
reaches the execution. Executions started by a Distributed Map (its child workflows, run inside
the parent here) have no watchers: their events are the map run's.
"""

from __future__ import annotations

import logging
from typing import Protocol

LOG = logging.getLogger(__name__)
_watchers: list[Watcher] = []
_by_kind: dict[str, list[Watcher]] = {}  # an event type -> the watchers that want it


class Watcher(Protocol):
    """What a watcher is told: the history events of the types it names in ``kinds``, then
    the end of the execution (again after each redrive)."""

    kinds: frozenset[str]

    def event(self, execution, event: dict) -> None: ...

    def ended(self, execution) -> None: ...


def watch(watcher: Watcher) -> None:
    """Tell ``watcher`` about every execution from now on."""
    if watcher not in _watchers:
        _watchers.append(watcher)
        for kind in watcher.kinds:
            _by_kind.setdefault(kind, []).append(watcher)


def _tell(watchers: list, method: str, *args) -> None:
    for watcher in list(watchers):
        try:
            getattr(watcher, method)(*args)
        except Exception:  # a watcher's bug is never the execution's failure
            LOG.exception("watcher %r failed on %s", watcher, method)


def event_type(event: dict) -> str:
    """A history event's type as text (moto keeps an enum)."""
    kind = event.get("type")
    return str(getattr(kind, "value", kind))


def execution_of(env):
    """The execution whose history ``env`` writes (``None`` for a Distributed Map's child)."""
    return getattr(env.event_manager, "tutorial_execution", None)


def apply() -> None:
    """Tell the watchers about each event and each end."""
    event_managers_know_their_execution()
    events_are_told_as_they_are_written()
    ends_are_told_once_the_status_is_set()


def event_managers_know_their_execution() -> None:
    """The event manager of an execution's environment knows the execution it writes for."""
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    original = ExecutionWorker._get_evaluation_environment

    def _get_evaluation_environment(self):
        env = original(self)
        env.event_manager.tutorial_execution = self._execution_communication.execution
        return env

    ExecutionWorker._get_evaluation_environment = _get_evaluation_environment


def events_are_told_as_they_are_written() -> None:
    """After an event is added to an execution's history, the ``event`` of each watcher that
    wants its type sees it (the others cost a dictionary lookup: executions write many)."""
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager

    original = EventManager.add_event

    def add_event(self, context, event_type, *args, **kwargs):
        event_id = original(self, context, event_type, *args, **kwargs)
        execution = getattr(self, "tutorial_execution", None)
        if execution is not None:
            watchers = _by_kind.get(getattr(event_type, "value", event_type))
            if watchers:
                event = _find(self._history_event_list, event_id)
                if event is not None:
                    _tell(watchers, "event", execution, event)
        return event_id

    EventManager.add_event = add_event


def _find(events: list, event_id) -> dict | None:
    for event in reversed(events):
        if event.get("id") == event_id:
            return event
    return None


def ends_are_told_once_the_status_is_set() -> None:
    """When an execution ends, after its status, stop date and output or error are set."""
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

    original = BaseExecutionWorkerCommunication.terminated

    def terminated(self):
        original(self)
        _tell(_watchers, "ended", self.execution)

    BaseExecutionWorkerCommunication.terminated = terminated
