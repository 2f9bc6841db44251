"""``HeartbeatSeconds``: a Task that hears nothing for that long times out, as on AWS.

AWS (recorded in ``../shared/conformance-tasks/041.json``; the developer guide's "Error names"):
a ``.waitForTaskToken`` Task (or an activity) with ``HeartbeatSeconds`` whose worker sends
neither ``SendTaskHeartbeat`` nor a result for that long fails with a ``TaskTimedOut`` event whose
error is ``States.Timeout``. A Catch or Retry may name it ``States.HeartbeatTimeout`` (matched
only by heartbeat timeouts, "only available inside the Catch and Retry fields") or
``States.Timeout`` (matched by every timeout).

moto's interpreter records the same event, but its error matched only ``States.Timeout``: a
Catch on ``States.HeartbeatTimeout`` never caught anything. It also refused with
``InvalidToken`` a ``SendTaskHeartbeat`` for a live token whose Task has no ``HeartbeatSeconds``,
or that came before its heartbeat clock was set up (the worker answered the message at once);
AWS's API reference lists ``InvalidToken`` only for a token it does not know.
``apply()`` is called once, in the emulator process;
``tests/test_stepfunctions_heartbeats.py`` checks it.
"""

from __future__ import annotations

import functools

HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
TIMEOUT = "States.Timeout"


def apply() -> None:
    """Let ``States.HeartbeatTimeout`` in Catch and Retry match a heartbeat timeout."""
    heartbeat_timeouts_match_both_names()
    heartbeats_for_live_tokens_accepted()


def heartbeat_error_name():
    """The error name of a heartbeat timeout: written ``States.Timeout``, matched by
    ``States.Timeout`` and ``States.HeartbeatTimeout``."""
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )

    return heartbeat_name_class()(typ=StatesErrorNameType.StatesTimeout)


@functools.cache
def heartbeat_name_class() -> type:
    """moto's ``StatesErrorName`` for ``States.Timeout``, also equal to
    ``States.HeartbeatTimeout``."""
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )

    class HeartbeatTimeoutName(StatesErrorName):
        def matches(self, error_name: str | None) -> bool:
            return error_name in (TIMEOUT, HEARTBEAT_TIMEOUT)

        def __eq__(self, other) -> bool:
            return self.matches(getattr(other, "error_name", None))

        __hash__ = StatesErrorName.__hash__

    return HeartbeatTimeoutName


def heartbeat_timeouts_match_both_names() -> None:
    """A heartbeat timeout's failure keeps its ``TaskTimedOut`` / ``ActivityTimedOut`` event
    (error ``States.Timeout``) and is caught by ``States.HeartbeatTimeout`` as well."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import (
        state_task,
        state_task_activitiy,
    )
    from moto.stepfunctions.parser.asl.eval.callback.callback import HeartbeatTimeoutError

    for task_class in (state_task.StateTask, state_task_activitiy.StateTaskActivity):
        original = task_class.__dict__["_from_error"]

        def _from_error(self, env, ex, original=original):
            failure = original(self, env, ex)
            if isinstance(ex, HeartbeatTimeoutError):
                failure.error_name = heartbeat_error_name()
            return failure

        task_class._from_error = _from_error


def heartbeats_for_live_tokens_accepted() -> None:
    """A heartbeat for a token Step Functions is waiting on is accepted: it resets the heartbeat
    clock when the Task has one, and does nothing otherwise."""
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint

    original = CallbackEndpoint.__dict__["notify_heartbeat"]

    def notify_heartbeat(self) -> bool:
        original(self)
        return True

    CallbackEndpoint.notify_heartbeat = notify_heartbeat
