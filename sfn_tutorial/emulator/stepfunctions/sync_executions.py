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
"""

from __future__ import annotations

import copy
import datetime
import json
import math
import uuid

from sfn_tutorial.emulator.stepfunctions import api, versions
from sfn_tutorial.emulator.stepfunctions.api import NOT_FOR_EXPRESS, is_express_arn

EXPRESS_BILLED_MEMORY_MB = 64


def apply() -> None:
    """Add ``StartSyncExecution`` to moto's Step Functions API; Express executions as AWS runs
    and hides them."""
    start_sync_execution_runs_express_machines()
    start_execution_of_express_machines_keeps_no_history()
    express_executions_have_no_description_or_history()
    express_machines_list_no_executions()


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
