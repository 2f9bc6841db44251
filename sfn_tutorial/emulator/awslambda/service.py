"""Lambda's ``Invoke`` on the local target: real handlers, Lambda's limits, errors and logs.

moto without Docker echoes an invocation's input. With ``apply()``, ``Invoke`` runs the uploaded
handler in a warm execution environment (``awslambda.runtime``), for boto3 callers over HTTP and for
the Step Functions interpreter in-process (``InProcessLambda``, no HTTP on the way). Both go
through ``invoke_response``, so both get the same status, headers, payload and errors:

* ``RequestResponse`` answers 200 with the handler's result, or ``FunctionError: Unhandled`` and
  Lambda's error payload; ``Event`` answers 202 at once; ``DryRun`` answers 204.
* A request over 6 MB: HTTP 413 ``RequestEntityTooLargeException``. A result over 6 MB: the error
  ``Function.ResponseSizeTooLarge``. A function with reserved concurrency that is busy: HTTP 429
  ``TooManyRequestsException``. A payload that is not JSON: ``InvalidRequestContentException``.
* The log goes to CloudWatch Logs ``/aws/lambda/NAME``, one stream per execution environment; its
  last 4 KB to ``LogType="Tail"`` callers.
* Updating or deleting a function, or resetting the emulator, retires its execution environments;
  deleting it, or a reset, also removes its code from disk.
* CreateFunction and UpdateFunctionCode refuse a package over 250 MB unzipped, as Lambda does.
"""

from __future__ import annotations

import base64
import io
import json
import random
import re
import threading
import time
import uuid
from urllib.parse import parse_qs, unquote

from moto.core.exceptions import JsonRESTError

from sfn_tutorial.emulator import service_models
from sfn_tutorial.emulator.awslambda import codecache, logs, metrics, runtime
from sfn_tutorial.emulator.iam import authorization

REQUEST_LIMIT = 6 * 1024 * 1024  # bytes, synchronous invocations (Lambda quotas)
RESPONSE_LIMIT = 6291556  # bytes, as Lambda's Function.ResponseSizeTooLarge message states it
EVENT_MAX_AGE_S = 6 * 3600  # how long Lambda keeps retrying a throttled asynchronous event
# "Function not found: arn:aws:lambda:REGION:ACCOUNT:function:NAME", without a qualifier
UNQUALIFIED_NOT_FOUND = re.compile(r"Function not found: arn:[^:]+:lambda:[^:]*:\d+:function:[^:]+")
INVOKE_PATH = re.compile(r"/2015-03-31/functions/([^/]+)/invocations/?")
CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/([^/]+)/lambda/")  # SigV4: key, region
REQUEST_HEADERS = {
    "x-amz-invocation-type": "HTTP_X_AMZ_INVOCATION_TYPE",
    "x-amz-log-type": "HTTP_X_AMZ_LOG_TYPE",
    "x-amz-client-context": "HTTP_X_AMZ_CLIENT_CONTEXT",
}
INTERPRETER_ACCESS_KEY = "ak"  # what moto's interpreter signs its calls with
JSON_CHECKED = "x-tutorial-payload-is-json"  # set by InProcessLambda: the interpreter wrote it
_endpoint = ""  # where handlers' AWS_ENDPOINT_URL points: this emulator
_backends: dict[tuple[str, str], object] = {}  # (access key, region) -> moto's Lambda backend


class InvokeError(JsonRESTError):
    """An ``Invoke`` error as Lambda sends it: HTTP status, ``X-Amzn-ErrorType``, JSON body."""

    def __init__(self, status: int, error_type: str, message: str, **fields) -> None:
        super().__init__(error_type, message)
        self.code = status
        self.description = json.dumps({**fields, "message": message})


def request_too_large() -> InvokeError:
    """Lambda: 413, ``Request must be smaller than 6291456 bytes for the InvokeFunction
    operation``."""
    message = f"Request must be smaller than {REQUEST_LIMIT} bytes for the InvokeFunction operation"
    return InvokeError(413, "RequestEntityTooLargeException", message, Type="User")


def throttled() -> InvokeError:
    """Lambda, when a function's reserved concurrency is used up: 429 ``Rate Exceeded.``"""
    return InvokeError(
        429,
        "TooManyRequestsException",
        "Rate Exceeded.",
        Reason="ReservedFunctionConcurrentInvocationLimitExceeded",
        Type="User",
    )


def invalid_content(message: str) -> InvokeError:
    """Lambda, for a payload or client context it cannot parse: 400."""
    return InvokeError(400, "InvalidRequestContentException", message, Type="User")


def invoke_response(backend, function_name: str, qualifier, body: bytes, headers):
    """Lambda's answer to ``Invoke``: ``(status, headers, payload)``; raises ``InvokeError`` or
    moto's own errors (``ResourceNotFoundException``) the way moto's response layer expects."""
    invocation_type = headers.get("x-amz-invocation-type") or "RequestResponse"
    body = body.encode() if isinstance(body, str) else (body or b"")
    if invocation_type != "Event" and len(body) > REQUEST_LIMIT:
        raise request_too_large()
    response_headers: dict[str, str] = {}
    payload = backend.invoke(function_name, qualifier, body, headers, response_headers)
    status = {"Event": 202, "DryRun": 204}.get(invocation_type, 200)
    response_headers["content-type"] = "application/json"
    return status, response_headers, payload


def apply(endpoint: str) -> None:
    """Make moto's Lambda run real handlers and answer ``Invoke`` as Lambda does."""
    global _endpoint
    _endpoint = endpoint
    logs.apply()  # log lines are written in batches, before any Logs operation
    _packages_are_checked()
    _invoke_runs_the_handler()
    _invoke_answers_through_invoke_response()
    _http_invoke_is_served_directly()
    _changes_retire_execution_environments()
    _lambda_invoke_task_output_is_awss()
    _lambda_tasks_without_a_timeout_run_in_place()
    _a_missing_function_is_named_with_latest()
    _unmodelled_errors_are_awslambdaexceptions()
    _event_invoke_configs_are_replaced_or_updated()


def _event_invoke_configs_are_replaced_or_updated() -> None:
    """Lambda's API reference: ``PutFunctionEventInvokeConfig`` "overwrites" a function's
    configuration for asynchronous invocation; ``UpdateFunctionEventInvokeConfig`` changes only
    the settings it is given. moto added one configuration per call and answered the first, so
    a second put or an update changed nothing."""
    from moto.awslambda.models import EventInvokeConfig, LambdaBackend

    def put_function_event_invoke_config(self, function_name, config):
        function = self.get_function(function_name)
        configuration = EventInvokeConfig(function.function_arn, function.last_modified, config)
        function.event_invoke_config = [configuration]
        return configuration.response()

    def update_function_event_invoke_config(self, function_name, config):
        function = self.get_function(function_name)
        current = function.event_invoke_config[0].config if function.event_invoke_config else {}
        merged = {**current, **{key: value for key, value in config.items() if value is not None}}
        destinations = {
            **current.get("DestinationConfig", {}),
            **config.get("DestinationConfig", {}),
        }
        if destinations:
            merged["DestinationConfig"] = destinations
        return put_function_event_invoke_config(self, function_name, merged)

    LambdaBackend.put_function_event_invoke_config = put_function_event_invoke_config
    LambdaBackend.update_function_event_invoke_config = update_function_event_invoke_config


def _packages_are_checked() -> None:
    """Lambda: CreateFunction or UpdateFunctionCode with a package whose files add up to more
    than 250 MB is ``InvalidParameterValueException``, "Unzipped size must be smaller than
    262144000 bytes"; the function keeps the code it had. moto stores any package."""
    from moto.awslambda.exceptions import InvalidParameterValueException
    from moto.awslambda.models import LambdaFunction

    original = LambdaFunction._set_function_code
    kept = ("code_bytes", "code_size", "code_sha_256", "code_digest")

    def _set_function_code(self, updated_spec):
        before = {name: getattr(self, name) for name in kept if hasattr(self, name)}
        code_before = dict(self.code) if isinstance(getattr(self, "code", None), dict) else None
        original(self, updated_spec)
        try:
            codecache.check(self.code_bytes)
        except codecache.PackageTooLarge as error:
            for name, value in before.items():  # an update: the function keeps its code
                setattr(self, name, value)
            if code_before is not None and self.code is not updated_spec:
                self.code.clear()
                self.code.update(code_before)
            raise InvalidParameterValueException(str(error)) from None

    LambdaFunction._set_function_code = _set_function_code


def _invoke_runs_the_handler() -> None:
    """moto's ``LambdaFunction.invoke``, which echoes the event, replaced by one that runs the
    handler (every way moto invokes a function comes through here)."""
    from moto.awslambda.models import LambdaFunction

    def invoke(self, body, request_headers, response_headers):
        invocation_type = request_headers.get("x-amz-invocation-type") or "RequestResponse"
        event = _event(body, checked=request_headers.get(JSON_CHECKED) == "yes")
        client_context = _client_context(request_headers.get("x-amz-client-context"))
        if invocation_type == "DryRun":
            return b""
        if invocation_type == "Event":
            threading.Thread(
                target=_invoke_later, args=(self, event, client_context), daemon=True
            ).start()
            return b""
        try:
            result = _invoke_and_log(self, event, client_context)
        except runtime.Throttled:
            raise throttled() from None
        response_headers["x-amzn-requestid"] = result.request_id  # Lambda: the invocation's id
        response_headers["x-amz-executed-version"] = str(self.version)
        if request_headers.get("x-amz-log-type") == "Tail":
            response_headers["x-amz-log-result"] = result.log_tail
        payload, function_error = _within_response_limit(result.payload, result.function_error)
        if function_error:
            response_headers["x-amz-function-error"] = function_error
        return payload

    LambdaFunction.invoke = invoke


def _event(body, checked: bool = False) -> bytes:
    """The request's payload as JSON bytes (``{}`` when empty); Lambda refuses other JSON.
    ``checked``: the caller made it with ``json.dumps``, no need to parse it again."""
    if not isinstance(body, (str, bytes, type(None))):  # an event from another moto service
        body = json.dumps(body)
    event = body.encode() if isinstance(body, str) else (body or b"")
    if not event.strip():
        return b"{}"
    if checked:
        return event
    try:
        json.loads(event)
    except ValueError as exc:
        raise invalid_content(
            f"Could not parse request body into json: Could not parse payload into json: {exc}"
        ) from None
    return event


def _client_context(header: str | None) -> dict | None:
    """``ClientContext``: base64-encoded JSON, the handler's ``context.client_context``."""
    if not header:
        return None
    try:
        return json.loads(base64.b64decode(header))
    except ValueError:
        raise invalid_content(
            "Client context must be a valid Base64-encoded JSON object."
        ) from None


def _within_response_limit(payload: bytes, function_error: str | None):
    """Lambda refuses results over 6 MB with ``Function.ResponseSizeTooLarge``."""
    if len(payload) <= RESPONSE_LIMIT:
        return payload, function_error
    error = {
        "errorMessage": (
            f"Response payload size exceeded maximum allowed payload size ({RESPONSE_LIMIT} bytes)."
        ),
        "errorType": "Function.ResponseSizeTooLarge",
    }
    return json.dumps(error).encode(), "Unhandled"


def _spec(function) -> runtime.FunctionSpec:
    reserved = function.reserved_concurrency
    return runtime.FunctionSpec(
        name=function.function_name,
        arn=function.function_arn,
        handler=function.handler,
        code_zip=function.code_bytes,
        region=function.region,
        version=str(function.version),
        memory_mb=int(function.memory_size),
        timeout_s=float(function.timeout),
        environment=dict(function.environment_vars or {}),
        runtime=function.run_time or "python3.12",
        code_sha256=function.code_sha_256,
        reserved_concurrency=None if reserved is None else int(reserved),
        role=function.role or "",
    )


def _invoke_and_log(function, event: bytes, client_context: dict | None = None):
    """Run the handler once, write its log to CloudWatch Logs and publish its metrics to
    CloudWatch, as Lambda does."""
    with metrics.invocation(function) as ended:
        result = runtime.invoke(_spec(function), event, _endpoint, client_context=client_context)
        ended(result)
    _write_log(function, result)
    return result


def _write_log(function, result) -> None:
    """Queue the invocation's lines for its execution environment's stream (``awslambda.logs``),
    if the function's role may write them: as on AWS, a role without the CloudWatch Logs
    permissions (``AWSLambdaBasicExecutionRole`` grants them) leaves no log."""
    if not _may_log(function, result.log_stream_name):
        return
    logs.QUEUE.add(
        function.logs_backend, function.logs_group_name, result.log_stream_name, result.log_lines
    )


def _may_log(function, stream: str) -> bool:
    """May the function's role create its log stream and put events in it (and create its log
    group, when there is none yet)? IAM's answer is kept for a second per execution environment's
    stream (IAM changes take seconds to reach AWS's services too), so that a Map of many
    invocations does not ask it for each."""
    if not function.role:
        return True
    key = (function.role, function.logs_group_name, stream)
    known = _log_permissions.get(key)
    if known is not None and time.monotonic() - known[0] < LOG_PERMISSION_TTL_S:
        return known[1]
    allowed = _logs_allowed(function, stream)
    _log_permissions[key] = (time.monotonic(), allowed)
    return allowed


LOG_PERMISSION_TTL_S = 1.0
_log_permissions: dict[tuple[str, str, str], tuple[float, bool]] = {}


def _logs_allowed(function, stream: str) -> bool:
    region, account = function.region, function.function_arn.split(":")[4]
    group = f"arn:aws:logs:{region}:{account}:log-group:{function.logs_group_name}"
    needed = [
        ("logs:CreateLogStream", f"{group}:log-stream:{stream}"),
        ("logs:PutLogEvents", f"{group}:log-stream:{stream}"),
    ]
    if function.logs_group_name not in function.logs_backend.groups:
        needed.append(("logs:CreateLogGroup", f"{group}:*"))
    return all(authorization.allowed(function.role, *need) for need in needed)


def _invoke_later(function, event: bytes, client_context: dict | None) -> None:
    """An asynchronous invocation: Lambda queues the event and retries while it is throttled."""
    give_up = time.monotonic() + EVENT_MAX_AGE_S
    delay = 1.0
    while True:
        try:
            _invoke_and_log(function, event, client_context)
            return
        except runtime.Throttled:
            if time.monotonic() + delay > give_up:
                return
            time.sleep(delay)
            delay = min(delay * 2, 60.0)


def _invoke_answers_through_invoke_response() -> None:
    """moto's HTTP handler for ``Invoke``, replaced by one built on ``invoke_response``."""
    from moto.awslambda.responses import LambdaResponse

    def invoke(self):
        function_name = unquote(self.path.rsplit("/", 2)[-2])
        qualifier = self.querystring.get("Qualifier", [None])[0]
        answer = invoke_response(self.backend, function_name, qualifier, self.body, self.headers)
        status, headers, payload = answer
        headers["status"] = str(status)  # where moto's response layer reads the status from
        return status, headers, payload

    LambdaResponse.invoke = invoke


def _http_invoke_is_served_directly() -> None:
    """A signed ``Invoke`` request skips moto's dispatcher, Flask and response layer, which took
    most of a warm invocation's time, and goes straight to ``invoke_response``."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original = DomainDispatcherApplication.__call__

    def __call__(self, environ, start_response):
        match = INVOKE_PATH.fullmatch(environ.get("PATH_INFO", ""))
        credential = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        if environ.get("REQUEST_METHOD") != "POST" or not (match and credential):
            return original(self, environ, start_response)
        return _serve_invoke(unquote(match.group(1)), *credential.groups(), environ, start_response)

    DomainDispatcherApplication.__call__ = __call__


def _serve_invoke(function_name: str, access_key: str, region: str, environ, start_response):
    """The WSGI answer to one ``Invoke`` request."""
    from werkzeug.exceptions import HTTPException
    from werkzeug.http import HTTP_STATUS_CODES
    from werkzeug.wsgi import get_input_stream

    headers = {name: environ[key] for name, key in REQUEST_HEADERS.items() if key in environ}
    qualifier = parse_qs(environ.get("QUERY_STRING", "")).get("Qualifier", [None])[0]
    body = get_input_stream(environ).read()
    try:
        status, response_headers, payload = invoke_response(
            _backend(access_key, region), function_name, qualifier, body, headers
        )
    except HTTPException as error:
        status, payload = error.code, error.get_body().encode()
        response_headers = dict(error.get_headers())
    if "x-amzn-requestid" not in response_headers:
        response_headers["x-amzn-requestid"] = _request_id()
    response_headers["Content-Length"] = str(len(payload))
    start_response(f"{status} {HTTP_STATUS_CODES.get(status, '')}", list(response_headers.items()))
    return [payload]


def _backend(access_key: str, region: str):
    """moto's Lambda backend for the account of ``access_key`` (as moto finds it) and region.
    Finding the account looks through every account's keys, so each answer is kept until the
    emulator is reset (a new key never has the id of one already seen)."""
    backend = _backends.get((access_key, region))
    if backend is None:
        from moto.awslambda.utils import get_backend
        from moto.iam.models import get_account_id_from

        account_id = get_account_id_from(access_key)
        backend = _backends[(access_key, region)] = get_backend(account_id, region)
    return backend


def _request_id() -> str:
    """A request id for an answer that ran no function (an error): a UUID, as Lambda's are."""
    return str(uuid.UUID(int=random.getrandbits(128), version=4))


def _changes_retire_execution_environments() -> None:
    """After UpdateFunctionCode, UpdateFunctionConfiguration or DeleteFunction, Lambda never runs
    the old code or configuration again; after a reset, no function exists any more."""
    from moto.awslambda.models import LambdaBackend, LambdaFunction
    from moto.awslambda.utils import make_function_arn
    from moto.moto_api._internal.models import MotoAPIBackend

    for name in ("update_configuration", "update_function_code"):
        _call_after(LambdaFunction, name, lambda self, *_, **__: runtime.retire(self.function_arn))

    def retire_deleted(self, function_name, qualifier=None, *_, **__):
        name = function_name.split(":")[6] if function_name.startswith("arn:") else function_name
        arn = make_function_arn(self.region_name, self.account_id, name)
        if qualifier is None:  # the whole function: its code goes too
            runtime.remove(arn)
        else:  # one version: the function's other versions may share its code
            runtime.retire(arn)

    _call_after(LambdaBackend, "delete_function", retire_deleted)
    _call_after(MotoAPIBackend, "reset", _forget_everything)


def _forget_everything(*_) -> None:
    """After a reset: no execution environment, no code on disk and no backend of before may be
    used again."""
    runtime.remove(None)
    logs.QUEUE.forget()
    _backends.clear()
    _log_permissions.clear()


def _call_after(cls, name: str, hook) -> None:
    """Wrap ``cls.name`` so that ``hook`` runs, with the same arguments, after each call."""
    original = getattr(cls, name)

    def wrapper(self, *args, **kwargs):
        try:
            return original(self, *args, **kwargs)
        finally:
            hook(self, *args, **kwargs)

    wrapper.__doc__ = original.__doc__
    setattr(cls, name, wrapper)


def _members(shape, location: str) -> dict[str, str]:
    """A shape's members found at ``location`` (``header``, ``statusCode``), with the wire
    name each has there, lower-cased."""
    return {
        member: member_shape.serialization.get("name", member).lower()
        for member, member_shape in shape.members.items()
        if member_shape.serialization.get("location") == location
    }


def _lambda_invoke_task_output_is_awss() -> None:
    """A Task with ``arn:aws:states:::lambda:invoke`` outputs Lambda's response as Step Functions
    gives it: ``ExecutedVersion``, ``Payload``, ``SdkHttpMetadata`` (the response's headers and
    status), ``SdkResponseMetadata`` (its request id) and ``StatusCode``, keys sorted as AWS's JSON
    has them. moto keeps ``StatusCode``, ``ExecutedVersion`` and ``Payload`` only."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_lambda,
    )

    service_task = state_task_service_lambda.StateTaskServiceLambda
    original = service_task._eval_service_task

    def _eval_service_task(
        self, env, resource_runtime_part, normalised_parameters, state_credentials
    ):
        if env.is_mocked_mode():
            return original(
                self, env, resource_runtime_part, normalised_parameters, state_credentials
            )
        response = lambda_eval_utils._invoke_lambda_function(
            parameters=normalised_parameters,
            region=resource_runtime_part.region,
            state_credentials=state_credentials,
        )
        if response.get("FunctionError"):  # as moto reports it: the error payload, compact
            payload = json.dumps(response["Payload"], separators=(",", ":"))
            raise lambda_eval_utils.LambdaFunctionErrorException(response["FunctionError"], payload)
        env.stack.append(task_output(response))

    service_task._eval_service_task = _eval_service_task


def _a_missing_function_is_named_with_latest() -> None:
    """A ``lambda:invoke`` Task naming a function that does not exist, without a version or
    alias, fails with ``Lambda.ResourceNotFoundException``, cause ``Function not found:
    arn:aws:lambda:REGION:ACCOUNT:function:NAME:$LATEST (Service: AWSLambda; Status Code: 404;
    ...)``: Step Functions invokes the function's ``$LATEST`` version.

    moto's message names the unqualified ARN.
    """
    from botocore.exceptions import ClientError
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_lambda,
    )

    task_class = state_task_service_lambda.StateTaskServiceLambda
    original = task_class._from_error

    def _from_error(self, env, ex):
        error = ex.response.get("Error", {}) if isinstance(ex, ClientError) else {}
        message = error.get("Message", "")
        match = UNQUALIFIED_NOT_FOUND.fullmatch(message)
        if error.get("Code") == "ResourceNotFoundException" and match:
            error["Message"] = f"{message}:$LATEST"
        return original(self, env, ex)

    task_class._from_error = _from_error


def _unmodelled_errors_are_awslambdaexceptions() -> None:
    """Lambda's answer with an error code its API does not model, such as IAM's
    ``AccessDeniedException``, fails a Lambda Task with ``Lambda.AWSLambdaException`` (the
    generic exception of the AWS SDK for Java that Step Functions calls Lambda with) and the
    SDK's cause: ``MESSAGE (Service: AWSLambda; Status Code: 403; Error Code:
    AccessDeniedException; Request ID: ID; Proxy: null)``; a modelled one keeps its name
    (``Lambda.ResourceNotFoundException``). A Task naming the function by its bare ARN fails the
    same way, in a ``LambdaFunctionFailed`` event.

    moto names every error ``Lambda.CODE``, and for a bare ARN gives ``Exception`` and the
    message alone.
    """
    from botocore.exceptions import ClientError
    from moto.stepfunctions.parser.api import HistoryEventType, LambdaFunctionFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
        CustomErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_lambda,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import (
        StateTaskLambda,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    service_task = state_task_service_lambda.StateTaskServiceLambda
    sdk_error_and_cause = service_task._error_cause_from_client_error

    def _error_cause_from_client_error(client_error):
        error, cause = sdk_error_and_cause(client_error)
        code = client_error.response["Error"]["Code"]
        if code not in _modelled_error_codes():
            error = "Lambda.AWSLambdaException"
        return error, cause

    service_task._error_cause_from_client_error = staticmethod(_error_cause_from_client_error)
    original = StateTaskLambda._from_error

    def _from_error(self, env, ex):
        if not isinstance(ex, ClientError):
            return original(self, env, ex)
        error, cause = _error_cause_from_client_error(ex)
        return FailureEvent(
            env=env,
            error_name=CustomErrorName(error),
            event_type=HistoryEventType.LambdaFunctionFailed,
            event_details=EventDetails(
                lambdaFunctionFailedEventDetails=LambdaFunctionFailedEventDetails(
                    error=error, cause=cause
                )
            ),
        )

    StateTaskLambda._from_error = _from_error


def _modelled_error_codes() -> set[str]:
    """The error codes Lambda's API models (botocore's service model)."""
    if not _modelled:
        model = service_models.service_model("lambda")
        _modelled.update(shape.error_code for shape in model.error_shapes)
    return _modelled


_modelled: set[str] = set()


def _lambda_tasks_without_a_timeout_run_in_place() -> None:
    """A Lambda Task state without ``TimeoutSeconds`` runs on its execution's own environment.

    moto runs every Task state in a thread of its own, on a copy of the execution's environment
    (a "frame"), so that it can stop waiting when the state's timeout passes. Without a timeout
    there is nothing to stop waiting for, and the thread and the frame cost more server time than
    the Lambda call itself: in a Map of a thousand items they were a third of a Task's CPU time.
    The history is the same: events go to the same event manager with the same ids and links.
    Tasks with a timeout, and ``.waitForTaskToken`` tasks, keep moto's way.

    Each attempt starts from the state's input, as on AWS: a failed attempt that a ``Retry``
    retries leaves the evaluation stack as it found it, as moto's copy of it did.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_lambda,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import (
        StateTaskLambda,
    )

    for task_class in (StateTaskLambda, state_task_service_lambda.StateTaskServiceLambda):
        _run_in_place_unless_timed(task_class)


def _run_in_place_unless_timed(task_class) -> None:
    original = task_class._evaluate_with_timeout

    def _evaluate_with_timeout(self, env):
        waits_for_token = getattr(self.resource, "condition", None) is not None
        if waits_for_token or not self.timeout.is_default_value():
            return original(self, env)
        before = list(env.stack)  # the call pops the state's input: a retry needs it again
        try:
            self._eval_execution(env)
            result = env.stack.pop()
        finally:
            env.stack[:] = before  # as moto's frame leaves it, also when the call failed
        process_task_result(self, env, result)

    task_class._evaluate_with_timeout = _evaluate_with_timeout


def process_task_result(state, env, result) -> None:
    """What a Task state does with its result, in ASL's order: JSONata's ``$states.result``,
    ``Assign``, ``ResultSelector``, ``ResultPath`` (JSONPath's default: the result replaces the
    input)."""
    env.stack.append(result)
    if not state._is_language_query_jsonpath():
        env.states.set_result(result)
    if state.assign_decl:
        state.assign_decl.eval(env=env)
    if state.result_selector:
        state.result_selector.eval(env=env)
    if state.result_path:
        state.result_path.eval(env)
    else:
        env.states.reset(input_value=env.stack.pop())


def task_output(response: dict) -> dict:
    """The optimised integration's output for a boto3 ``invoke`` response."""
    from email.utils import formatdate

    request_id = response["ResponseMetadata"].get("RequestId", "")
    headers = {
        "Connection": "keep-alive",
        "Content-Length": response["ResponseMetadata"]["HTTPHeaders"].get("content-length", "0"),
        "Content-Type": "application/json",
        "Date": formatdate(usegmt=True),
        "X-Amz-Executed-Version": response.get("ExecutedVersion", "$LATEST"),
        "x-amzn-Remapped-Content-Length": "0",
        "x-amzn-RequestId": request_id,
        "X-Amzn-Trace-Id": f"root=1-{int(time.time()):08x}-{random.getrandbits(96):024x};sampled=0",
    }
    if "LogResult" in response:
        headers["X-Amz-Log-Result"] = response["LogResult"]
    headers = dict(sorted(headers.items(), key=lambda item: item[0].lower()))
    output = {key: response[key] for key in ("ExecutedVersion", "LogResult") if key in response}
    output["Payload"] = response["Payload"]
    output["SdkHttpMetadata"] = {
        "AllHttpHeaders": {name: [value] for name, value in headers.items()},
        "HttpHeaders": headers,
        "HttpStatusCode": response["StatusCode"],
    }
    output["SdkResponseMetadata"] = {"RequestId": request_id}
    output["StatusCode"] = response["StatusCode"]
    return dict(sorted(output.items()))


class InProcessLambda:
    """The Step Functions interpreter's Lambda client. ``invoke`` calls this emulator's Lambda
    directly, through ``invoke_response`` as the HTTP path does, and shapes the answer, or the
    error, as botocore does from the same service model; anything else goes to ``http_client``.
    With a role ``session`` (``iam.authorization``), IAM is asked first, as the HTTP path asks
    it: a role that may not invoke the function gets Lambda's ``AccessDeniedException``.
    """

    def __init__(self, region: str, http_client, session=None) -> None:
        self.region = region
        self.session = session
        self._http = http_client
        self._operation = http_client.meta.service_model.operation_model("Invoke")
        self._request_headers = _members(self._operation.input_shape, "header")
        self._response_headers = _members(self._operation.output_shape, "header")
        self._status_members = _members(self._operation.output_shape, "statusCode")

    def __getattr__(self, name: str):
        return getattr(self._http, name)

    def invoke(self, FunctionName, Payload=b"", Qualifier=None, **options):  # noqa: N803
        """boto3's ``invoke``, without serialising, signing or sending anything."""
        if any(option not in self._request_headers for option in options):
            if Qualifier is not None:  # an option only the HTTP path knows how to send
                options["Qualifier"] = Qualifier
            return self._http.invoke(FunctionName=FunctionName, Payload=Payload, **options)
        from werkzeug.exceptions import HTTPException

        if self.session is not None:
            self._authorise(FunctionName, Qualifier)
        headers = {
            self._request_headers[name]: str(value)
            for name, value in options.items()
            if value is not None
        }
        headers[JSON_CHECKED] = "yes"  # the interpreter's payloads are its own json.dumps
        body = Payload.encode() if isinstance(Payload, str) else Payload
        try:
            status, response_headers, payload = invoke_response(
                _backend(INTERPRETER_ACCESS_KEY, self.region),
                FunctionName,
                Qualifier,
                body,
                headers,
            )
        except HTTPException as error:
            raise self._client_error(error) from None
        return self._parsed(status, response_headers, payload)

    def _authorise(self, function_name: str, qualifier) -> None:
        """Raise the ``ClientError`` Lambda answers when the session's role may not invoke."""
        resource = authorization.function_arn(
            function_name, qualifier, self.region, self.session.account
        )
        try:
            authorization.check(self.session, "lambda:InvokeFunction", resource)
        except authorization.AccessDenied as denied:
            request_id = _request_id()
            response = {
                "Error": {"Code": "AccessDeniedException", "Message": denied.message},
                "Message": denied.message,
                "ResponseMetadata": {
                    "RequestId": request_id,
                    "HTTPStatusCode": 403,
                    "HTTPHeaders": {
                        "x-amzn-requestid": request_id,
                        "x-amzn-errortype": "AccessDeniedException",
                    },
                    "RetryAttempts": 0,
                },
            }
            raise self._http.exceptions.from_code("AccessDeniedException")(
                response, "Invoke"
            ) from None

    def _parsed(self, status: int, headers: dict, payload: bytes) -> dict:
        """The response dict botocore builds: modelled header members, status, payload."""
        from botocore.response import StreamingBody

        lowered = {name.lower(): str(value) for name, value in headers.items()}
        lowered["content-length"] = str(len(payload))
        if "x-amzn-requestid" not in lowered:
            lowered["x-amzn-requestid"] = _request_id()
        request_id = lowered["x-amzn-requestid"]
        response = {
            "ResponseMetadata": {
                "RequestId": request_id,
                "HTTPStatusCode": status,
                "HTTPHeaders": lowered,
                "RetryAttempts": 0,
            }
        }
        response.update(dict.fromkeys(self._status_members, status))
        for member, header in self._response_headers.items():
            if header in lowered:
                response[member] = lowered[header]
        response["Payload"] = StreamingBody(io.BytesIO(payload), len(payload))
        return response

    def _client_error(self, error):
        """The exception botocore raises for this error response (same parser, same class)."""
        from botocore.awsrequest import HeadersDict
        from botocore.parsers import create_parser

        headers = HeadersDict(error.get_headers())
        headers["x-amzn-requestid"] = _request_id()
        raw = {"status_code": error.code, "headers": headers, "body": error.get_body().encode()}
        parser = create_parser("rest-json")
        parsed = parser.parse(raw, self._operation.output_shape)
        code = parsed["Error"]["Code"]
        error_shape = self._operation.service_model.shape_for_error_code(code)
        if error_shape is not None:
            parsed.update(parser.parse(raw, error_shape))
        parsed["ResponseMetadata"]["RetryAttempts"] = 0
        return self._http.exceptions.from_code(code)(parsed, "Invoke")
