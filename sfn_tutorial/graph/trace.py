"""Reading an execution's history: how each state went, and which transitions were taken.

The history is read the way the console reads it: every ``...StateEntered`` event starts a visit
of a state, and ``previousEventId`` links say which Parallel branch or Map iteration a visit
belongs to. ``Trace`` holds those visits; ``state_statuses`` and ``transitions_taken`` report them
by state name, and ``Paint`` resolves them onto a definition's nodes (statuses, branch and
iteration counts, edges taken) for ``render`` to colour.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise

from sfn_tutorial.graph.nodes import Index, child_scopes, end_id, node_id, start_id

#: Markers ``transitions_taken`` uses for "the start of a (branch of a) state machine" and its end.
START = "(start)"
END = "(end)"

_FAILURES = frozenset(
    {
        "ActivityFailed",
        "ActivityScheduleFailed",
        "ActivityTimedOut",
        "EvaluationFailed",
        "LambdaFunctionFailed",
        "LambdaFunctionScheduleFailed",
        "LambdaFunctionStartFailed",
        "LambdaFunctionTimedOut",
        "MapRunFailed",
        "MapStateFailed",
        "ParallelStateFailed",
        "TaskFailed",
        "TaskStartFailed",
        "TaskSubmitFailed",
        "TaskTimedOut",
    }
)
_SUCCESSES = frozenset(
    {
        "ActivitySucceeded",
        "LambdaFunctionSucceeded",
        "MapRunSucceeded",
        "MapStateSucceeded",
        "ParallelStateSucceeded",
        "TaskSucceeded",
    }
)
_ABORTS = frozenset(
    {
        "MapRunAborted",
        "MapStateAborted",
        "ParallelStateAborted",
        "TaskStateAborted",
        "WaitStateAborted",
    }
)
_CLOSES = frozenset(
    {
        "MapStateAborted",
        "MapStateFailed",
        "MapStateSucceeded",
        "ParallelStateAborted",
        "ParallelStateFailed",
        "ParallelStateSucceeded",
    }
)
_ITERATIONS = {
    "MapIterationStarted": "in_progress",
    "MapIterationSucceeded": "succeeded",
    "MapIterationFailed": "failed",
    "MapIterationAborted": "cancelled",
}
_EXECUTION_ENDS = {
    "ExecutionSucceeded": "succeeded",
    "ExecutionFailed": "failed",
    "ExecutionTimedOut": "timed_out",
    "ExecutionAborted": "aborted",
    "ExecutionRedriven": "running",
    "ExecutionStarted": "running",
}
# What an unfinished visit became, by how the execution ended.
_UNFINISHED = {
    "running": "in_progress",
    "failed": "failed",
    "timed_out": "failed",
    "aborted": "cancelled",
    "succeeded": "cancelled",
}
# When one state was visited several times (loops, Map iterations), the most telling status wins.
_PRECEDENCE = ("succeeded", "cancelled", "caught_error", "failed", "in_progress")


@dataclass(frozen=True)
class _Frame:
    """One branch of one run of a Parallel, or one iteration of one run of a Map."""

    kind: str  # "Parallel" or "Map"
    container: str  # the Parallel or Map state's name
    entered: int  # id of the container's ...StateEntered event
    key: tuple  # ("branch", first state's name, its type, ordinal) or ("item", index)


@dataclass
class _Visit:
    """One visit of a state: from its ...StateEntered event to wherever it went."""

    name: str
    kind: str  # "Task", "Choice", ... from the event type
    scope: tuple  # the _Frames it ran in, outermost first; () is the top level
    entered: int  # event id
    exited: bool = False
    continued: bool = False  # another state of the same scope was entered after it
    aborted: bool = False
    closed: bool = False  # a Parallel/Map that succeeded, failed or was aborted
    result: str | None = None  # "ok" / "error": the last outcome of its work (retries included)
    iterations: dict = field(default_factory=dict)  # Map: index -> status
    status: str = ""


def _events(history) -> list[tuple[int, int, str, dict]]:
    """(id, previousEventId, type, event) in id order, for a list of events or a response."""
    if isinstance(history, dict):
        history = history.get("events", [])
    rows = []
    for position, event in enumerate(history or [], 1):
        if not isinstance(event, dict) or "type" not in event:
            continue
        event_id = int(event.get("id", position))
        rows.append(
            (event_id, int(event.get("previousEventId", event_id - 1)), event["type"], event)
        )
    return sorted(rows, key=lambda row: row[0])


def _details(event: dict, key: str):
    """``event[...EventDetails][key]``, for whichever details the event carries."""
    for name, value in event.items():
        if name.endswith("EventDetails") and isinstance(value, dict) and key in value:
            return value[key]
    return None


def _outside(scope: tuple, kind: str, name: str | None = None) -> tuple:
    """``scope`` up to (not including) its innermost frame of a ``kind`` state (named ``name``)."""
    for depth in range(len(scope) - 1, -1, -1):
        frame = scope[depth]
        if frame.kind == kind and (name is None or frame.container == name):
            return scope[:depth]
    return scope


class Trace:
    """An execution's visits of states, grouped by scope (top level, branch, iteration)."""

    def __init__(self, history) -> None:
        self.visits: list[_Visit] = []
        self.frames: dict[tuple, list[_Visit]] = {}
        self.owners: dict[tuple, _Visit] = {}  # frame scope -> the Parallel/Map visit it is in
        self.end = "running"
        self._scope_of: dict[int, tuple] = {}
        self._current: dict[tuple, _Visit] = {}
        self._openers: dict[int, tuple] = {}  # event id -> (scope, container visit, kind, key)
        self._ordinals: Counter = Counter()
        for event_id, previous, kind, event in _events(history):
            self._add(event_id, previous, kind, event)
        self._settle()

    def _settle(self) -> None:
        """Give each visit without a status the one the events so far say."""
        for visit in self.visits:
            visit.status = visit.status or self._status(visit)

    # -- placing events
    def _add(self, event_id: int, previous: int, kind: str, event: dict) -> None:
        """Place one event in its scope and apply it to the visit it is about."""
        scope = self._scope(event_id, previous, kind, event)
        self._scope_of[event_id] = scope
        if kind == "ExecutionRedriven":
            self._settle()  # what failed before a redrive stays failed
        if kind in _EXECUTION_ENDS:
            self.end = _EXECUTION_ENDS[kind]
        elif kind.endswith("StateEntered"):
            self._enter(event_id, scope, kind, event)
        elif scope in self._current:
            self._apply(self._current[scope], event_id, scope, kind, event)

    def _scope(self, event_id: int, previous: int, kind: str, event: dict) -> tuple:
        """The scope an event belongs to, from the scope of the event before it."""
        if kind.startswith("Execution"):
            return ()
        before = self._scope_of.get(previous, ())
        if kind in _ITERATIONS:
            return _outside(before, "Map", _details(event, "name"))
        if kind in _CLOSES or kind.startswith("MapRun"):
            return self._container_scope("Map" if kind.startswith("Map") else "Parallel", before)
        if kind.endswith("StateExited"):
            return self._exited_scope(before, _details(event, "name"))
        if previous in self._openers and kind.endswith("StateEntered"):
            return self._open(previous, _details(event, "name"), kind.removesuffix("StateEntered"))
        return before

    def _container_scope(self, kind: str, before: tuple) -> tuple:
        """Where a Parallel/Map event goes whose previous event was in scope ``before``.

        Either ``before`` itself, when its current visit is that (still running) Parallel/Map,
        or the scope around the innermost branch/iteration of that kind ``before`` is in.
        """
        visit = self._current.get(before)
        if visit is not None and visit.kind == kind and not visit.closed:
            return before
        return _outside(before, kind)

    def _exited_scope(self, before: tuple, name) -> tuple:
        """The scope of the running visit of state ``name``: ``before`` or one around it.

        (An emulator may link a Parallel's Exited event to the last event of a branch.)
        """
        for depth in range(len(before), -1, -1):
            visit = self._current.get(before[:depth])
            if visit is not None and visit.name == name and not visit.exited:
                return before[:depth]
        return before

    def _open(self, opener: int, first: str | None, first_kind: str) -> tuple:
        """The scope of a new branch/iteration whose first state ``first`` was just entered."""
        scope, container, kind, key = self._openers[opener]
        if kind == "Parallel":
            ordinal_key = (container.entered, first, first_kind)
            key = ("branch", first, first_kind, self._ordinals[ordinal_key])
            self._ordinals[ordinal_key] += 1
        frame_scope = (*scope, _Frame(kind, container.name, container.entered, key))
        self.owners[frame_scope] = container
        return frame_scope

    def _enter(self, event_id: int, scope: tuple, kind: str, event: dict) -> None:
        """A ...StateEntered event: a new visit, which ends the previous one of its scope."""
        name = str(_details(event, "name"))
        visits = self.frames.setdefault(scope, [])
        if visits and not visits[-1].exited:
            visits[-1].continued = True
        visit = _Visit(name, kind.removesuffix("StateEntered"), scope, event_id)
        visits.append(visit)
        self.visits.append(visit)
        self._current[scope] = visit

    def _apply(self, visit: _Visit, event_id: int, scope: tuple, kind: str, event: dict) -> None:
        """Record what an event (other than ...StateEntered) says about the current visit."""
        if kind.endswith("StateExited"):
            visit.exited = True
        elif kind in _FAILURES:
            visit.result = "error"
        elif kind in _SUCCESSES:
            visit.result = "ok"
        visit.aborted = visit.aborted or kind in _ABORTS
        visit.closed = visit.closed or kind in _CLOSES or kind in _ABORTS
        if kind in _ITERATIONS:
            index = _details(event, "index")
            visit.iterations[index] = _ITERATIONS[kind]
        if kind == "ParallelStateStarted":
            self._openers[event_id] = (scope, visit, "Parallel", ())
        elif kind == "MapIterationStarted":
            self._openers[event_id] = (scope, visit, "Map", ("item", _details(event, "index")))

    # -- statuses
    def _status(self, visit: _Visit) -> str:
        """succeeded, failed, in_progress, caught_error or cancelled."""
        if visit.kind == "Fail":
            return "failed"
        if visit.aborted:
            return "cancelled"
        if visit.exited or visit.continued:
            return "caught_error" if visit.result == "error" else "succeeded"
        closed = self.frame_closed(visit.scope)
        if visit.result == "error" and (closed or self.end != "running"):
            return "failed"
        return "cancelled" if closed else _UNFINISHED[self.end]

    def frame_closed(self, scope: tuple) -> bool:
        """Has the branch/iteration ``scope`` ended (top level: never, the execution decides)?"""
        if not scope:
            return False
        owner = self.owners.get(scope)
        if owner is None:
            return self.end != "running"
        frame = scope[-1]
        if (
            frame.kind == "Map"
            and owner.iterations.get(frame.key[1], "in_progress") != "in_progress"
        ):
            return True
        return owner.closed or owner.exited or owner.continued or self.frame_closed(scope[:-1])

    def frame_status(self, scope: tuple) -> str:
        """How one branch or iteration went: its Map iteration event, else its visits."""
        frame, owner = scope[-1], self.owners.get(scope)
        if frame.kind == "Map" and owner is not None:
            status = owner.iterations.get(frame.key[1], "in_progress")
            if status != "in_progress":
                return status
        statuses = {visit.status for visit in self.frames.get(scope, [])}
        for status in ("failed", "in_progress", "cancelled"):
            if status in statuses:
                return status
        return "succeeded" if self.frame_closed(scope) else "in_progress"

    def finished_normally(self, scope: tuple) -> bool:
        """Did ``scope``'s last visit end it (``End``, ``Succeed`` or ``Fail``), as far as known?"""
        last = self.frames[scope][-1]
        done = self.frame_closed(scope) if scope else self.end != "running"
        return (last.status == "succeeded" and done) or last.kind == "Fail"


def _merge(statuses: Iterable[str]) -> str:
    """The status a node shows for several visits."""
    return max(statuses, key=_PRECEDENCE.index)


def state_statuses(history) -> dict[str, str]:
    """Map each state name (at any depth) that an execution reached to how it went.

    ``history`` is the list of events of ``get_execution_history`` (all pages). Statuses are
    ``"succeeded"``, ``"failed"``, ``"in_progress"``, ``"caught_error"`` (its error was caught
    by a ``Catch``) and ``"cancelled"`` (the execution or its Parallel/Map was stopped first).
    A state visited several times (a loop, Map iterations) shows the most telling status:
    in progress, then failed, then caught error, then cancelled, then succeeded.
    """
    by_name: dict[str, list[str]] = {}
    for visit in Trace(history).visits:
        by_name.setdefault(visit.name, []).append(visit.status)
    return {name: _merge(statuses) for name, statuses in by_name.items()}


def transitions_taken(history) -> set[tuple[str, str]]:
    """The transitions an execution took, as (from state, to state) name pairs.

    ``(START, first state)`` starts the state machine and each Parallel branch or Map
    iteration; ``(last state, END)`` ends one that ran to its end (or to a Fail state).
    """
    trace = Trace(history)
    taken = set()
    for scope, visits in trace.frames.items():
        names = [visit.name for visit in visits]
        taken.add((START, names[0]))
        taken.update(pairwise(names))
        if trace.finished_normally(scope):
            taken.add((names[-1], END))
    return taken


# ------------------------------------------------------------------ history -> nodes


class Paint:
    """A history resolved onto a definition's nodes: statuses, counts and edges taken."""

    def __init__(self, index: Index, trace: Trace) -> None:
        self.index = index
        self.status: dict[str, str] = {}  # node id -> status
        self.counts: dict[str, Counter] = {}  # Parallel/Map node id -> Counter of frame statuses
        self.taken: set[tuple[str, str]] = set()  # (tail id, head id)
        self._scopes: dict[tuple, tuple | None] = {}
        self.runs: Counter = Counter()  # Parallel/Map node id -> how many times it ran
        statuses: dict[str, list[str]] = {}
        placed = [(visit, self.path(visit.scope, visit.name)) for visit in trace.visits]
        for visit, path in placed:
            if path is not None:
                statuses.setdefault(node_id(path), []).append(visit.status)
                self.runs[node_id(path)] += 1
        self.status = {node: _merge(found) for node, found in statuses.items()}
        for scope, visits in trace.frames.items():
            self._add_frame(trace, scope, visits)
        self._add_unstarted_branches(trace, placed)

    def path(self, frames: tuple, name: str) -> tuple | None:
        """The definition path of state ``name`` visited in ``frames``, if it can be told."""
        scope = self.scope(frames)
        if scope is not None and (*scope, name) in self.index.states:
            return (*scope, name)
        candidates = self.index.by_name.get(name, [])
        return candidates[0] if len(candidates) == 1 else None

    def scope(self, frames: tuple) -> tuple | None:
        """The definition scope path (e.g. ``("P", "b1")``) of a history scope."""
        if frames not in self._scopes:
            self._scopes[frames] = self._resolve(frames)
        return self._scopes[frames]

    def _resolve(self, frames: tuple) -> tuple | None:
        """Find the branch (by its first state's name and type) or processor of a frame."""
        if not frames:
            return ()
        frame = frames[-1]
        container = self.path(frames[:-1], frame.container)
        if container is None:
            return None
        children = [s for s, _ in child_scopes(container, self.index.states[container])]
        if frame.kind == "Map" or len(children) == 1:
            return children[0] if children else None
        _, first, first_kind, ordinal = frame.key
        starting = [s for s in children if self.index.scopes[s]["StartAt"] == first]
        same_kind = [s for s in starting if self.index.states[(*s, first)]["Type"] == first_kind]
        starting = same_kind or starting
        return starting[min(ordinal, len(starting) - 1)] if starting else None

    def _add_unstarted_branches(self, trace: Trace, placed: list) -> None:
        """Count the branches of a finished Parallel run that never started as cancelled."""
        started = Counter(owner.entered for owner in trace.owners.values())
        for visit, path in placed:
            if path is None or visit.status == "in_progress":
                continue
            state = self.index.states[path]
            missing = len(state.get("Branches", [])) - started[visit.entered]
            if state["Type"] == "Parallel" and missing > 0:
                self.counts.setdefault(node_id(path), Counter())["cancelled"] += missing

    def _add_frame(self, trace: Trace, frames: tuple, visits: list[_Visit]) -> None:
        """Count a branch/iteration on its container, and add the edges it took."""
        scope = self.scope(frames)
        if scope is None:
            return
        if frames:
            container = node_id(scope[:-1])
            self.counts.setdefault(container, Counter())[trace.frame_status(frames)] += 1
            self.taken.add((container, start_id(scope)))
        paths = [self.path(frames, visit.name) for visit in visits]
        if paths[0] is not None:
            self.taken.add((start_id(scope), node_id(paths[0])))
        for tail, head in pairwise(paths):
            if tail is not None and head is not None:
                self.taken.add((self.index.out_id(tail), node_id(head)))
        last = paths[-1]
        if last is not None and self.index.is_terminal(last) and trace.finished_normally(frames):
            self.taken.add((self.index.out_id(last), end_id(scope)))
