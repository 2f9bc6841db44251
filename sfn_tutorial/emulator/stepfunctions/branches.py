"""Inline Map iterations and Parallel branches: how a failure in one ends the others, as on AWS.

When an iteration of an inline Map state (or a branch of a Parallel state) fails, Step Functions
fails the Map (or Parallel) state at once and aborts the iterations or branches still running.
Its history records, before the state's own ``MapStateFailed`` (or what follows a Parallel's
failure), and never after the execution ended:

* ``MapIterationFailed`` for the iteration that failed first (of iterations that failed
  together, such as tasks timing out together, the one with the lowest index),
  ``MapIterationAborted`` for every other one that had started;
* ``TaskStateAborted`` for the Task state whose error ended its iteration or branch, after its
  ``TaskFailed`` / ``TaskTimedOut`` (the state did not exit);
* ``TaskStateAborted`` (``WaitStateAborted``, ``MapStateAborted``, ``ParallelStateAborted``)
  for the state each aborted iteration or branch was running.

moto records ``MapIterationFailed`` for every iteration that fails, no aborted states, and lets
the other iterations and branches run on and write their events after ``ExecutionFailed``.

Here each iteration and branch is tracked (``Branch``) with the state it runs; iterations or
branches that end within ``GRACE_S`` of the first failure (all the tasks of a Map that time out
together) end on their own, recorded as aborted; those still running then are aborted, and
whatever they would write later is left out of the history. ``apply()`` is called once, in the
emulator process; ``tests/test_stepfunctions_branches.py`` checks each behaviour.
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import NamedTuple

# How long a failing Map or Parallel state lets the others end on their own: iterations that
# fail together (tasks with the same timeout) are recorded as AWS records them.
GRACE_S = 0.5
_groups_lock = threading.Lock()
_numbers = itertools.count()


def apply() -> None:
    """Record the end of inline Map iterations and Parallel branches as AWS does."""
    frames_belong_to_their_branch()
    states_are_tracked_in_their_branch()
    map_iterations_are_branches()
    parallel_branches_are_branches()
    aborted_branches_write_nothing_more()


class HeldEvent(NamedTuple):
    """A Map iteration's end event, held until the Map settles how each iteration ended."""

    manager: object
    context: object
    type: str
    details: dict  # MapIterationEventDetails: name, index
    options: dict

    def index(self) -> int:
        return self.details["index"]


class Group:
    """The iterations of one inline Map evaluation, or the branches of one Parallel evaluation."""

    def __init__(self, parent: Branch | None) -> None:
        self.parent = parent
        self.lock = threading.RLock()
        self.branches: set[Branch] = set()  # those running: an ended one lets go of its frame
        self.pending: list[HeldEvent] = []  # iterations' end events, from the first failure
        self.settled = False  # the held events are written: later ends are aborted ones
        if parent is not None:
            parent.groups.append(self)

    def add(self, env, iteration=None) -> Branch:
        branch = Branch(self, env, iteration)
        with self.lock:
            self.branches.add(branch)
        return branch

    def ended(self, branch: Branch) -> None:
        """``branch`` ended: forget it, and its environment, so both can be freed at once."""
        with self.lock:
            self.branches.discard(branch)
            branch.env, branch.groups = None, []
            branch.ended.set()

    def running(self) -> list[Branch]:
        with self.lock:
            return sorted(
                (branch for branch in self.branches if not branch.finished()),
                key=lambda branch: branch.number,
            )

    def abort_the_others(self) -> None:
        """After the first failure: let the others end on their own for ``GRACE_S``, record
        how the iterations that ended since then ended, then abort those still running."""
        deadline = time.monotonic() + GRACE_S
        for branch in self.running():
            branch.ended.wait(max(0.0, deadline - time.monotonic()))
        self.settle()
        for branch in self.running():
            branch.abort()

    def settle(self) -> None:
        """Write the iteration end events held since the first failure: of the iterations that
        failed together, the first (lowest index) is ``MapIterationFailed``, as AWS records
        iterations that time out together; every other one ``MapIterationAborted``."""
        with self.lock:
            held, self.pending, self.settled = self.pending, [], True
        failed = [held_event for held_event in held if held_event.type == "MapIterationFailed"]
        first = min(failed, key=HeldEvent.index, default=None)
        for held_event in sorted(held, key=lambda event: (event is not first, event.index())):
            event_type = held_event.type if held_event is first else "MapIterationAborted"
            _write_iteration_event(held_event, event_type)


class Branch:
    """One inline Map iteration or Parallel branch: its environment and the state it runs."""

    def __init__(self, group: Group, env, iteration=None) -> None:
        self.group = group
        self.env = env
        self.iteration = iteration  # MapIterationEventDetails; None for a Parallel branch
        self.active = None  # the state being evaluated
        self.groups: list[Group] = []  # Maps and Parallels started inside this branch
        self.closed = False
        self.ended = threading.Event()
        self.number = next(_numbers)  # the order branches started in
        env.tutorial_branch = self
        env.event_history_context.tutorial_branch = self

    def is_closed(self) -> bool:
        """Whether this branch, or one it runs in, was aborted: it records nothing more."""
        branch = self
        while branch is not None:
            if branch.closed:
                return True
            branch = branch.group.parent
        return False

    def finished(self) -> bool:
        return self.closed or self.ended.is_set()

    def abort(self) -> None:
        """Record this branch's end as AWS records an aborted one, then close it."""
        with self.group.lock:
            if self.finished():
                return
            for group in self.groups:
                for branch in group.running():
                    branch.abort()
            aborted = aborted_event_type(self.active)
            if aborted is not None:
                add_event(self.env, aborted)
            if self.iteration is not None:
                add_event(self.env, "MapIterationAborted", self.iteration)
            self.closed = True
            self.group.branches.discard(self)


def aborted_event_type(state) -> str | None:
    """``TaskStateAborted`` for a Task state, and so on: the types of states that have one."""
    from moto.stepfunctions.parser.api import HistoryEventType

    if state is None:
        return None
    name = str(getattr(state.state_entered_event_type, "value", state.state_entered_event_type))
    aborted = name.replace("StateEntered", "StateAborted")
    return aborted if aborted in HistoryEventType.__members__ else None


def add_event(env, event_type: str, iteration=None) -> None:
    """Write ``event_type`` on ``env``'s context (an iteration's event with its details)."""
    from moto.stepfunctions.parser.api import HistoryEventType
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    details = None
    if iteration is not None:
        key = event_type[0].lower() + event_type[1:] + "EventDetails"
        details = EventDetails(**{key: iteration})
    env.event_manager.add_event(
        context=env.event_history_context,
        event_type=HistoryEventType(event_type),
        event_details=details,
        update_source_event_id=False,
    )


def frames_belong_to_their_branch() -> None:
    """A frame (a Task's timed call, a nested Map's worker) belongs to the iteration or branch
    of the environment it was opened from."""
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    original = Environment.as_inner_frame_of.__func__

    def as_inner_frame_of(cls, env, *args, **kwargs):
        frame = original(cls, env, *args, **kwargs)
        branch = getattr(env, "tutorial_branch", None)
        if branch is not None:
            frame.tutorial_branch = branch
            frame.event_history_context.tutorial_branch = branch
        return frame

    Environment.as_inner_frame_of = classmethod(as_inner_frame_of)


def states_are_tracked_in_their_branch() -> None:
    """Each iteration or branch knows the state it runs; a Task state whose error ends it
    records ``TaskStateAborted`` after its failure event, as on AWS."""
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField

    original = CommonStateField._eval_body

    def _eval_body(self, env):
        branch = getattr(env, "tutorial_branch", None)
        if branch is None or branch.env is not env:
            return original(self, env)
        branch.active = self
        try:
            original(self, env)
        except Exception:
            if aborted_event_type(self) == "TaskStateAborted" and not branch.is_closed():
                add_event(env, "TaskStateAborted")
            raise
        finally:
            branch.active = None

    CommonStateField._eval_body = _eval_body


def _group_of(owner, parent) -> Group:
    with _groups_lock:
        group = getattr(owner, "tutorial_group", None)
        if group is None:
            group = owner.tutorial_group = Group(parent)
        return group


def map_iterations_are_branches() -> None:
    """Inline Map iterations: the first that fails is ``MapIterationFailed``, the others
    ``MapIterationAborted``; when one fails, the Map aborts the others before it fails."""
    from moto.stepfunctions.parser.api import MapIterationEventDetails
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.iteration_worker import (  # noqa: E501
        IterationWorker,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.job import (
        JobPool,
    )

    original_job = IterationWorker._eval_job

    def _eval_job(self, env, job):
        group = _group_of(self._job_pool, getattr(self._env, "tutorial_branch", None))
        details = MapIterationEventDetails(name=self._work_name, index=job.job_index)
        branch = group.add(env, details)
        try:
            original_job(self, env, job)
        finally:
            group.ended(branch)

    IterationWorker._eval_job = _eval_job

    original_exception = JobPool.get_worker_exception

    def get_worker_exception(self):
        exception = original_exception(self)
        group = getattr(self, "tutorial_group", None)
        if exception is not None and group is not None:
            group.abort_the_others()
        return exception

    JobPool.get_worker_exception = get_worker_exception


def parallel_branches_are_branches() -> None:
    """Parallel branches: when one fails, the Parallel state aborts the others before it fails."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_parallel.branch_worker import (
        BranchWorker,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_parallel.branches_decl import (
        BranchWorkerPool,
    )

    original_init = BranchWorker.__init__

    def __init__(self, branch_worker_comm, program, env):
        original_init(self, branch_worker_comm, program, env)
        group = _group_of(branch_worker_comm, getattr(env, "tutorial_branch", None))
        self.tutorial_branch = group.add(env)

    BranchWorker.__init__ = __init__

    original_routine = BranchWorker._thread_routine

    def _thread_routine(self):
        try:
            original_routine(self)
        finally:
            self.tutorial_branch.group.ended(self.tutorial_branch)

    BranchWorker._thread_routine = _thread_routine

    original_details = BranchWorkerPool.get_exit_event_details

    def get_exit_event_details(self):
        details = original_details(self)
        group = getattr(self, "tutorial_group", None)
        if details is not None and group is not None:
            group.abort_the_others()
        return details

    BranchWorkerPool.get_exit_event_details = get_exit_event_details


def _write_iteration_event(held: HeldEvent, event_type: str) -> None:
    """Write a held Map iteration event as ``event_type`` (``MapIterationFailed``, ...)."""
    from moto.stepfunctions.parser.api import HistoryEventType

    key = event_type[0].lower() + event_type[1:] + "EventDetails"
    details = {key: held.details}
    _original_add_event(
        held.manager, held.context, HistoryEventType(event_type), details, **held.options
    )


_original_add_event = None  # the event manager's add_event, under this module's


def aborted_branches_write_nothing_more() -> None:
    """Nothing an aborted iteration or branch does later reaches the history. From the first
    failed iteration on, iterations' end events are held until the Map settles how each
    ended (``Group.settle``); an iteration that ends after that is ``MapIterationAborted``."""
    global _original_add_event
    from moto.stepfunctions.parser.api import HistoryEventType
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager

    iteration_ends = {
        HistoryEventType.MapIterationFailed: "mapIterationFailedEventDetails",
        HistoryEventType.MapIterationSucceeded: "mapIterationSucceededEventDetails",
    }
    original = _original_add_event = EventManager.add_event

    def add_event(self, context, event_type, event_details=None, *args, **kwargs):
        branch = getattr(context, "tutorial_branch", None)
        if branch is None:
            return original(self, context, event_type, event_details, *args, **kwargs)
        if branch.is_closed():
            return context.last_published_event_id
        if event_type in iteration_ends and branch.iteration is not None and not args:
            group = branch.group
            details = (event_details or {}).get(iteration_ends[event_type])
            with group.lock:
                if group.settled:
                    event_type = HistoryEventType.MapIterationAborted
                    event_details = {"mapIterationAbortedEventDetails": details}
                elif event_type == HistoryEventType.MapIterationFailed or group.pending:
                    held = HeldEvent(self, context, event_type.value, details, kwargs)
                    group.pending.append(held)
                    return context.last_published_event_id
        return original(self, context, event_type, event_details, *args, **kwargs)

    EventManager.add_event = add_event
