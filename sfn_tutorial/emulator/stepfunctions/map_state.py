"""The Distributed Map state as AWS runs it, where moto's interpreter falls short.

``apply()`` is called by ``emulator.fixes.apply()`` in the emulator process. Each fix is a small
function whose docstring says what AWS does; ``tests/test_stepfunctions_map_state.py`` checks them
against a running emulator. In short, a Distributed Map here:

- groups its items with ``ItemBatcher`` (``MaxItemsPerBatch``, ``MaxInputBytesPerBatch``, their
  ``...Path`` forms, ``BatchInput``): each child execution gets ``{"Items": [...], "BatchInput"}``;
- fails with ``States.ExceedToleratedFailureThreshold`` only when its failed items exceed
  ``ToleratedFailureCount`` / ``ToleratedFailurePercentage`` (whole numbers or decimals);
- runs ``EXPRESS`` child executions as well as ``STANDARD`` ones;
- counts items and child executions in ``DescribeMapRun`` as AWS does;
- runs its children on a few threads (``ChildPool``), more only while children wait, never
  more than ``MaxConcurrency`` at once;
- writes ``manifest.json``, ``SUCCEEDED_0.json`` and ``FAILED_0.json`` with ``ResultWriter``;
- lists its child executions in ``ListExecutions(mapRunArn=...)``;
- reads every object under a prefix with an ``s3:listObjectsV2`` ``ItemReader``.

moto's grammar cannot be extended, so fields it lacks (``ItemBatcher``, an ``EXPRESS`` processor)
are taken out of each Map state before moto parses a definition and attached to the parsed Map
state afterwards, matched by the state's path. The stored definition is never changed.
"""

from __future__ import annotations

import datetime
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sfn_tutorial.emulator.stepfunctions import redrive, service_integrations

TOLERANCE_EXCEEDED_ERROR = "States.ExceedToleratedFailureThreshold"
TOLERANCE_EXCEEDED_CAUSE = "The specified tolerated failure threshold was exceeded"
MAX_BATCH_BYTES = 256 * 1024  # AWS's limit on a child execution's input
# MaxConcurrency 0: AWS runs up to 10,000 children at once. Children that end quickly share
# BASE_WORKERS threads whatever the limit; only children that wait (a Wait state, a task
# token) each hold a thread, and a laptop can hold a thousand of those.
UNBOUNDED_WORKERS = 1000
BASE_WORKERS = 8  # threads that run a map run's children while none of them waits
WAITING_AFTER_S = 0.25  # a child running this long waits (a Wait state, a task token, ...)
TICK_S = 0.05  # how often a map run looks for waiting children
SETTINGS_ATTRIBUTE = "_tutorial_map_settings"
RUN_ATTRIBUTE = "_tutorial_map_run"


def apply() -> None:
    """Install every Distributed Map fix."""
    map_states_accept_item_batcher_and_express_children()
    jsonata_tolerated_failure_count_is_a_count()
    distributed_map_runs_batches_and_tolerates_failures()
    result_writer_writes_results_as_aws_does()
    map_runs_list_their_children()
    item_reader_lists_every_object()


# ---------------------------------------------------------------- definitions


@dataclass
class MapSettings:
    """What a Distributed Map state says beyond moto's grammar, attached to its iteration
    component."""

    item_batcher: dict | None = None
    count_given: bool = False
    percentage_given: bool = False
    execution_type: str = "STANDARD"
    state: Any = None  # moto's StateMap


class DefinitionProblem(ValueError):
    """A definition that AWS rejects with SCHEMA_VALIDATION_FAILED."""


def take_out_extra_fields(document: dict) -> dict[tuple, dict]:
    """Rewrite ``document`` in place so moto's grammar accepts it; return what was taken out of
    each Map state, keyed by the state's path (state names, branch indexes, ``"processor"``)."""
    extras: dict[tuple, dict] = {}

    def walk(machine: dict, path: tuple) -> None:
        states = machine.get("States")
        if not isinstance(states, dict):
            return
        for name, state in states.items():
            if not isinstance(state, dict):
                continue
            here = (*path, name)
            if state.get("Type") == "Map":
                extras[here] = _take_out_of_map(state, "/".join(map(str, here)))
            for index, branch in enumerate(state.get("Branches") or []):
                if isinstance(branch, dict):
                    walk(branch, (*here, index))
            for key in ("ItemProcessor", "Iterator"):
                if isinstance(state.get(key), dict):
                    walk(state[key], (*here, "processor"))

    walk(document, ())
    return extras


def _take_out_of_map(state: dict, where: str) -> dict:
    extra: dict = {
        "count_given": "ToleratedFailureCount" in state or "ToleratedFailureCountPath" in state,
        "percentage_given": "ToleratedFailurePercentage" in state
        or "ToleratedFailurePercentagePath" in state,
    }
    percentage = state.get("ToleratedFailurePercentage")
    if isinstance(percentage, (int, float)) and not isinstance(percentage, bool):
        if not 0 <= percentage <= 100:
            raise DefinitionProblem(
                f"ToleratedFailurePercentage must be between 0 and 100 at /States/{where}"
            )
        state["ToleratedFailurePercentage"] = float(percentage)  # moto's grammar wants 10.0
    processor = state.get("ItemProcessor") or state.get("Iterator")
    config = processor.get("ProcessorConfig") if isinstance(processor, dict) else None
    distributed = isinstance(config, dict) and config.get("Mode") == "DISTRIBUTED"
    if distributed and config.get("ExecutionType") == "EXPRESS":
        config["ExecutionType"] = "STANDARD"  # moto's grammar knows STANDARD only
        extra["execution_type"] = "EXPRESS"
    if "ItemBatcher" in state:
        batcher = state.pop("ItemBatcher")
        if not distributed:
            raise DefinitionProblem(
                f"The field 'ItemBatcher' is only supported in DISTRIBUTED mode at /States/{where}"
            )
        _check_item_batcher(batcher, where)
        extra["item_batcher"] = batcher
    return extra


def _check_item_batcher(batcher: Any, where: str) -> None:
    if not isinstance(batcher, dict):
        raise DefinitionProblem(f"ItemBatcher must be an object at /States/{where}/ItemBatcher")
    for key, value in batcher.items():
        if key in ("MaxItemsPerBatch", "MaxInputBytesPerBatch"):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise DefinitionProblem(
                    f"{key} must be a positive integer at /States/{where}/ItemBatcher/{key}"
                )
        elif key in ("MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath"):
            if not isinstance(value, str) or not value.startswith("$"):
                raise DefinitionProblem(
                    f"{key} must be a reference path at /States/{where}/ItemBatcher/{key}"
                )
        elif key == "BatchInput":
            if not isinstance(value, dict):
                raise DefinitionProblem(
                    f"BatchInput must be an object at /States/{where}/ItemBatcher/BatchInput"
                )
        else:
            raise DefinitionProblem(
                f"The field '{key}' is not supported at /States/{where}/ItemBatcher"
            )


def attach_extra_fields(program, extras: dict[tuple, dict]) -> None:
    """Attach what ``take_out_extra_fields`` took out to the parsed Map states."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.distributed_iteration_component import (  # noqa: E501
        DistributedIterationComponent,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.label import Label
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap
    from moto.stepfunctions.parser.asl.component.state.exec.state_parallel.state_parallel import (
        StateParallel,
    )

    def walk(states, path: tuple) -> None:
        for name, state in states.states.items():
            here = (*path, name)
            if isinstance(state, StateMap):
                component = state.iteration_component
                if isinstance(component, DistributedIterationComponent):
                    extra = extras.get(here, {})
                    setattr(component, SETTINGS_ATTRIBUTE, MapSettings(**extra, state=state))
                    if state.label is None:
                        try:  # AWS names the map run after the Label, else the state
                            state.label = Label(name)
                        except ValueError:
                            pass
                walk(component._states, (*here, "processor"))
            elif isinstance(state, StateParallel):
                for index, branch in enumerate(state.branches.programs):
                    walk(branch.states, (*here, index))

    walk(program.states, ())


def map_states_accept_item_batcher_and_express_children() -> None:
    """AWS accepts, in a Distributed Map state, ``ItemBatcher``, a whole-number
    ``ToleratedFailurePercentage`` such as ``10``, and ``"ExecutionType": "EXPRESS"`` child
    executions; ``DescribeStateMachine`` returns the definition as written.

    moto's grammar rejects all three with SCHEMA_VALIDATION_FAILED. Its parser is wrapped: they
    are taken out of (or rewritten in) a copy of the definition before parsing and attached to
    the parsed Map states after. Every caller goes through ``AmazonStateLanguageParser.parse``.
    """
    from moto.stepfunctions.parser.asl.parse.asl_parser import (
        AmazonStateLanguageParser,
        ASLParserException,
    )

    original = AmazonStateLanguageParser.parse

    def parse(definition: str):
        try:
            document = json.loads(definition)
        except (TypeError, ValueError):
            return original(definition)
        if not isinstance(document, dict):
            return original(definition)
        try:
            extras = take_out_extra_fields(document)
        except DefinitionProblem as problem:
            raise ASLParserException(errors=[str(problem)]) from None
        program, tree = original(json.dumps(document))
        attach_extra_fields(program, extras)
        return program, tree

    AmazonStateLanguageParser.parse = staticmethod(parse)


def jsonata_tolerated_failure_count_is_a_count() -> None:
    """``"ToleratedFailureCount": "{% 1 %}"`` in a JSONata Map state is the number of items
    that may fail, as the whole number ``1`` is.

    moto reads a JSONata ``ToleratedFailureCount`` as a ``ToleratedFailurePercentage``: the
    count stays 0 and the expression's value becomes the tolerated percentage.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.tolerated_failure import (
        ToleratedFailureCountStringJSONata,
    )
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    def visit(self, ctx):
        string_jsonata = self.visitString_jsonata(ctx=ctx.string_jsonata())
        return ToleratedFailureCountStringJSONata(string_jsonata=string_jsonata)

    Preprocessor.visitTolerated_failure_count_string_jsonata = visit


# ---------------------------------------------------------------- running a map run


def _path_value(path: str, data: Any) -> Any:
    from moto.stepfunctions.parser.asl.utils.json_path import extract_json

    return extract_json(path, data)


def _resolve_template(template: Any, data: Any) -> Any:
    """A payload template: keys ending in ``.$`` take the value at that path of ``data``."""
    if isinstance(template, dict):
        resolved = {}
        for key, value in template.items():
            if key.endswith(".$") and isinstance(value, str):
                resolved[key[:-2]] = _path_value(value, data)
            else:
                resolved[key] = _resolve_template(value, data)
        return resolved
    if isinstance(template, list):
        return [_resolve_template(value, data) for value in template]
    return template


def batches(items: list, batcher: dict, state_input: Any) -> list[dict]:
    """Group ``items`` as ``ItemBatcher`` says: each batch has at most ``MaxItemsPerBatch`` items
    and its input at most ``MaxInputBytesPerBatch`` bytes (256 KiB when not given)."""

    def limit(name: str) -> int | None:
        if name in batcher:
            return int(batcher[name])
        if name + "Path" in batcher:
            return int(_path_value(batcher[name + "Path"], state_input))
        return None

    max_items = limit("MaxItemsPerBatch")
    max_bytes = min(limit("MaxInputBytesPerBatch") or MAX_BATCH_BYTES, MAX_BATCH_BYTES)
    shell: dict = {"Items": []}
    if "BatchInput" in batcher:
        shell["BatchInput"] = _resolve_template(batcher["BatchInput"], state_input)
    base_size = _size(shell)
    groups: list[list] = []
    current: list = []
    size = base_size
    for item in items:
        item_size = _size(item) + 1
        full = max_items is not None and len(current) >= max_items
        if current and (full or size + item_size > max_bytes):
            groups.append(current)
            current, size = [], base_size
        current.append(item)
        size += item_size
    if current:
        groups.append(current)
    return [{**shell, "Items": group} for group in groups]


def _size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def _now() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.timezone.utc)


def _timestamp(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class MapRun:
    """One map run in progress: its counts, child execution records and failure tolerance."""

    record: Any  # moto's MapRunRecord, which DescribeMapRun reads
    settings: MapSettings
    total_items: int
    job_sizes: list[int]
    tolerated_count: int
    tolerated_percentage: float
    children: dict[int, dict] = field(default_factory=dict)  # kept for a ResultWriter only
    # what ListExecutions lists of each started child: [arn, name, status, start, stop]
    listing: dict[int, list] = field(default_factory=dict)
    keep_children: bool = True
    failed_items: int = 0
    exceeded: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        items, executions = self.record.item_counter, self.record.execution_counter
        items.total.offset(self.total_items)
        items.pending.offset(self.total_items)
        executions.total.offset(len(self.job_sizes))
        executions.pending.offset(len(self.job_sizes))

    def child_starts(self, index: int) -> bool:
        """Move job ``index`` from pending to running; ``False`` if the run has already failed."""
        with self.lock:
            if self.exceeded:
                self._move(index, "pending", "aborted")
                return False
            self._move(index, "pending", "running")
        return True

    def child_listed(self, index: int, arn: str, name: str, started: datetime.datetime) -> None:
        """Child ``index`` started as execution ``arn``: ListExecutions lists it from now on."""
        with self.lock:
            self.listing[index] = [arn, name, "RUNNING", started, None]

    def child_ends(self, index: int, status: str, child: dict) -> None:
        to = {"SUCCEEDED": "succeeded", "FAILED": "failed", "TIMED_OUT": "timed_out"}
        with self.lock:
            if index in self.listing:
                self.listing[index][2], self.listing[index][4] = status, _now()
            self._move(index, "running", to.get(status, "aborted"))
            if self.keep_children:
                self.children[index] = child
            if status in ("FAILED", "TIMED_OUT", "ABORTED"):
                self.failed_items += self.job_sizes[index]
                self.exceeded = self.exceeded or self._beyond_tolerance()

    def children_listed(self, map_run_arn: str, status: str | None = None) -> list[dict]:
        """The started children as ListExecutions lists them (running ones by ``startDate``,
        the others by ``stopDate``), newest first; only those in ``status`` if given."""
        with self.lock:
            entries = [(index, list(entry)) for index, entry in self.listing.items()]
        items = [
            _listing_item(self, map_run_arn, index, entry)
            for index, entry in entries
            if status is None or entry[2] == status
        ]
        items.sort(key=lambda item: item.get("stopDate") or item["startDate"], reverse=True)
        return items

    def children_abandoned(self, indexes: list[int]) -> None:
        """The parent stopped before jobs ``indexes`` started: they are aborted."""
        with self.lock:
            for index in indexes:
                self._move(index, "pending", "aborted")

    def _move(self, index: int, source: str, target: str) -> None:
        for counter, amount in (
            (self.record.item_counter, self.job_sizes[index]),
            (self.record.execution_counter, 1),
        ):
            getattr(counter, source).offset(-amount)
            getattr(counter, target).offset(amount)

    def _beyond_tolerance(self) -> bool:
        """AWS: the map run fails when failed (or timed-out) items exceed the tolerated count or
        percentage of all items; with neither field given, no failure is tolerated."""
        if not (self.settings.count_given or self.settings.percentage_given):
            return self.failed_items > 0
        if self.settings.count_given and self.failed_items > self.tolerated_count:
            return True
        percentage = 100.0 * self.failed_items / max(self.total_items, 1)
        return self.settings.percentage_given and percentage > self.tolerated_percentage

    def child_arn(self, name: str) -> str:
        machine = self.record.map_state_machine_arn
        if self.settings.execution_type == "EXPRESS":
            return machine.replace(":stateMachine:", ":express:") + f":{name}:{uuid.uuid4()}"
        return machine.replace(":stateMachine:", ":execution:") + f":{name}"


def _run_job(worker, env, job) -> None:
    """One child execution of a map run (moto runs it inside the parent's process)."""
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import (
        EvalTimeoutError,
    )
    from moto.stepfunctions.parser.asl.eval.program_state import (
        ProgramError,
        ProgramStopped,
        ProgramTimedOut,
    )
    from moto.stepfunctions.parser.asl.eval.states import ItemData, MapData

    run: MapRun | None = getattr(worker._map_run_record, RUN_ATTRIBUTE, None)
    if run is None or not run.child_starts(job.job_index):
        job.job_output = None
        return
    outcome = redrive.iteration_outcome(worker._env, env, job.job_index)
    name, started = str(uuid.uuid4()), _now()
    child = {
        "ExecutionArn": run.child_arn(name),
        "Input": json.dumps(job.job_input),
        "InputDetails": {"Included": True},
        "Name": name,
        "StartDate": _timestamp(started),
        "StateMachineArn": run.record.map_state_machine_arn,
    }
    run.child_listed(job.job_index, child["ExecutionArn"], name, started)
    status, output, error, cause = "SUCCEEDED", None, None, None
    if outcome is not None and outcome[0] == "done":  # succeeded before a redrive: kept
        _child_ended(run, job, child, status, outcome[1], error, cause)
        return
    try:
        env.states.context_object.context_object_data["Map"] = MapData(
            Item=ItemData(Index=job.job_index, Value=job.job_input)
        )
        env.states.reset(job.job_input)
        env.stack.append(env.states.get_input())
        worker._eval_input(env_frame=env)
        job.job_program.eval(env)
        end = env.program_state()
        if isinstance(end, ProgramError):
            status = "FAILED"
            error, cause = (end.error or {}).get("error"), (end.error or {}).get("cause")
        elif isinstance(end, ProgramTimedOut):
            status, error = "TIMED_OUT", "States.Timeout"
        elif isinstance(end, ProgramStopped):
            status = "ABORTED"
        else:
            output = env.states.get_input()
    except EvalTimeoutError:
        status, error = "TIMED_OUT", "States.Timeout"
    except FailureEventException as failure:
        status = "FAILED"
        error, cause = failure.extract_error_cause_pair() or (None, None)
    except Exception as unexpected:  # an interpreter error fails this child only
        status, error, cause = (
            "FAILED",
            "States.Runtime",
            f"{type(unexpected).__name__}: {unexpected}",
        )
    _child_ended(run, job, child, status, output, error, cause)


def _child_ended(run: MapRun, job, child: dict, status, output, error, cause) -> None:
    """Record how a child execution ended, in its record, its job and the map run's counts."""
    child["Status"] = status
    child["StopDate"] = _timestamp(_now())
    if status == "SUCCEEDED":
        child["Output"] = json.dumps(output)
        child["OutputDetails"] = {"Included": True}
        child["RedriveCount"] = 0
        child["RedriveStatus"] = "NOT_REDRIVABLE"
        child["RedriveStatusReason"] = "Execution is SUCCEEDED and cannot be redriven"
        job.job_output = output
    else:
        if error is not None:
            child["Error"] = error
        if cause is not None:
            child["Cause"] = cause
        child["RedriveCount"] = 0
        child["RedriveStatus"] = "REDRIVABLE_BY_MAP_RUN"
        job.job_output = dict(child)  # AWS returns a failed child's result unchanged
    run.child_ends(job.job_index, status, child)


class ChildPool:
    """The threads that run one map run's child executions, at most ``limit()`` at once.

    AWS runs up to ``MaxConcurrency`` child executions at the same time. One thread per running
    child (moto's way) is 1,000 threads for ``MaxConcurrency`` 1000, which on one interpreter
    lock only compete with each other and hold memory. Here children run on ``BASE_WORKERS``
    threads while they end quickly. A child that has run ``WAITING_AFTER_S`` is taken to be
    waiting (a Wait state, a task token, a long Lambda call): for each one the pool starts two
    more threads (never more than ``limit()``, read again on every tick so that
    ``UpdateMapRun`` applies), so children that wait, wait together, as on AWS. A thread ends
    after its child when more run than ``BASE_WORKERS`` plus twice the waiting ones, or than
    ``limit()``.

    ``run_one(job)`` runs a job and sets its ``job_output``; ``parent_running()`` says whether
    the execution still runs (once it does not, jobs not started are handed to
    ``abandoned(indexes)``); an exception out of ``run_one`` ends the pool and is raised by
    ``run()``, as moto's job pool raises a worker's exception.
    """

    def __init__(
        self,
        jobs: list,
        run_one: Callable[[Any], None],
        limit: Callable[[], int],
        parent_running: Callable[[], bool] = lambda: True,
        abandoned: Callable[[list[int]], None] = lambda indexes: None,
    ) -> None:
        self.jobs: list = list(jobs)
        self.run_one, self.limit = run_one, limit
        self.parent_running, self.abandoned = parent_running, abandoned
        self.outputs: list = [None] * len(self.jobs)
        self.lock = threading.Lock()
        self.finished = threading.Event()
        self.taken = self.ended = self.alive = self.most = self.waiting = 0
        self.busy: dict[int, list] = {}  # thread number -> [when its child started, counted]
        self.numbers = itertools.count()
        self.error: BaseException | None = None

    def run(self) -> list:
        """Run every job; return their outputs in the jobs' order."""
        if not self.jobs:
            return []
        self._start(min(BASE_WORKERS, max(self.limit(), 1), len(self.jobs)))
        while not self.finished.wait(TICK_S):
            self._tick()
        if self.error is not None:
            raise self.error
        return self.outputs

    def _tick(self) -> None:
        now = time.monotonic()
        with self.lock:
            waiting = newly = 0
            for entry in self.busy.values():
                if now - entry[0] >= WAITING_AFTER_S:
                    waiting += 1
                    newly += not entry[1]
                    entry[1] = True
            self.waiting = waiting
            room = min(max(self.limit(), 1) - self.alive, len(self.jobs) - self.taken)
            more = min(2 * newly, room)
            if self.alive == 0 and room > 0:
                more = max(more, 1)
        self._start(more)

    def _start(self, count: int) -> None:
        if count <= 0:
            return
        with self.lock:
            self.alive += count
            self.most = max(self.most, self.alive)
        for _ in range(count):
            number = next(self.numbers)
            threading.Thread(
                target=self._work, args=(number,), name=f"map-child-{number}", daemon=True
            ).start()

    def _work(self, number: int) -> None:
        job = self._take(number)
        while job is not None:
            try:
                self.run_one(job)
            except BaseException as error:  # noqa: BLE001 - raised again by run()
                with self.lock:
                    self.error = self.error or error
                    self.alive -= 1
                    self.busy.pop(number, None)
                self.finished.set()
                return
            self._end(job)
            job = self._take(number)

    def _take(self, number: int):
        """The next job for thread ``number``; ``None`` when it should end: no job is left,
        more threads run than are needed, or the parent execution stopped."""
        left = None
        with self.lock:
            self.busy.pop(number, None)
            done = self.error is not None or self.taken == len(self.jobs)
            too_many = self.alive > min(max(self.limit(), 1), BASE_WORKERS + 2 * self.waiting)
            if not done and not too_many and not self.parent_running():
                left = list(range(self.taken, len(self.jobs)))
                self.ended += len(left)
                self.taken = len(self.jobs)
                done = True
            if done or too_many:
                self.alive -= 1
                job = None
            else:
                job = self.jobs[self.taken]
                self.taken += 1
                self.busy[number] = [time.monotonic(), False]
        if left:
            self.abandoned(left)
            with self.lock:
                if self.ended == len(self.jobs):
                    self.finished.set()
        return job

    def _end(self, job) -> None:
        with self.lock:
            self.outputs[job.job_index] = job.job_output
            self.jobs[job.job_index] = None  # its input and output are let go of
            self.ended += 1
            if self.ended == len(self.jobs):
                self.finished.set()


def _map_run(self, env, eval_input) -> None:
    """Replaces moto's ``DistributedIterationComponent._map_run``."""
    from moto.stepfunctions.parser.api import (
        HistoryEventType,
        MapRunFailedEventDetails,
        MapRunStatus,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.job import Job
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped

    settings: MapSettings = getattr(self, SETTINGS_ATTRIBUTE, None) or MapSettings()
    env.tutorial_replaying = redrive.replaying(env)  # redriven: keep the children that succeeded
    items = env.stack.pop()
    record = eval_input.map_run_record
    if settings.item_batcher is not None:
        job_inputs = batches(items, settings.item_batcher, env.states.get_input())
        job_sizes = [len(batch["Items"]) for batch in job_inputs]
    else:
        job_inputs, job_sizes = items, [1] * len(items)
    run = MapRun(
        record=record,
        settings=settings,
        total_items=len(items),
        job_sizes=job_sizes,
        tolerated_count=int(eval_input.tolerated_failure_count or 0),
        tolerated_percentage=float(eval_input.tolerated_failure_percentage or 0.0),
        keep_children=settings.state is None or settings.state.result_writer is not None,
    )
    setattr(record, RUN_ATTRIBUTE, run)
    setattr(env, RUN_ATTRIBUTE, run)  # for this Map state's ResultWriter
    run.start()

    worker = self._create_worker(env=env, eval_input=eval_input, job_pool=None)
    jobs = [
        Job(job_index=index, job_program=self._get_iteration_program(), job_input=job_input)
        for index, job_input in enumerate(job_inputs)
    ]
    del job_inputs
    parent = worker._env

    def run_one(job) -> None:
        frame = parent.open_inner_frame()
        # A child execution has a history of its own, as on AWS; nothing reads it once the
        # child ended, so it goes with the child rather than piling up for the whole map run.
        frame.event_manager = EventManager()
        try:
            _run_job(worker, frame, job)
        finally:
            parent.delete_frame(frame)

    outputs = ChildPool(
        jobs,
        run_one,
        limit=lambda: record.max_concurrency or UNBOUNDED_WORKERS,
        parent_running=parent.is_running,
        abandoned=run.children_abandoned,
    ).run()
    if isinstance(parent.program_state(), ProgramStopped):  # StopExecution: AWS aborts the run
        set_stop = record.set_stop
        record.set_stop = lambda status: set_stop(MapRunStatus.ABORTED)

    if not run.exceeded:
        env.stack.append(outputs)
        return
    state = settings.state
    if state is not None and state.result_writer is not None:
        env.stack.append(outputs)
        state.result_writer.eval(env)  # AWS writes the results of a failed map run too
        env.stack.pop()
    raise FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=StatesErrorName(
                typ=StatesErrorNameType.StatesExceedToleratedFailureThreshold
            ),
            event_type=HistoryEventType.MapRunFailed,
            event_details=EventDetails(
                mapRunFailedEventDetails=MapRunFailedEventDetails(
                    error=TOLERANCE_EXCEEDED_ERROR, cause=TOLERANCE_EXCEEDED_CAUSE
                )
            ),
        )
    )


def distributed_map_runs_batches_and_tolerates_failures() -> None:
    """A Distributed Map on AWS: each child execution gets one item, or with ``ItemBatcher``
    ``{"Items": [...], "BatchInput": {...}}``; at most ``MaxConcurrency`` run at once. A failed
    child does not fail the Map unless the failed items exceed ``ToleratedFailureCount`` or
    ``ToleratedFailurePercentage`` (of all items; with neither, none is tolerated): then the map
    run fails with ``States.ExceedToleratedFailureThreshold``, "The specified tolerated failure
    threshold was exceeded", and no new child starts. ``DescribeMapRun`` counts items and
    executions (pending, running, succeeded, failed, timedOut, aborted, total).

    moto ignores both tolerances (every map run succeeds, with ``null`` for failed items), runs
    one child per item, counts executions that never end as running, and starts one thread
    per item when MaxConcurrency is 0 (and ``MaxConcurrency`` threads otherwise: 1,000 threads
    and 600 MB for 100,000 items at 1000; ``ChildPool`` runs them on a few).
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.distributed_iteration_component import (  # noqa: E501
        DistributedIterationComponent,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.distributed_item_processor_worker import (  # noqa: E501
        DistributedItemProcessorWorker,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.iterator.distributed_iterator_worker import (  # noqa: E501
        DistributedIteratorWorker,
    )

    DistributedIterationComponent._map_run = _map_run
    for worker_class in (DistributedItemProcessorWorker, DistributedIteratorWorker):
        worker_class._eval_job = lambda self, env, job: _run_job(self, env, job)


# ---------------------------------------------------------------- ResultWriter


def write_results(s3, bucket: str, prefix: str, run: MapRun, map_run_arn: str) -> str:
    """Write the map run's results as AWS does; return the manifest's key.

    ``{Prefix}/{map run id}/manifest.json`` lists ``SUCCEEDED_0.json``, ``FAILED_0.json`` and
    ``PENDING_0.json`` (each a JSON array of child execution records), whichever have records.
    """
    folder = (prefix.rstrip("/") + "/" if prefix else "") + map_run_arn.split(":")[-1] + "/"
    with run.lock:
        children = sorted(run.children.items())
    files: dict[str, list] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
    for status in files:
        written = [
            (index, child)
            for index, child in children
            if _result_file_status(child["Status"]) == status
        ]
        if not written:
            continue
        key = f"{folder}{status}_0.json"
        body = json.dumps([child for _, child in written]).encode()
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        files[status].append({"Key": key, "Size": len(body)})
        run.record.item_counter.results_written.offset(
            sum(run.job_sizes[index] for index, _ in written)
        )
        run.record.execution_counter.results_written.offset(len(written))
    manifest = {"DestinationBucket": bucket, "MapRunArn": map_run_arn, "ResultFiles": files}
    key = folder + "manifest.json"
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(manifest).encode())
    return key


def _result_file_status(status: str) -> str:
    return {"SUCCEEDED": "SUCCEEDED", "RUNNING": "PENDING", "PENDING": "PENDING"}.get(
        status, "FAILED"
    )


def result_writer_writes_results_as_aws_does() -> None:
    """``ResultWriter`` on AWS writes ``{Prefix}/{map run id}/manifest.json`` and the child
    executions' records, by status, to ``SUCCEEDED_0.json`` / ``FAILED_0.json``; the Map's output
    is ``{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}`` (the manifest's key).

    moto writes a manifest that lists no files and writes no results.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval.resource_eval_s3 import (  # noqa: E501
        ResourceEvalS3,
    )

    def _handle_put_object(env, resource_runtime_part, state_credentials) -> None:
        parameters = env.stack.pop()
        env.stack.pop()  # the children's outputs: the records hold them
        run = getattr(env, RUN_ATTRIBUTE, None)
        record = run.record if run else env.map_run_record_pool_manager.get_all()[-1]
        s3 = ResourceEvalS3._get_s3_client(
            resource_runtime_part=resource_runtime_part, state_credentials=state_credentials
        )
        bucket = parameters["Bucket"]
        if run is None:
            run = MapRun(record, MapSettings(), 0, [], 0, 0.0)
        key = write_results(s3, bucket, parameters.get("Prefix", ""), run, record.map_run_arn)
        env.stack.append(
            {
                "MapRunArn": record.map_run_arn,
                "ResultWriterDetails": {"Bucket": bucket, "Key": key},
            }
        )

    ResourceEvalS3._handle_put_object = staticmethod(_handle_put_object)


# ---------------------------------------------------------------- listing a map run's children


def map_runs_list_their_children() -> None:
    """``ListExecutions(mapRunArn=...)`` lists the child executions a map run started (AWS's API
    reference: "a list of all of the child workflow executions started by a Map Run"), each
    with its ``mapRunArn`` and ``itemCount``, the items it processed (returned only when
    listing by map run). ``statusFilter``, ``maxResults`` and ``nextToken`` work as for a state
    machine; running children come first by ``startDate``, the others by ``stopDate``, newest
    first. ``mapRunArn`` and ``stateMachineArn`` together are a ``ValidationException`` (the
    reference: "either a mapRunArn or a stateMachineArn, but not both"); a map run that does
    not exist is ``ResourceNotFound``, as for ``DescribeMapRun``.

    moto's ``ListExecutions`` knows no ``mapRunArn`` and answered HTTP 500."""
    from moto.core.responses import ActionResult
    from moto.stepfunctions.parser.api import ResourceNotFound, ValidationException
    from moto.stepfunctions.responses import StepFunctionResponse

    from sfn_tutorial.emulator.stepfunctions import versions

    original = StepFunctionResponse.list_executions

    def list_executions(self):
        map_run_arn = self._get_param("mapRunArn")
        if not map_run_arn:
            return original(self)
        if self._get_param("stateMachineArn"):
            raise ValidationException("Specify either a stateMachineArn or a mapRunArn, not both")
        run = _map_run_of(self.stepfunction_backend, map_run_arn)
        if run is None:
            raise ResourceNotFound(f"Resource not found: '{map_run_arn}'")
        status = self._get_param("statusFilter")
        listed, token = versions.page(
            run.children_listed(map_run_arn, status),
            self._get_int_param("maxResults"),
            self._get_param("nextToken"),
            f"map-run:{map_run_arn}:{status}",
        )
        answer = {"executions": listed}
        if token:
            answer["nextToken"] = token
        return ActionResult(answer)

    StepFunctionResponse.list_executions = list_executions


def _map_run_of(backend, map_run_arn: str) -> MapRun | None:
    """The map run ``map_run_arn`` of one of ``backend``'s executions, as DescribeMapRun finds
    it (``None`` when no execution has it)."""
    for machine in list(backend.state_machines):
        for execution in list(machine.executions):
            worker = getattr(execution, "exec_worker", None)
            pool = getattr(getattr(worker, "env", None), "map_run_record_pool_manager", None)
            record = pool.get(map_run_arn) if pool is not None else None
            if record is not None:
                return getattr(record, RUN_ATTRIBUTE, None)
    return None


def _listing_item(run: MapRun, map_run_arn: str, index: int, entry: list) -> dict:
    arn, name, status, started, stopped = entry
    item = {
        "executionArn": arn,
        "stateMachineArn": run.record.map_state_machine_arn,
        "name": name,
        "status": status,
        "startDate": started,
        "mapRunArn": map_run_arn,
        "itemCount": run.job_sizes[index],
    }
    if stopped is not None:
        item["stopDate"] = stopped
    return item


# ---------------------------------------------------------------- ItemReader: objects in a bucket


def item_reader_lists_every_object() -> None:
    """An ``ItemReader`` with ``arn:aws:states:::s3:listObjectsV2`` gives one item per object
    under the ``Prefix``, every page of the listing, each shaped as the example item in AWS's
    ItemReader documentation: ``{"Etag": ..., "Key": ..., "LastModified": <seconds since 1970>,
    "Size": ..., "StorageClass": ...}`` (from memory of that page: no stored copy of it, and no
    recorded case, was at hand to check); an empty prefix gives no items.

    moto read the first page only (1,000 objects), failed on an empty one (no ``Contents``),
    and passed S3's dates on as datetimes, which no execution could then write out: every
    such Map failed with ``States.Runtime``.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval import (
        resource_eval_s3,
    )

    reader = resource_eval_s3.ResourceEvalS3

    def _handle_list_objects_v2(env, resource_runtime_part, state_credentials) -> None:
        s3 = reader._get_s3_client(
            resource_runtime_part=resource_runtime_part, state_credentials=state_credentials
        )
        pages = s3.get_paginator("list_objects_v2").paginate(**env.stack.pop())
        env.stack.append([as_item(listed) for page in pages for listed in page.get("Contents", [])])

    reader._handle_list_objects_v2 = staticmethod(_handle_list_objects_v2)


def as_item(listed: dict) -> dict:
    """One object of an S3 listing as a Distributed Map item."""
    item = {"Etag": listed.get("ETag"), "Key": listed["Key"]}
    if isinstance(listed.get("LastModified"), datetime.datetime):
        item["LastModified"] = service_integrations.in_seconds(listed["LastModified"])
    item["Size"] = listed.get("Size")
    item["StorageClass"] = listed.get("StorageClass")
    return {key: value for key, value in item.items() if value is not None}
