"""Where moto's Step Functions API differs from AWS's, fixed and named.

These fixes are about the service's actions (``CreateStateMachine``, ``StartExecution``,
``ValidateStateMachineDefinition``, its error codes) and about wiring moto's interpreter to this
server; how the interpreter runs the states is in ``interpreter``, ``jsonata_support`` and
``map_state``. ``apply(port)`` is called by ``emulator.fixes.apply()``. Each fix is a small
function with a docstring saying what AWS does; ``tests/test_emulator_fixes.py`` checks them
against a running emulator.
"""

from __future__ import annotations

import os
import threading
import uuid

from moto.core.config import default_user_config

from sfn_tutorial.emulator import auth
from sfn_tutorial.emulator.awslambda import service as lambda_service
from sfn_tutorial.emulator.patching import replace_everywhere
from sfn_tutorial.emulator.stepfunctions import validation


def apply(port: int) -> None:
    """Make moto's Step Functions API answer as AWS does, its interpreter calling ``port``."""
    interpreter_errors_keep_their_error_codes()
    enable_state_machine_interpreter()
    interpreter_calls_this_server(port)
    unnamed_executions_get_a_uuid()
    invalid_definitions_are_rejected_as_aws_does()
    validate_state_machine_definition_is_available()
    send_task_failure_keeps_its_cause()
    describe_execution_shows_input_and_output_as_aws_does()


def interpreter_errors_keep_their_error_codes() -> None:
    """Errors such as ``InvalidExecutionInput`` reach the client with their error code, as AWS
    sends them, so boto3 raises ``sfn.exceptions.InvalidExecutionInput``.

    The error classes of moto's interpreter name their code in a ``code`` attribute, which
    moto's response layer overwrites with the HTTP status; the error type stays empty.
    """
    from moto.core.exceptions import AWSError
    from moto.stepfunctions.parser import api

    for error_class in vars(api).values():
        if (
            isinstance(error_class, type)
            and issubclass(error_class, AWSError)
            and isinstance(vars(error_class).get("code"), str)
        ):
            error_class.TYPE = error_class.code
            error_class.STATUS = getattr(error_class, "status_code", 400)


def enable_state_machine_interpreter() -> None:
    """AWS runs a state machine's states; moto only does with ``execute_state_machine`` on."""
    default_user_config.setdefault("stepfunctions", {})["execute_state_machine"] = True


def interpreter_calls_this_server(port: int) -> None:
    """A Task state must reach Lambda (and other services) on this server, whatever its port.

    moto's interpreter builds its clients for ``localhost:$MOTO_PORT`` (default 5000), not for the
    port the server was started on; and ``localhost`` may resolve to ``::1`` first while the
    emulator listens on 127.0.0.1 only. The interpreter's client factory is replaced by one that
    targets this server's loopback address and port. It also makes one client per region and
    service, shared by every Task (botocore clients are thread-safe), where moto made one per
    call; and its Lambda client calls the emulator's Lambda in-process, without HTTP, with the
    same answers (``lambda_service.InProcessLambda``).
    """
    os.environ["MOTO_PORT"] = str(port)
    import boto3
    from botocore.config import Config
    from moto.stepfunctions.parser.asl.utils import boto_client

    config = Config(
        parameter_validation=False,
        retries={"max_attempts": 0, "total_max_attempts": 1},
        connect_timeout=boto_client.TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
        read_timeout=boto_client.TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
        max_pool_connections=64,  # a Map runs its iterations in parallel threads
    )
    clients: dict[tuple[str, str], object] = {}
    lock = threading.Lock()

    def new_client(region, service):
        client = boto3.client(
            service_name=service,
            region_name=region,
            aws_access_key_id=auth.served().access_key_id,
            aws_secret_access_key=auth.served().secret_access_key,
            endpoint_url=f"http://127.0.0.1:{port}",
            config=config,
        )
        return lambda_service.InProcessLambda(region, client) if service == "lambda" else client

    def boto_client_for(region, service, state_credentials=None):
        client = clients.get((region, service))
        if client is None:
            with lock:
                client = clients.get((region, service)) or new_client(region, service)
                clients[(region, service)] = client
        return client

    replace_everywhere(boto_client, "boto_client_for", boto_client_for)


def unnamed_executions_get_a_uuid() -> None:
    """``StartExecution`` without a ``name``: AWS names the execution with a fresh UUID.

    moto's interpreter names it ``None``, so a second unnamed execution fails with
    ``ExecutionAlreadyExists``.
    """
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.start_execution

    def start_execution(self, state_machine_arn, name=None, execution_input=None, **kwargs):
        return original(
            self, state_machine_arn, name or str(uuid.uuid4()), execution_input, **kwargs
        )

    StepFunctionsParserBackend.start_execution = start_execution


def invalid_definitions_are_rejected_as_aws_does() -> None:
    """``CreateStateMachine``/``UpdateStateMachine`` with a bad definition: AWS answers with the
    error code ``InvalidDefinition`` and a message listing each problem, e.g.
    ``Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: B at
    /States/A/Next'``.

    moto answers with an empty error code, and accepts transitions to states that do not exist.
    """
    from moto.core.exceptions import AWSError
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    class InvalidDefinition(AWSError):
        TYPE = "InvalidDefinition"
        STATUS = 400

    def _validate_definition(definition: str) -> None:
        found = validation.diagnostics(definition)
        if found:
            raise InvalidDefinition(validation.error_message(found))

    StepFunctionsParserBackend._validate_definition = staticmethod(_validate_definition)


def validate_state_machine_definition_is_available() -> None:
    """``ValidateStateMachineDefinition`` (AWS, since 2024): ``result`` OK or FAIL, with
    ``diagnostics``. moto's server does not implement it."""
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def validate_state_machine_definition(self):
        found = validation.diagnostics(self._get_param("definition") or "")
        return ActionResult(
            {"result": "FAIL" if found else "OK", "diagnostics": found, "truncated": False}
        )

    StepFunctionResponse.validate_state_machine_definition = validate_state_machine_definition


def send_task_failure_keeps_its_cause() -> None:
    """``SendTaskFailure(taskToken, error, cause)``: the waiting Task fails with that error and
    that cause (``TaskFailed``, and the execution's cause if nothing catches it).

    moto's API reads the error only; the cause was lost.
    """
    from moto.core.responses import EmptyResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def send_task_failure(self):
        self.stepfunction_backend.send_task_failure(
            self._get_param("taskToken"),
            error=self._get_param("error"),
            cause=self._get_param("cause"),
        )
        return EmptyResult()

    StepFunctionResponse.send_task_failure = send_task_failure


def describe_execution_shows_input_and_output_as_aws_does() -> None:
    """``DescribeExecution`` answers ``inputDetails: {"included": true}`` with the input (as
    ``outputDetails`` with the output), and the output as the JSON text the execution ended
    with, compact as in its ``ExecutionSucceeded`` event: ``{"ok":true}``. A ``.sync`` Task's
    result has them as ``InputDetails`` and ``Output``.

    moto answers ``outputDetails`` only, and writes the output with ``json.dumps``' spaces.
    """
    import json

    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.responses import StepFunctionResponse

    original = StepFunctionResponse.describe_execution

    def describe_execution(self):
        result = original(self)
        answer = result.result
        if isinstance(answer, dict) and "input" in answer:
            answer.setdefault("inputDetails", {"included": True})
        if isinstance(answer, dict) and "output" in answer:
            execution = self.stepfunction_backend.describe_execution(answer["executionArn"])
            output = getattr(execution, "output", None)
            if isinstance(execution, Execution) and not isinstance(output, (str, type(None))):
                answer["output"] = json.dumps(output, separators=(",", ":"))
        return result

    StepFunctionResponse.describe_execution = describe_execution
