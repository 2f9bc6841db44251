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
from sfn_tutorial.emulator.iam import authorization
from sfn_tutorial.emulator.patching import replace_everywhere
from sfn_tutorial.emulator.stepfunctions import validation

# StartExecution's and CreateStateMachine's ``name`` (botocore's service model: Name, max 80)
MAX_NAME_LENGTH = 80
# StartExecution's ``input`` (SensitiveData, max 262144): "Length constraints apply to the payload
# size, and are expressed as bytes in UTF-8 encoding."
MAX_INPUT_BYTES = 262_144
# What AWS answers when an API that takes a Standard execution is given an Express one's ARN
NOT_FOR_EXPRESS = "Invalid Arn: 'Resource type not valid in this context: express'"
# "A name must not contain: white space; brackets < > { } [ ]; wildcard characters ? *; special
# characters " # % \ ^ | ~ ` $ & , ; : /; control characters (U+0000-001F, U+007F-009F,
# U+FFFE-FFFF); surrogates (U+D800-DFFF); invalid characters (U+10FFFF)" (the model's ``name``)
_NOT_IN_NAMES = frozenset(' <>{}[]?*"#%\\^|~`$&,;:/')
_NOT_IN_NAMES_RANGES = ((0x00, 0x1F), (0x7F, 0x9F), (0xFFFE, 0xFFFF), (0xD800, 0xDFFF))


def apply(port: int) -> None:
    """Make moto's Step Functions API answer as AWS does, its interpreter calling ``port``."""
    interpreter_errors_keep_their_error_codes()
    enable_state_machine_interpreter()
    interpreter_calls_this_server(port)
    unnamed_executions_get_a_uuid()
    names_are_checked_as_aws_does()
    execution_names_and_inputs_are_checked_at_start()
    invalid_definitions_are_rejected_as_aws_does()
    create_state_machine_is_idempotent_only_for_the_same_machine()
    validate_state_machine_definition_is_available()
    send_task_failure_keeps_its_cause()
    tokens_of_ended_executions_have_timed_out()
    stop_execution_stops_as_aws_does()
    describe_execution_shows_input_and_output_as_aws_does()
    execution_history_is_paged_and_ordered_as_aws_does()


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

    As on AWS, every call is made with temporary credentials of the state machine's role (or of
    the Task's ``Credentials`` role), so the emulator allows it only if the role's policies do
    (``iam.authorization``); one client per region, service and role session.
    """
    os.environ["MOTO_PORT"] = str(port)
    import boto3
    from botocore.config import Config
    from moto.stepfunctions.parser.asl.utils import boto_client

    config = Config(
        user_agent_extra="sfn-tutorial-emulator",  # the emulator's own calls (account_like)
        parameter_validation=False,
        retries={"max_attempts": 0, "total_max_attempts": 1},
        connect_timeout=boto_client.TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
        read_timeout=boto_client.TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
        max_pool_connections=64,  # a Map runs its iterations in parallel threads
    )
    clients: dict[tuple[str, str, str], object] = {}
    lock = threading.Lock()

    def new_client(region, service, session):
        if session is None:  # no role to act as: the emulator's own key
            own = auth.served()
            keys = {
                "aws_access_key_id": own.access_key_id,
                "aws_secret_access_key": own.secret_access_key,
            }
        else:
            keys = {
                "aws_access_key_id": session.access_key_id,
                "aws_secret_access_key": session.secret_access_key,
                "aws_session_token": session.session_token,
            }
        client = boto3.client(
            service_name=service,
            region_name=region,
            endpoint_url=f"http://127.0.0.1:{port}",
            config=config,
            **keys,
        )
        if service == "lambda":
            return lambda_service.InProcessLambda(region, client, session)
        return client

    def boto_client_for(region, service, state_credentials=None):
        role_arn = getattr(state_credentials, "role_arn", None)
        session = authorization.states_session(role_arn) if role_arn else None
        key = (region, service, session.access_key_id if session else "")
        client = clients.get(key)
        if client is None:
            with lock:
                client = clients.get(key) or new_client(region, service, session)
                clients[key] = client
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


def is_express_arn(arn: str | None) -> bool:
    """Whether ``arn`` names an Express execution (``arn:aws:states:...:express:...``)."""
    parts = (arn or "").split(":")
    return len(parts) > 5 and parts[5] == "express"


def check_name(name: str) -> None:
    """Raise AWS's error for a state machine, execution or activity name it refuses.

    Over 80 characters: ``ValidationException``, from the model's length constraint, worded as
    AWS answered an 81-character execution name (wolfeidau/buildkite-serverless-agent#37: "1
    validation error detected: Value '...' at 'name' failed to satisfy constraint: Member must
    have length less than or equal to 80"). A character the model's documentation forbids:
    ``InvalidName``, "Invalid Name: '...'" (AWS-recorded for CreateActivity in LocalStack's
    ``test_sfn_api_activities.snapshot.json``; the same wording for executions and state
    machines is assumed, not recorded).
    """
    from moto.stepfunctions.parser.api import InvalidName, ValidationException

    if len(name) > MAX_NAME_LENGTH:
        raise ValidationException(
            f"1 validation error detected: Value '{name}' at 'name' failed to satisfy "
            f"constraint: Member must have length less than or equal to {MAX_NAME_LENGTH}"
        )
    if any(_not_allowed_in_names(character) for character in name):
        raise InvalidName(f"Invalid Name: '{name}'")


def _not_allowed_in_names(character: str) -> bool:
    code = ord(character)
    return (
        character in _NOT_IN_NAMES
        or character.isspace()
        or code == 0x10FFFF
        or any(low <= code <= high for low, high in _NOT_IN_NAMES_RANGES)
    )


def check_execution_input(text: str | None) -> None:
    """Raise AWS's error for an execution input over 256 KB (262,144 bytes in UTF-8).

    The service model gives ``input`` a maximum length of 262144, counted in UTF-8 bytes, and
    lists no error of its own for it: AWS answers a broken length constraint with
    ``ValidationException``, worded as for ``name`` above but without the value: ``input`` is
    ``sensitive`` in the model, and AWS leaves sensitive values out ("Value at 'password' ..." in
    Cognito's answers). The exact message for ``input`` was not found recorded anywhere, so this
    one is assumed. moto started the execution and failed it inside the run.
    """
    from moto.stepfunctions.parser.api import ValidationException

    if text is not None and len(text.encode("utf-8", "surrogatepass")) > MAX_INPUT_BYTES:
        raise ValidationException(
            "1 validation error detected: Value at 'input' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_INPUT_BYTES}"
        )


def names_are_checked_as_aws_does() -> None:
    """``CreateStateMachine`` and ``CreateActivity`` check names as ``check_name`` does.

    moto checks the forbidden characters but not U+FFFE-FFFF, surrogates or U+10FFFF, and checks
    the length only after the characters (AWS checks the model's constraints first).
    """
    from moto.stepfunctions.models import StepFunctionBackend

    StepFunctionBackend._validate_name = staticmethod(check_name)


def execution_names_and_inputs_are_checked_at_start() -> None:
    """``StartExecution`` refuses a name AWS refuses (``check_name``) and an input over 256 KB
    (``check_execution_input``) before the execution starts.

    moto's interpreter takes any name (one with a space makes an ARN with a space) and starts an
    execution with any input, which then fails inside the run.
    """
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.start_execution

    def start_execution(self, state_machine_arn, name=None, execution_input=None, **kwargs):
        if name is not None:
            check_name(name)
        check_execution_input(execution_input)
        return original(self, state_machine_arn, name, execution_input, **kwargs)

    StepFunctionsParserBackend.start_execution = start_execution


def invalid_definitions_are_rejected_as_aws_does() -> None:
    """``CreateStateMachine``/``UpdateStateMachine`` with a bad definition: AWS answers with the
    error code ``InvalidDefinition`` and a message listing each problem, e.g.
    ``Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: B at
    /States/A/Next, MISSING_END_STATE: Workflow has no terminal state at null'``.

    moto answers with an empty error code, and accepts transitions to states that do not exist,
    states without ``Next`` or ``End``, unreachable states and Task resources that are not ARNs
    (``validation`` lists what AWS checks), and ``.sync``, ``.waitForTaskToken`` and activities
    in an EXPRESS machine.
    """
    from moto.core.exceptions import AWSError
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    class InvalidDefinition(AWSError):
        TYPE = "InvalidDefinition"
        STATUS = 400

    def _validate_definition(definition: str, machine_type: str | None = None) -> None:
        found = validation.diagnostics(definition, machine_type=machine_type)
        if found:
            raise InvalidDefinition(validation.error_message(found))

    StepFunctionsParserBackend._validate_definition = staticmethod(_validate_definition)


def create_state_machine_is_idempotent_only_for_the_same_machine() -> None:
    """``CreateStateMachine`` with the name of an existing state machine: AWS returns that state
    machine's ARN and creation date only when the request is the same, and otherwise answers
    ``StateMachineAlreadyExists``, "State Machine Already Exists: '<arn>'" (AWS-recorded in
    LocalStack's ``test_sfn_api.snapshot.json``, ``test_create_duplicate_sm_name``, where the
    second definition differs, and ``test_create_duplicate_definition_format_sm``, where it is
    the same JSON indented: the definition is compared as text).

    What "the same" means is the model's note on CreateStateMachine: "idempotency check is based
    on the state machine name, definition, type, LoggingConfiguration, TracingConfiguration, and
    EncryptionConfiguration ... also based on the publish and versionDescription parameters. If
    a following request has a different roleArn or tags, Step Functions will ignore these
    differences ... roleArn and tags will not be updated". (The model's shape
    StateMachineAlreadyExists says "a different definition or role ARN"; the operation's newer,
    more precise note is followed.)

    moto returns the existing state machine whatever the request, keeping its old definition:
    a learner who edits a definition and re-runs its create cell would run the old one.
    """
    from moto.stepfunctions.models import StepFunctionBackend
    from moto.stepfunctions.parser.api import StateMachineAlreadyExists
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    def create_state_machine(self, name, definition, roleArn, **kwargs):
        check_name(name)
        self._validate_definition(definition, kwargs.get("sm_type"))
        existing = self._revision_by_name(name)
        if existing is None:  # moto's own create, without validating the definition again
            return StepFunctionBackend.create_state_machine(
                self, name, definition, roleArn, **kwargs
            )
        if not _same_state_machine(existing, definition, **kwargs):
            raise StateMachineAlreadyExists(f"State Machine Already Exists: '{existing.arn}'")
        return existing

    StepFunctionsParserBackend.create_state_machine = create_state_machine


def _same_state_machine(
    existing,
    definition,
    tags=None,
    publish=None,
    loggingConfiguration=None,
    tracingConfiguration=None,
    encryptionConfiguration=None,
    version_description=None,
    sm_type=None,
) -> bool:
    """Whether a CreateStateMachine request asks for ``existing`` as it is (roleArn and tags
    do not count); absent configurations are compared as AWS's defaults."""
    published = existing.latest_version
    return (
        existing.definition == definition
        and existing.type == (sm_type or "STANDARD")
        and _logging(existing.loggingConfiguration) == _logging(loggingConfiguration)
        and _tracing(existing.tracingConfiguration) == _tracing(tracingConfiguration)
        and _encryption(existing.encryptionConfiguration) == _encryption(encryptionConfiguration)
        and bool(publish) == (published is not None)
        and (not publish or published.description == version_description)
    )


def _logging(configuration) -> tuple:
    configuration = configuration or {}
    return (
        configuration.get("level", "OFF"),
        bool(configuration.get("includeExecutionData", False)),
        configuration.get("destinations") or [],
    )


def _tracing(configuration) -> bool:
    return bool((configuration or {}).get("enabled", False))


def _encryption(configuration) -> tuple:
    configuration = configuration or {}
    return (
        configuration.get("type", "AWS_OWNED_KEY"),
        configuration.get("kmsKeyId"),
        configuration.get("kmsDataKeyReusePeriodSeconds"),
    )


def validate_state_machine_definition_is_available() -> None:
    """``ValidateStateMachineDefinition`` (AWS, since 2024): ``result`` OK or FAIL, with
    ``diagnostics``. moto's server does not implement it."""
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def validate_state_machine_definition(self):
        found = validation.diagnostics(
            self._get_param("definition") or "", machine_type=self._get_param("type")
        )
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


TOKEN_GONE = "Task Timed Out: 'Provided task does not exist anymore'"


def execution_is_over(backend, task_token: str) -> bool:
    """Whether ``task_token`` is one an execution gave out before it ended or was stopped."""
    for execution in backend._get_executions():
        worker = getattr(execution, "exec_worker", None)
        env = getattr(worker, "env", None)
        if env is None or env.callback_pool_manager.get(task_token) is None:
            continue
        return execution.status != "RUNNING" or not env.is_running()
    return False


def tokens_of_ended_executions_have_timed_out() -> None:
    """``SendTaskSuccess``, ``SendTaskFailure`` and ``SendTaskHeartbeat`` with the token of an
    execution that has ended (stopped with ``StopExecution``, failed, timed out) answer
    ``TaskTimedOut``, "Task Timed Out: 'Provided task does not exist anymore'", and change
    nothing: the execution's history ends with its ``ExecutionAborted`` (or other end).

    moto looked for the token among executions still marked running: right after
    ``StopExecution`` (the interpreter marks the execution aborted a moment later) it took
    the answer, and its history recorded ``TaskSucceeded`` before ``ExecutionAborted``; once
    marked, it answered ``InvalidToken``, the answer for a token Step Functions never gave.
    """
    from moto.stepfunctions.parser.api import TaskTimedOut
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    for action in ("send_task_success", "send_task_failure", "send_task_heartbeat"):
        original = getattr(StepFunctionsParserBackend, action)

        def answer(self, task_token, *args, _original=original, **kwargs):
            if execution_is_over(self, task_token):
                raise TaskTimedOut(TOKEN_GONE)
            return _original(self, task_token, *args, **kwargs)

        setattr(StepFunctionsParserBackend, action, answer)


STOP_WAIT_S = 10.0  # how long StopExecution waits for the interpreter to mark the execution


def stop_execution_stops_as_aws_does() -> None:
    """``StopExecution(executionArn, error, cause)``: the execution is ``ABORTED`` when the call
    returns (``DescribeExecution`` says so, with that error and cause, and leaves out the keys
    the call left out; its history ends with ``ExecutionAborted``, whose details hold them too:
    floci's maintainers measured both on AWS, floci-io/floci#2782 and #2969). An Express
    execution's ARN is ``InvalidArn``, "Invalid Arn: 'Resource type not valid in this context:
    express'", as ``DescribeExecution`` answers it: Express executions cannot be stopped ("This
    API action is not supported by EXPRESS state machines", the API reference), and run on.

    moto dropped the error and cause everywhere, answered before its interpreter had marked the
    execution (a Task waiting for a token stayed ``RUNNING`` a moment longer), and named an
    Express ARN with ``Execution Does Not Exist``.
    """
    import time

    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow
    from moto.stepfunctions.exceptions import ExecutionDoesNotExist
    from moto.stepfunctions.parser.api import HistoryEventType, InvalidArn
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped
    from moto.stepfunctions.responses import StepFunctionResponse

    for name in ("set_error", "set_timed_out"):  # a stopped execution stays ABORTED
        original_end = getattr(Environment, name)

        def end(self, *args, _original=original_end, **kwargs):
            if isinstance(self._program_state, ProgramStopped):
                return None
            return _original(self, *args, **kwargs)

        setattr(Environment, name, end)

    original_add_event = EventManager.add_event

    def add_event(self, context, event_type, *args, **kwargs):
        if getattr(self, "tutorial_stopped", False) and (
            event_type != HistoryEventType.ExecutionAborted
        ):
            return context.last_published_event_id
        return original_add_event(self, context, event_type, *args, **kwargs)

    EventManager.add_event = add_event

    def stop_execution(self):
        arn = self._get_param("executionArn")
        if is_express_arn(arn):
            raise InvalidArn(NOT_FOR_EXPRESS)
        backend = self.stepfunction_backend
        backend._validate_execution_arn(arn)
        machine = backend._get_state_machine_for_execution(arn)
        execution = next((x for x in machine.executions if x.execution_arn == arn), None)
        if execution is None:
            raise ExecutionDoesNotExist(f"Execution Does Not Exist: '{arn}'")
        error, cause = self._get_param("error"), self._get_param("cause")
        if execution.status == "RUNNING":  # an ended execution keeps how it ended
            execution.error, execution.cause = error, cause
        execution.stop(stop_date=utcnow(), error=error, cause=cause)
        env = getattr(getattr(execution, "exec_worker", None), "env", None)
        if env is not None and isinstance(env.program_state(), ProgramStopped):
            # the history ends with ExecutionAborted; a Task waiting for a token (or a
            # heartbeat) stops waiting, and what it would record of that is left out
            env.event_manager.tutorial_stopped = True
            for endpoint in list(env.callback_pool_manager._pool.values()):
                endpoint.interrupt_all()
        deadline = time.monotonic() + STOP_WAIT_S
        while execution.status == "RUNNING" and time.monotonic() < deadline:
            time.sleep(0.01)
        return ActionResult({"stopDate": execution.stop_date})

    StepFunctionResponse.stop_execution = stop_execution


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


HISTORY_PAGE = 100  # GetExecutionHistory's default maxResults (at most 1000)
EXECUTION_DATA = ("input", "inputDetails", "output", "outputDetails")


def execution_history_is_paged_and_ordered_as_aws_does() -> None:
    """``GetExecutionHistory``: pages of ``maxResults`` events (100 by default, at most 1000)
    with a ``nextToken``, newest first with ``reverseOrder``, and without the events' inputs and
    outputs with ``includeExecutionData: false``.

    moto answers every event in one page, oldest first, whatever is asked.
    """
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    from sfn_tutorial.emulator.stepfunctions import versions

    original = StepFunctionResponse.get_execution_history

    def get_execution_history(self):
        events = list(original(self).result["events"])
        if self._get_param("reverseOrder"):
            events.reverse()
        if self._get_param("includeExecutionData") is False:
            events = [_without_data(event) for event in events]
        size = min(int(self._get_param("maxResults") or 0) or HISTORY_PAGE, 1000)
        arn = self._get_param("executionArn")
        chosen, token = versions.page(
            events,
            size,
            self._get_param("nextToken"),
            f"history:{arn}:{bool(self._get_param('reverseOrder'))}",
        )
        answer = {"events": chosen}
        if token:
            answer["nextToken"] = token
        return ActionResult(answer)

    StepFunctionResponse.get_execution_history = get_execution_history


def _without_data(event: dict) -> dict:
    event = dict(event)
    for key, value in list(event.items()):
        if key.endswith("EventDetails") and isinstance(value, dict):
            event[key] = {name: v for name, v in value.items() if name not in EXECUTION_DATA}
    return event
