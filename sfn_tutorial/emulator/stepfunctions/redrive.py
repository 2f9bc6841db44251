"""``RedriveExecution``: a failed, aborted or timed-out Standard execution continues from where it
stopped, keeping what succeeded.

AWS (Step Functions API reference, RedriveExecution; developer guide, "Redriving executions"):

- The execution goes on under the same ARN, with the same definition (its version's, if it has
  one), from the state that did not succeed, with the input that state had; the states that
  succeeded are not run again. Its history goes on too: an ``ExecutionRedriven`` event
  (``redriveCount``), then the unsuccessful state entered again. The state machine's
  ``TimeoutSeconds`` starts again from 0.
- A Parallel state redrives only the branches that did not succeed, an inline Map state only the
  iterations that did not succeed (each from its own unsuccessful state); the others keep their
  output. A Distributed Map runs again only its child workflows that did not succeed.
- ``$$.Execution.RedriveCount`` is the number of redrives so far (0 before the first) and
  ``$$.Execution.RedriveTime`` the time of the last one.
- Only an execution that did not succeed, of a STANDARD machine, within 14 days of its end, with
  fewer than 24,999 history events, may be redriven; otherwise ``ExecutionNotRedrivable``.
  ``DescribeExecution`` says which with ``redriveStatus`` (``REDRIVABLE`` / ``NOT_REDRIVABLE``,
  with a ``redriveStatusReason``), and counts ``redriveCount`` and ``redriveDate``.
  ``clientToken`` makes a retried request redrive once.

moto's server has no ``RedriveExecution`` (HTTP 500). Here every Standard execution keeps a
*journal*: for each scope (the execution, each Parallel branch, each Map iteration) the last
state entered, with its input and variables, and the output of each branch or iteration that
succeeded. A redrive starts a new interpreter run on the same history that resumes each scope
from its journal. ``apply()`` is called by ``emulator.fixes.apply()``;
``tests/test_stepfunctions_redrive.py`` checks each behaviour against a running emulator.
"""

from __future__ import annotations

import copy
import datetime
import functools
import threading
from dataclasses import dataclass
from typing import TypedDict

from sfn_tutorial.emulator.stepfunctions import lifecycle

REDRIVABLE_DAYS = 14
MAX_HISTORY_EVENTS = 24_999
RUNNING = "Execution is RUNNING and cannot be redriven"
SUCCEEDED = "Execution is SUCCEEDED and cannot be redriven"
PERIOD_EXCEEDED = "Execution redrivable period exceeded"
EVENT_LIMIT_EXCEEDED = "Execution history event limit exceeded"
_redriving = threading.Lock()


def apply() -> None:
    """Standard executions keep a journal; ``RedriveExecution`` resumes from it."""
    executions_keep_a_journal()
    frames_inherit_their_scope()
    states_are_journaled_as_they_are_entered()
    programs_resume_where_the_journal_says()
    parallel_states_redrive_only_unsuccessful_branches()
    map_states_redrive_only_unsuccessful_iterations()
    redrive_execution_is_available()
    executions_report_their_redrives()
    sync_task_results_have_no_redrive_fields()
    lifecycle.watch(_ForgetsSucceeded())


# ---------------------------------------------------------------- the journal


@dataclass
class Entry:
    """The last state entered in a scope: what it needs to run again."""

    state: str
    input: object
    variables: dict


class Journal:
    """Per scope (``()`` for the execution, ``(..., state, index)`` for a Parallel branch or a
    Map iteration): the last state entered, and the output of each scope that succeeded."""

    def __init__(self) -> None:
        self.entries: dict[tuple, Entry] = {}
        self.done: dict[tuple, object] = {}
        self.below: dict[tuple, set] = {}  # (scope, state) -> the scopes of its branches
        self.lock = threading.Lock()

    def entered(self, scope: tuple, entry: Entry, resuming: bool, nests: bool) -> None:
        """A state was entered in ``scope``. A Parallel or Map state (``nests``) entered anew,
        not resuming, forgets what its branches and iterations did on an earlier visit."""
        with self.lock:
            self.entries[scope] = entry
            self.done.pop(scope, None)
            if scope:
                self.below.setdefault(scope[:-1], set()).add(scope)
            if nests and not resuming:
                self._forget(scope + (entry.state,))

    def _forget(self, prefix: tuple) -> None:
        for scope in self.below.pop(prefix, ()):
            self.entries.pop(scope, None)
            self.done.pop(scope, None)
            for nested in [key for key in self.below if key[:-1] == scope]:
                self._forget(nested)

    def succeeded(self, scope: tuple, output) -> None:
        with self.lock:
            self.done[scope] = output

    def outcome(self, scope: tuple):
        """``("done", output)``, ``("resume", Entry)`` or ``None`` (never started)."""
        with self.lock:
            if scope in self.done:
                return "done", copy.deepcopy(self.done[scope])
            if scope in self.entries:
                return "resume", self.entries[scope]
        return None


@dataclass
class Replay:
    """A redriven Parallel or Map state's first attempt: it keeps what succeeded. Its frames
    share it, so that the state's retries, once it is used, run everything again."""

    scope: tuple
    used: bool = False


def journal_of(execution) -> Journal | None:
    return getattr(execution, "tutorial_journal", None)


def executions_keep_a_journal() -> None:
    """A Standard execution's environment gets the execution's journal and the scope ``()``;
    Express executions cannot be redriven and keep none."""
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    original = ExecutionWorker._get_evaluation_environment

    def _get_evaluation_environment(self):
        env = original(self)
        execution = self._execution_communication.execution
        env.tutorial_scope = ()
        env.tutorial_journal = None
        if env.is_standard_workflow() and not _is_express(execution):
            if journal_of(execution) is None:
                execution.tutorial_journal = Journal()
            env.tutorial_journal = execution.tutorial_journal
        return env

    ExecutionWorker._get_evaluation_environment = _get_evaluation_environment


def _is_express(execution) -> bool:
    return execution.exec_arn.split(":")[5:6] == ["express"]


def frames_inherit_their_scope() -> None:
    """A frame (a branch, an iteration, a Task's timed call) writes to its parent's journal, in
    its parent's scope until a branch or iteration gives it its own."""
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    original = Environment.as_inner_frame_of.__func__

    def as_inner_frame_of(cls, env, *args, **kwargs):
        frame = original(cls, env, *args, **kwargs)
        frame.tutorial_journal = getattr(env, "tutorial_journal", None)
        frame.tutorial_scope = getattr(env, "tutorial_scope", ())
        frame.tutorial_replay = getattr(env, "tutorial_replay", None)
        frame.tutorial_own_scope = False  # until a branch or iteration gives it one
        return frame

    Environment.as_inner_frame_of = classmethod(as_inner_frame_of)

    # The first name a resumed program is told to start at is its resume point instead.
    name_property = Environment.next_state_name

    def set_next_state_name(self, name):
        start = getattr(self, "tutorial_start_at", None)
        if start is not None:
            self.tutorial_start_at = None
            name = start
        name_property.fset(self, name)

    Environment.next_state_name = property(name_property.fget, set_next_state_name)


def state_name_of(env) -> str | None:
    """The state ``env`` is evaluating."""
    state = env.states.context_object.context_object_data.get("State") or {}
    return state.get("Name")


def states_are_journaled_as_they_are_entered() -> None:
    """Each state entered is written to its scope's journal with its input and variables."""
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField

    original = CommonStateField._eval_body

    from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap
    from moto.stepfunctions.parser.asl.component.state.exec.state_parallel.state_parallel import (
        StateParallel,
    )

    def _eval_body(self, env):
        journal = getattr(env, "tutorial_journal", None)
        if journal is not None:
            scope = env.tutorial_scope
            resuming = getattr(env, "tutorial_resuming", None) == self.name
            env.tutorial_resuming = None
            variables = copy.deepcopy(env.variable_store._inner_scope)
            entry = Entry(self.name, env.states.get_input(), variables)
            nests = isinstance(self, (StateMap, StateParallel))
            journal.entered(scope, entry, resuming, nests)
            env.tutorial_replay = Replay(scope + (self.name,)) if resuming and nests else None
        return original(self, env)

    CommonStateField._eval_body = _eval_body


def resume(env, entry: Entry) -> None:
    """Make ``env``'s next program start at ``entry``'s state, with its input and variables."""
    env.tutorial_resume = entry


def programs_resume_where_the_journal_says() -> None:
    """A program run on an environment told to ``resume`` starts at the journal's state with
    the journal's input and variables (instead of ``StartAt``); a branch or iteration program
    that succeeds records its output."""
    from moto.stepfunctions.parser.asl.component.program.program import Program
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramEnded

    original = Program.eval

    def eval(self, env):  # noqa: A001 - moto's name
        entry = getattr(env, "tutorial_resume", None)
        if entry is not None:
            env.tutorial_resume = None
            env.states.reset(copy.deepcopy(entry.input))
            env.variable_store._inner_scope.update(copy.deepcopy(entry.variables))
            env.variable_store._variable_declarations_cache = None
            env.tutorial_resuming = entry.state
            env.tutorial_start_at = entry.state
        original(self, env)
        journal = getattr(env, "tutorial_journal", None)
        if journal is not None and getattr(env, "tutorial_own_scope", False):
            if isinstance(env.program_state(), ProgramEnded):
                journal.succeeded(env.tutorial_scope, env.states.get_input())

    Program.eval = eval


def replaying(env) -> bool:
    """Whether the Parallel or Map state ``env`` evaluates is being redriven: its first attempt
    after a redrive, which keeps what succeeded (the state's retries run everything again)."""
    replay = getattr(env, "tutorial_replay", None)
    if replay is None or replay.used:
        return False
    replay.used = True
    return replay.scope == env.tutorial_scope + (state_name_of(env),)


def child_scope(env, index: int) -> tuple:
    """The scope of branch or iteration ``index`` of the state ``env`` evaluates."""
    return getattr(env, "tutorial_scope", ()) + (state_name_of(env), index)


def parallel_states_redrive_only_unsuccessful_branches() -> None:
    """When a redriven Parallel state runs again, branches that succeeded keep their output and
    are not run; the others resume from their unsuccessful state."""
    from moto.stepfunctions.parser.api import ExecutionFailedEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branches_decl
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    def _eval_body(self, env):
        input_value = env.stack.pop()
        replay = replaying(env)
        results: dict[int, object] = {}
        launched = []
        for index, program in enumerate(self.programs):
            scope = child_scope(env, index)
            outcome = env.tutorial_journal.outcome(scope) if replay else None
            if outcome is not None and outcome[0] == "done":
                results[index] = outcome[1]
                continue
            frame = env.open_inner_frame()
            frame.states.reset(input_value=input_value)
            frame.tutorial_scope, frame.tutorial_own_scope = scope, True
            if outcome is not None:
                resume(frame, outcome[1])
            launched.append((index, frame, program))
        pool = branches_decl.BranchWorkerPool(workers_num=len(launched))
        workers = []
        for index, frame, program in launched:
            worker = branches_decl.BranchWorker(branch_worker_comm=pool, program=program, env=frame)
            workers.append((index, worker))
            worker.start()
        if workers:
            pool.wait()
        failure: ExecutionFailedEventDetails | None = pool.get_exit_event_details()
        if failure is not None:
            for _, worker in workers:
                worker.stop(stop_date=datetime.datetime.now(), cause=None, error=None)
                env.close_frame(worker.env)
            raise FailureEventException(
                failure_event=FailureEvent(
                    env=env,
                    # the module's name, which ``interpreter`` makes keep States.* errors
                    error_name=branches_decl.CustomErrorName(error_name=failure.get("error")),
                    event_type=HistoryEventType.ExecutionFailed,
                    event_details=EventDetails(executionFailedEventDetails=failure),
                )
            )
        for index, worker in workers:
            results[index] = worker.env.states.get_input()
            env.close_frame(worker.env)
        env.stack.append([results[index] for index in range(len(self.programs))])

    branches_decl.BranchesDecl._eval_body = _eval_body


def map_states_redrive_only_unsuccessful_iterations() -> None:
    """When a redriven inline Map state runs again, iterations that succeeded keep their output
    and are not run (nor recorded again); the others resume from their unsuccessful state. A
    Distributed Map's child workflows are redriven the same way (``map_state`` asks
    ``iteration_outcome``)."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
        inline_iteration_component,
        iteration_worker,
    )

    component = inline_iteration_component.InlineIterationComponent
    original_body = component._eval_body

    def _eval_body(self, env):
        env.tutorial_replaying = replaying(env)
        try:
            return original_body(self, env)
        finally:
            env.tutorial_replaying = False

    component._eval_body = _eval_body

    worker = iteration_worker.IterationWorker
    original_job = worker._eval_job

    def _eval_job(self, env, job):
        outcome = iteration_outcome(self._env, env, job.job_index)
        if outcome is not None and outcome[0] == "done":
            job.job_output = outcome[1]
            return
        return original_job(self, env, job)

    worker._eval_job = _eval_job


def iteration_outcome(map_env, iteration_env, index: int):
    """Give a Map iteration (or child workflow) its scope; while the Map is being redriven,
    its journal outcome: ``("done", output)`` to keep, or ``("resume", entry)``, which is
    applied to ``iteration_env`` here."""
    iteration_env.tutorial_scope = scope = child_scope(map_env, index)
    iteration_env.tutorial_own_scope = True
    journal = getattr(map_env, "tutorial_journal", None)
    if journal is None or not getattr(map_env, "tutorial_replaying", False):
        return None
    outcome = journal.outcome(scope)
    if outcome is not None and outcome[0] == "resume":
        resume(iteration_env, outcome[1])
    return outcome


class _ForgetsSucceeded:
    """An execution that succeeded cannot be redriven: its journal is let go of at once."""

    kinds = frozenset()

    def event(self, execution, event) -> None:
        pass

    def ended(self, execution) -> None:
        if execution.status == "SUCCEEDED":
            execution.tutorial_journal = None
            env = getattr(execution.exec_worker, "env", None)
            if env is not None:
                env.tutorial_journal = None


# ---------------------------------------------------------------- redriving


def redrive_count(execution) -> int:
    return getattr(execution, "tutorial_redrive_count", 0)


def redrive_date(execution):
    return getattr(execution, "tutorial_redrive_date", None)


def is_redriven(execution) -> bool:
    return redrive_count(execution) > 0


def history_length(execution) -> int:
    env = getattr(execution.exec_worker, "env", None)
    return len(env.event_manager.get_event_history()) if env is not None else 0


def not_redrivable_because(execution, now: datetime.datetime | None = None) -> str | None:
    """Why AWS would refuse to redrive ``execution`` (``None``: it may be redriven)."""
    status = execution.status
    if status == "RUNNING":
        return RUNNING
    if status == "SUCCEEDED":
        return SUCCEEDED
    stopped = execution.stop_date
    now = now or datetime.datetime.now(tz=datetime.timezone.utc)
    if stopped is not None:
        if stopped.tzinfo is None:
            stopped = stopped.replace(tzinfo=datetime.timezone.utc)
        if now - stopped > datetime.timedelta(days=REDRIVABLE_DAYS):
            return PERIOD_EXCEEDED
    if history_length(execution) >= MAX_HISTORY_EVENTS:
        return EVENT_LIMIT_EXCEEDED
    return None


def describe_fields(execution) -> dict:
    """``DescribeExecution``'s redrive fields for a Standard execution."""
    reason = not_redrivable_because(execution)
    fields = {"redriveCount": redrive_count(execution)}
    if redrive_date(execution) is not None:
        fields["redriveDate"] = redrive_date(execution)
    fields["redriveStatus"] = "NOT_REDRIVABLE" if reason else "REDRIVABLE"
    if reason:
        fields["redriveStatusReason"] = reason
    return fields


def list_fields(execution) -> dict:
    """``ListExecutions``' redrive fields: ``redriveCount``, and ``redriveDate`` once redriven."""
    fields = {"redriveCount": redrive_count(execution)}
    if redrive_date(execution) is not None:
        fields["redriveDate"] = redrive_date(execution)
    return fields


def redrive(execution, client_token: str | None = None) -> datetime.datetime:
    """Redrive ``execution`` as AWS does; return the redrive's date."""
    from moto.stepfunctions.parser.api import ExecutionNotRedrivable, ExecutionStatus

    with _redriving:
        tokens = execution.__dict__.setdefault("tutorial_redrive_tokens", {})
        if client_token and client_token in tokens:
            return tokens[client_token]
        reason = not_redrivable_because(execution)
        if reason:
            raise ExecutionNotRedrivable(reason)
        previous = execution.exec_worker
        now = datetime.datetime.now(tz=datetime.timezone.utc)
        execution.tutorial_redrive_count = redrive_count(execution) + 1
        execution.tutorial_redrive_date = now
        if client_token:
            tokens[client_token] = now
        execution.exec_status = ExecutionStatus.RUNNING
        execution.stop_date = None
        execution.error = execution.cause = execution.output = None
        worker = redrive_worker_class()(previous, execution)
        execution.exec_worker = worker
        worker.start()
        return now


@functools.cache
def redrive_worker_class():
    """moto's ``ExecutionWorker``, made to continue an execution (moto is imported late)."""
    from moto.stepfunctions.parser.api import (
        ExecutionRedrivenEventDetails,
        HistoryEventType,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
    from moto.stepfunctions.parser.utils import TMP_THREADS

    from sfn_tutorial.emulator.stepfunctions import interpreter

    class RedriveWorker(ExecutionWorker):
        """A new run of ``execution``'s program that continues its history from its journal."""

        def __init__(self, previous: ExecutionWorker, execution):
            super().__init__(
                evaluation_details=previous._evaluation_details,
                exec_comm=previous._execution_communication,
                cloud_watch_logging_session=previous._cloud_watch_logging_session,
                activity_store=previous._activity_store,
            )
            self.execution = execution
            # Made now, so that every API call sees the new run at once.
            self.env = self._get_evaluation_environment()
            old = previous.env
            self.env.event_manager = old.event_manager
            old.event_manager.tutorial_stopped = False  # StopExecution's: the new run records
            self.env.map_run_record_pool_manager = old.map_run_record_pool_manager
            events = old.event_manager.get_event_history()
            last = events[-1]["id"] if events else 0
            self.env.event_history_context = EventHistoryContext(previous_event_id=last)
            data = self.env.states.context_object.context_object_data["Execution"]
            data["RedriveCount"] = redrive_count(execution)
            data["RedriveTime"] = interpreter.aws_timestamp(redrive_date(execution))

        def _execution_logic(self):
            program = self._get_evaluation_entrypoint()
            env = self.env
            env.event_manager.add_event(
                context=env.event_history_context,
                event_type=HistoryEventType.ExecutionRedriven,
                event_details=EventDetails(
                    executionRedrivenEventDetails=ExecutionRedrivenEventDetails(
                        redriveCount=redrive_count(self.execution)
                    )
                ),
            )
            outcome = journal_of(self.execution).outcome(())
            if outcome is not None and outcome[0] == "resume":
                resume(env, outcome[1])
            program.eval(env)
            self._execution_communication.terminated()

        def start(self):
            thread = threading.Thread(target=self._execution_logic, daemon=True)
            TMP_THREADS.append(thread)
            thread.start()

    return RedriveWorker


def redrive_execution_is_available() -> None:
    """``RedriveExecution(executionArn, clientToken?)`` answers ``redriveDate``; an execution
    that does not exist is ``ExecutionDoesNotExist``, an Express one ``InvalidArn`` (as for
    every action on Express executions)."""
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def redrive_execution(self):
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        return ActionResult({"redriveDate": redrive(execution, self._get_param("clientToken"))})

    StepFunctionResponse.redrive_execution = redrive_execution


def executions_report_their_redrives() -> None:
    """``DescribeExecution`` of a Standard execution answers ``redriveCount``,
    ``redriveStatus`` (with ``redriveStatusReason`` when not redrivable) and, once redriven,
    ``redriveDate``; a stopped execution has its ``stopDate`` (a timed-out one too), a running
    one has none."""
    from moto.stepfunctions.responses import StepFunctionResponse

    original = StepFunctionResponse.describe_execution

    def describe_execution(self):
        result = original(self)
        answer = result.result
        execution = self.stepfunction_backend.describe_execution(answer["executionArn"])
        if execution.status == "RUNNING":
            answer.pop("stopDate", None)
        elif execution.stop_date is not None:
            answer["stopDate"] = execution.stop_date
        answer.update(describe_fields(execution))
        return result

    StepFunctionResponse.describe_execution = describe_execution


REDRIVE_FIELDS = ("redriveCount", "redriveDate", "redriveStatus", "redriveStatusReason")


def sync_task_results_have_no_redrive_fields() -> None:
    """The result of a ``states:startExecution.sync`` Task (and the cause of its failure) is the
    child's description without the redrive fields, as AWS recorded it (LocalStack's
    ``test_callback`` snapshots: ``Status``, ``Output``, ``StartDate``... and no ``Redrive*``)."""
    from moto.stepfunctions.parser.api import DescribeExecutionOutput
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_sfn,
    )

    fields = {
        name: kind
        for name, kind in DescribeExecutionOutput.__annotations__.items()
        if name not in REDRIVE_FIELDS
    }
    state_task_service_sfn.DescribeExecutionOutput = TypedDict(
        "SyncDescribeExecutionOutput", fields, total=False
    )
