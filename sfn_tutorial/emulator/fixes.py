"""Each place where moto's server differs from AWS in a way the tutorial meets, fixed and named.

``apply(port)`` is called once, in the emulator process, before the server starts. Every fix is a
small function with a docstring saying what AWS does; ``tests/test_emulator_fixes.py`` checks each
one against a running emulator.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid

from moto.core.config import default_user_config

from sfn_tutorial.emulator import asl_validation, lambda_runtime

DEFAULT_REGION = "ap-northeast-2"


def apply(port: int) -> None:
    """Turn moto into the tutorial's local AWS, listening on ``port``."""
    enable_managed_policies()
    interpreter_errors_keep_their_error_codes()
    enable_state_machine_interpreter()
    interpreter_calls_this_server(port)
    unnamed_executions_get_a_uuid()
    unmatched_choice_fails_with_no_choice_matched()
    invalid_definitions_are_rejected_as_aws_does()
    validate_state_machine_definition_is_available()
    lambda_runs_real_handlers(f"http://127.0.0.1:{port}")


def enable_managed_policies() -> None:
    """AWS accounts come with AWS managed policies such as ``AWSLambdaRole`` ready to attach.

    moto loads them only when ``MOTO_IAM_LOAD_MANAGED_POLICIES`` is set before IAM starts.
    """
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"


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
    targets this server's loopback address and port.
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
    )

    def boto_client_for(region, service, state_credentials=None):
        return boto3.client(
            service_name=service,
            region_name=region,
            aws_access_key_id="ak",
            aws_secret_access_key="sk",
            endpoint_url=f"http://127.0.0.1:{port}",
            config=config,
        )

    _replace_everywhere(boto_client, "boto_client_for", boto_client_for)


def _replace_everywhere(home, name: str, value) -> None:
    """Replace ``home.name`` and every copy that ``from home import name`` made elsewhere."""
    original = getattr(home, name)
    for module in list(sys.modules.values()):
        if getattr(module, name, None) is original:
            setattr(module, name, value)


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


def unmatched_choice_fails_with_no_choice_matched() -> None:
    """A Choice state whose rules all fail and that has no ``Default`` fails the execution with
    the error ``States.NoChoiceMatched`` (ASL specification, "Predefined error codes").

    moto raises a plain ``RuntimeError``, which surfaces as ``States.Runtime``.
    """
    from moto.stepfunctions.parser.api import ExecutionFailedEventDetails, HistoryEventType
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
    from moto.stepfunctions.parser.asl.component.state.choice.state_choice import StateChoice
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    original = StateChoice._eval_state

    def _eval_state(self, env):
        try:
            return original(self, env)
        except RuntimeError:
            if self.default_state is not None:
                raise
        error = StatesErrorNameType.StatesNoChoiceMatched
        cause = f"No Choice Rule matched the input of state '{self.name}', which has no Default."
        raise FailureEventException(
            FailureEvent(
                env=env,
                error_name=StatesErrorName(typ=error),
                event_type=HistoryEventType.ExecutionFailed,
                event_details=EventDetails(
                    executionFailedEventDetails=ExecutionFailedEventDetails(
                        error=error.to_name(), cause=cause
                    )
                ),
            )
        )

    StateChoice._eval_state = _eval_state


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
        found = asl_validation.diagnostics(definition)
        if found:
            raise InvalidDefinition(asl_validation.error_message(found))

    StepFunctionsParserBackend._validate_definition = staticmethod(_validate_definition)


def validate_state_machine_definition_is_available() -> None:
    """``ValidateStateMachineDefinition`` (AWS, since 2024): ``result`` OK or FAIL, with
    ``diagnostics``. moto's server does not implement it."""
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def validate_state_machine_definition(self):
        found = asl_validation.diagnostics(self._get_param("definition") or "")
        return ActionResult(
            {"result": "FAIL" if found else "OK", "diagnostics": found, "truncated": False}
        )

    StepFunctionResponse.validate_state_machine_definition = validate_state_machine_definition


def lambda_runs_real_handlers(endpoint: str) -> None:
    """``Invoke`` runs the uploaded handler, as Lambda does, for direct calls and Task states.

    moto without Docker echoes the input. Here the handler runs in its own Python process
    (``lambda_runtime``); an exception comes back with ``FunctionError: Unhandled``; the log goes
    to CloudWatch Logs ``/aws/lambda/NAME``, and its tail to ``LogType="Tail"`` callers.
    """
    from moto.awslambda.models import LambdaFunction

    def invoke(self, body, request_headers, response_headers):
        invocation_type = request_headers.get("x-amz-invocation-type", "RequestResponse")
        if invocation_type == "DryRun":
            return b""
        spec = _function_spec(self)
        event = body.encode() if isinstance(body, str) else (body or b"{}")
        if invocation_type == "Event":
            threading.Thread(
                target=_invoke_and_log, args=(self, spec, event, endpoint), daemon=True
            ).start()
            return b""
        result = _invoke_and_log(self, spec, event, endpoint)
        response_headers["x-amz-executed-version"] = spec.version
        if result.function_error:
            response_headers["x-amz-function-error"] = result.function_error
        response_headers["x-amz-log-result"] = result.log_tail
        return result.payload

    LambdaFunction.invoke = invoke


def _function_spec(function) -> lambda_runtime.FunctionSpec:
    return lambda_runtime.FunctionSpec(
        name=function.function_name,
        arn=function.function_arn,
        handler=function.handler,
        code_zip=function.code_bytes,
        region=function.region,
        version=function.version,
        memory_mb=int(function.memory_size),
        timeout_s=float(function.timeout),
        environment=dict(function.environment_vars or {}),
    )


def _invoke_and_log(function, spec, event: bytes, endpoint: str):
    result = lambda_runtime.invoke(spec, event, endpoint)
    logs = function.logs_backend
    logs.ensure_log_group(function.logs_group_name)
    logs.create_log_stream(function.logs_group_name, result.log_stream_name)
    now_ms = int(time.time() * 1000)
    events = [{"timestamp": now_ms, "message": line} for line in result.log_lines]
    logs.put_log_events(function.logs_group_name, result.log_stream_name, events)
    return result
