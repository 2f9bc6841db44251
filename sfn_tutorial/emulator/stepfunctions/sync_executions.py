"""``StartSyncExecution``: run an EXPRESS state machine and answer with its result.

AWS (Step Functions API reference, StartSyncExecution): the call returns when the execution ends,
with ``status`` SUCCEEDED, FAILED or TIMED_OUT, its ``output`` (or ``error`` and ``cause``), and
``billingDetails``; a STANDARD machine answers ``StateMachineTypeNotSupported``. moto's server
has no such action; its interpreter has a synchronous execution, which this module wires up.

boto3 sends this call to the host ``sync-states.<region>...``: against an endpoint URL such as
``http://127.0.0.1:4599`` it would try ``sync-127.0.0.1``. A client for the emulator needs host
prefixes off: ``AWS_DISABLE_HOST_PREFIX_INJECTION=true`` in the environment, or
``Config(inject_host_prefix=False)``.
"""

from __future__ import annotations

import copy
import datetime
import json
import math
import uuid

from sfn_tutorial.emulator.stepfunctions import api

EXPRESS_BILLED_MEMORY_MB = 64


def apply() -> None:
    """Add ``StartSyncExecution`` to moto's Step Functions API."""
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
    from moto.stepfunctions.parser.api import InvalidExecutionInput, StateMachineTypeNotSupported
    from moto.stepfunctions.parser.backend.execution import SyncExecution

    if name is not None:
        api.check_name(name)
    api.check_execution_input(execution_input)
    machine = backend.describe_state_machine(machine_arn)
    if machine.type != "EXPRESS":
        raise StateMachineTypeNotSupported(
            "This operation is not supported by this type of state machine"
        )
    text = "{}" if execution_input is None else execution_input
    try:
        json.loads(text)
    except ValueError as error:
        raise InvalidExecutionInput(f"Invalid State Machine Execution Input: '{error}'") from None
    snapshot = copy.deepcopy(
        machine, {id(machine.executions): [], id(machine.backend): machine.backend}
    )
    name = name or str(uuid.uuid4())
    arn = machine.arn.replace(":stateMachine:", ":express:") + f":{name}:{uuid.uuid4()}"
    execution = SyncExecution(
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
    execution.start()
    return _answer(execution)


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
