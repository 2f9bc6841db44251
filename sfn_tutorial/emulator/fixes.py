"""Each place where moto's server differs from AWS in a way the tutorial meets, fixed and named.

``apply(port)`` is called once, in the emulator process, before the server starts. Every fix is a
small function with a docstring saying what AWS does; ``tests/test_emulator_fixes.py`` checks each
one against a running emulator.
"""

from __future__ import annotations

import os
import sys
import threading
import uuid

from moto.core.config import default_user_config

from sfn_tutorial.emulator import (
    api_gateway,
    asl_validation,
    interpreter_fixes,
    jsonata_support,
    lambda_service,
    map_fixes,
    sync_executions,
    triggers,
)

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
    triggers.apply()  # EventBridge rules start executions; schedules fire
    sync_executions.apply()  # StartSyncExecution for EXPRESS state machines
    api_gateway.apply(port)  # REST and HTTP API integrations call Step Functions
    jsonata_support.apply()  # JSONata expressions and variables, with jsonata-python
    interpreter_fixes.apply()  # where moto's interpreter differs from AWS's recorded behaviour
    map_fixes.apply()  # ItemBatcher, tolerated failures, map runs, ResultWriter


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
            aws_access_key_id="ak",
            aws_secret_access_key="sk",
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
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.choice.state_choice import StateChoice

    original = StateChoice._eval_state

    def _eval_state(self, env):
        try:
            return original(self, env)
        except RuntimeError:
            if self.default_state is not None:
                raise
        cause = f"No Choice Rule matched the input of state '{self.name}', which has no Default."
        raise interpreter_fixes.execution_failure(
            env, StatesErrorNameType.StatesNoChoiceMatched, cause
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

    moto without Docker echoes the input. Here the handler runs in a warm execution environment,
    a Python process that loads the module once and is reused (``lambda_runtime``); an exception
    comes back with ``FunctionError: Unhandled``, a timeout or a crash as Lambda reports them; the
    log goes to CloudWatch Logs ``/aws/lambda/NAME``, and its tail to ``LogType="Tail"`` callers.
    Lambda's payload limits and reserved concurrency apply; updating a function retires its
    environments (``lambda_service``).
    """
    lambda_service.apply(endpoint)
