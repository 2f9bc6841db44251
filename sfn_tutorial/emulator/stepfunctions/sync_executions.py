"""Express executions: ``StartSyncExecution``, ``StartExecution``'s Express ARN, and the actions
AWS refuses for them.

AWS (Step Functions API reference, StartSyncExecution): the call returns when the execution ends,
with ``status`` SUCCEEDED, FAILED or TIMED_OUT, its ``output`` (or ``error`` and ``cause``), and
``billingDetails``; a STANDARD machine answers ``StateMachineTypeNotSupported``. moto's server
has no such action; its interpreter has a synchronous execution, which this module wires up.

boto3 sends this call to the host ``sync-states.<region>...``: against an endpoint URL such as
``http://127.0.0.1:4599`` it would try ``sync-127.0.0.1``. A client for the emulator needs host
prefixes off: ``AWS_DISABLE_HOST_PREFIX_INJECTION=true`` in the environment, or
``Config(inject_host_prefix=False)``.

AWS keeps no history of an Express execution (it goes to CloudWatch Logs, see
``execution_logs``): ``StartExecution`` of an EXPRESS machine answers an
``arn:aws:states:REGION:ACCOUNT:express:MACHINE:NAME:ID`` ARN, which ``DescribeExecution`` and
``GetExecutionHistory`` refuse with ``InvalidArn`` ("Resource type not valid in this context:
express"), and ``ListExecutions`` of an EXPRESS machine answers ``StateMachineTypeNotSupported``
(unless it lists a Map Run's children). moto runs and keeps them as Standard executions.

A Standard parent may still wait for an Express child with ``states:startExecution.sync`` (or
``.sync:2``): AWS's developer guide shows it twice, in its cost-optimisation tips ("nesting
Express workflows inside Standard workflows") and in the selective-checkpointing sample project,
whose parent calls ``startExecution.sync`` on an Express child with ``states:StartExecution``,
``states:DescribeExecution`` and ``states:StopExecution`` in its role. The Task's result is then
the child's description, as for a Standard child. moto's ``.sync`` asks ``DescribeExecution``,
which refuses Express ARNs; here the waiting Task reads the child it started instead. The role
is checked for ``StartExecution``; which actions AWS checks to describe an Express child is not
documented, so none is checked for it here.
"""

from __future__ import annotations

import copy
import datetime
import json
import math
import threading
import uuid

from sfn_tutorial.emulator.stepfunctions import api, service_integrations, versions
from sfn_tutorial.emulator.stepfunctions.api import NOT_FOR_EXPRESS, is_express_arn

EXPRESS_BILLED_MEMORY_MB = 64

# A ``.sync`` Task's StartExecution carries this header, so that the Express child it starts is
# kept for it (and only for it: AWS keeps no record of Express executions).
AWAITED_HEADER = "X-Sfn-Tutorial-Awaited-By-Task"
_task = threading.local()  # the interpreter's thread: a .sync Task is starting its child
_request = threading.local()  # the server's thread: this StartExecution is awaited
_awaited: dict[str, object] = {}  # express ARN -> the execution a .sync Task waits for
_awaited_lock = threading.Lock()


def apply() -> None:
    """Add ``StartSyncExecution`` to moto's Step Functions API; Express executions as AWS runs
    and hides them."""
    start_sync_execution_runs_express_machines()
    start_execution_of_express_machines_keeps_no_history()
    express_executions_have_no_description_or_history()
    express_machines_list_no_executions()
    sync_tasks_wait_for_express_children()


def start_sync_execution_runs_express_machines() -> None:
    """``StartSyncExecution`` runs an EXPRESS machine to its end and answers with its result."""
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def start_sync_execution(self):
        output = run_express_execution(
            self.stepfunction_backend,
            self._get_param("stateMachineArn"),
            self._get_param("name"),
            self._get_param("input"),
            self._get_param("traceHeader"),
        )
        return ActionResult(output)

    StepFunctionResponse.start_sync_execution = start_sync_execution


def run_express_execution(backend, machine_arn, name=None, execution_input=None, trace=None):
    """Run an EXPRESS machine to its end in this thread; return StartSyncExecution's answer."""
    from moto.stepfunctions.parser.api import StateMachineTypeNotSupported
    from moto.stepfunctions.parser.backend.execution import SyncExecution

    machine_arn, alias_arn = versions.resolve(backend, machine_arn)
    machine = backend.describe_state_machine(machine_arn)
    if machine.type != "EXPRESS":
        raise StateMachineTypeNotSupported(
            "This operation is not supported by this type of state machine"
        )
    with versions.starting_through(alias_arn):
        execution = express_execution(SyncExecution, backend, machine, name, execution_input, trace)
    execution.start()
    return _answer(execution)


def express_execution(kind, backend, machine, name=None, execution_input=None, trace=None):
    """A new execution (``kind``: moto's ``Execution`` or ``SyncExecution``) of the EXPRESS
    ``machine``, named and checked as AWS does, with an ``express`` ARN; not started."""
    from moto.stepfunctions.parser.api import InvalidExecutionInput

    if name is not None:
        api.check_name(name)
    api.check_execution_input(execution_input)
    text = "{}" if execution_input is None else execution_input
    try:
        json.loads(text)
    except ValueError as error:
        raise InvalidExecutionInput(f"Invalid State Machine Execution Input: '{error}'") from None
    snapshot = copy.deepcopy(
        machine, {id(machine.executions): [], id(machine.backend): machine.backend}
    )
    snapshot.sm_type = machine.type  # moto's machines all say STANDARD here
    name = name or str(uuid.uuid4())
    base = versions.base_arn_of(machine)
    arn = base.replace(":stateMachine:", ":express:") + f":{name}:{uuid.uuid4()}"
    return kind(
        name=name,
        sm_type=machine.type,
        role_arn=snapshot.roleArn,
        exec_arn=arn,
        account_id=backend.account_id,
        region_name=backend.region_name,
        state_machine=snapshot,
        start_date=datetime.datetime.now(tz=datetime.timezone.utc),
        cloud_watch_logging_session=None,
        input_data=text,
        trace_header=trace,
        activity_store={},
    )


def start_execution_of_express_machines_keeps_no_history() -> None:
    """``StartExecution`` of an EXPRESS machine starts it in the background under an ``express``
    ARN; Step Functions keeps no record of it (its history goes to CloudWatch Logs)."""
    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.start_execution

    def start_execution(self, state_machine_arn, name=None, execution_input=None, **kwargs):
        target, alias_arn = versions.resolve(self, state_machine_arn)
        with versions.starting_through(alias_arn):
            machine = self.describe_state_machine(target)
            if getattr(machine, "type", "STANDARD") != "EXPRESS":
                return original(self, target, name, execution_input, **kwargs)
            trace = kwargs.get("trace_header")
            execution = express_execution(Execution, self, machine, name, execution_input, trace)
        if getattr(_request, "awaited", False):
            _keep_for_its_task(execution)
        execution.start()
        return execution

    StepFunctionsParserBackend.start_execution = start_execution


def express_executions_have_no_description_or_history() -> None:
    """``DescribeExecution`` and ``GetExecutionHistory`` of an Express execution: AWS answers
    ``InvalidArn`` (a Map Run's Express children excepted, which the map run keeps)."""
    from moto.stepfunctions.parser.api import InvalidArn
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    for action in ("describe_execution", "get_execution_history"):
        original = getattr(StepFunctionsParserBackend, action)

        def refusing(self, execution_arn, *args, _original=original, **kwargs):
            try:
                return _original(self, execution_arn, *args, **kwargs)
            except Exception:
                if is_express_arn(execution_arn):
                    raise InvalidArn(NOT_FOR_EXPRESS) from None
                raise

        setattr(StepFunctionsParserBackend, action, refusing)


def express_machines_list_no_executions() -> None:
    """``ListExecutions`` of an EXPRESS machine: AWS answers ``StateMachineTypeNotSupported``
    (listing a Map Run's children with ``mapRunArn`` still works)."""
    from moto.stepfunctions.parser.api import StateMachineTypeNotSupported
    from moto.stepfunctions.responses import StepFunctionResponse

    original = StepFunctionResponse.list_executions

    def list_executions(self):
        arn = self._get_param("stateMachineArn")
        if arn and not self._get_param("mapRunArn"):
            machine = versions.machine_of(self.stepfunction_backend, arn)
            if getattr(machine, "type", "STANDARD") == "EXPRESS":
                raise StateMachineTypeNotSupported(
                    "This operation is not supported by this type of state machine"
                )
        return original(self)

    StepFunctionResponse.list_executions = list_executions


def sync_tasks_wait_for_express_children() -> None:
    """A Standard parent's ``states:startExecution.sync`` / ``.sync:2`` Task waits for an
    EXPRESS child and answers with its description (``Status``, ``Output``...), as it does for
    a Standard child; a failed child fails the Task with ``States.TaskFailed``."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_sfn,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import (
        ResourceCondition,
    )
    from moto.stepfunctions.responses import StepFunctionResponse

    StateTaskServiceSfn = state_task_service_sfn.StateTaskServiceSfn  # noqa: N806 (moto's name)
    waiting = (ResourceCondition.Sync, ResourceCondition.Sync2)
    original_eval = StateTaskServiceSfn._eval_service_task

    def _eval_service_task(self, env, *args, **kwargs):
        _task.awaits = self.resource.condition in waiting
        try:
            return original_eval(self, env, *args, **kwargs)
        finally:
            _task.awaits = False

    StateTaskServiceSfn._eval_service_task = _eval_service_task

    service_integrations.hook_interpreter_clients(
        {"stepfunctions"}, "before-call.sfn.StartExecution", _mark_if_awaited
    )

    original_call = StepFunctionResponse.call_action

    def call_action(self):  # around every action, since other fixes replace StartExecution's
        _request.awaited = self.headers.get(AWAITED_HEADER) == "1"
        try:
            return original_call(self)
        finally:
            _request.awaited = False

    StepFunctionResponse.call_action = call_action

    for builder in ("_build_sync_resolver", "_build_sync2_resolver"):
        original_build = getattr(StateTaskServiceSfn, builder)

        def build(self, env, *args, _original=original_build, **kwargs):
            started = env.stack[-1] if env.stack and isinstance(env.stack[-1], dict) else {}
            arn = started.get("ExecutionArn", "")
            resolver = _original(self, env, *args, **kwargs)
            child = _claim(arn) if is_express_arn(arn) else None
            if child is not None:
                # moto's resolver polls the client it holds; it gets one that reads the child.
                cell = resolver.__closure__[resolver.__code__.co_freevars.index("sfn_client")]
                cell.cell_contents = _ExpressChild(child)
            return resolver

        setattr(StateTaskServiceSfn, builder, build)


def _mark_if_awaited(params=None, **_) -> None:
    """botocore's ``before-call`` hook, on the interpreter's thread."""
    if getattr(_task, "awaits", False):
        params["headers"][AWAITED_HEADER] = "1"


def _keep_for_its_task(execution) -> None:
    with _awaited_lock:
        if len(_awaited) > 64:  # children whose Task never came for them
            ended = [a for a, e in _awaited.items() if e.exec_status not in (None, "RUNNING")]
            for arn in ended:
                del _awaited[arn]
        _awaited[execution.exec_arn] = execution


def _claim(arn: str):
    with _awaited_lock:
        return _awaited.pop(arn, None)


class _ExpressChild:
    """What moto's ``.sync`` resolver asks of its Step Functions client, answered from the
    Express child itself: ``describe_execution`` as boto3 returns it."""

    def __init__(self, execution):
        self.execution = execution

    def describe_execution(self, executionArn):  # noqa: N803 (boto3's name)
        description = dict(self.execution.to_describe_output())
        description["status"] = str(getattr(description["status"], "value", description["status"]))
        return {key: value for key, value in description.items() if value is not None}


def _answer(execution) -> dict:
    """The interpreter's result in the API's shape, with ``billingDetails`` as AWS bills it:
    64 MB and the duration rounded up to 100 ms."""
    output = dict(execution.to_start_sync_execution_output())
    output["status"] = str(getattr(output["status"], "value", output["status"]))
    output["stateMachineArn"] = execution.state_machine_arn
    stop = output.get("stopDate") or datetime.datetime.now(tz=datetime.timezone.utc)
    output["stopDate"] = stop
    elapsed_ms = (stop - output["startDate"]).total_seconds() * 1000
    output["billingDetails"] = {
        "billedMemoryUsedInMB": EXPRESS_BILLED_MEMORY_MB,
        "billedDurationInMilliseconds": max(100, math.ceil(elapsed_ms / 100) * 100),
    }
    return {key: value for key, value in output.items() if value is not None}
