"""The account-like stand-in: the emulator behaving like a fresh AWS account where the aws
target's code must cope with it. For tests of the aws path only (``tests/test_aws_target.py``);
a learner's local target never turns it on.

A real account is eventually consistent and rate-limited, and the local target hides that.
With ``SFN_TUTORIAL_ACCOUNT_LIKE=1`` in the emulator's environment (or ``python -m
sfn_tutorial.emulator.server --env --account-like``) the emulator also:

* lets a new role, or one whose trust policy changed, take effect only after
  ``SFN_TUTORIAL_ACCOUNT_LIKE_ROLE_DELAY_S`` seconds (default 3). Until then Lambda's
  ``CreateFunction`` and ``UpdateFunctionConfiguration`` answer ``InvalidParameterValueException``
  "The role defined for the function cannot be assumed by Lambda.", Step Functions'
  ``CreateStateMachine`` and ``UpdateStateMachine`` answer ``AccessDeniedException`` "Neither the
  global service principal states.amazonaws.com, nor the regional one is authorized to assume
  the provided role.", and EventBridge and API Gateway cannot act with the role: EventBridge
  drops the event (a failed invocation: AWS does not retry a 4xx), API Gateway answers 500;
* keeps a function ``Pending`` for ``SFN_TUTORIAL_ACCOUNT_LIKE_PENDING_S`` seconds (default 2)
  after ``CreateFunction``, and its ``LastUpdateStatus`` ``InProgress`` as long after an update.
  ``Invoke`` of a ``Pending`` function and an update during an update answer
  ``ResourceConflictException`` with Lambda's messages;
* throttles every ``SFN_TUTORIAL_ACCOUNT_LIKE_THROTTLE_EVERY``-th control-plane call to each
  service (default 7; ``0``: never; AWS's limits are per service and API) with the error each
  service gives: IAM ``Throttling``, Lambda
  ``TooManyRequestsException`` (429), Step Functions, EventBridge and CloudWatch Logs
  ``ThrottlingException``, API Gateway ``TooManyRequestsException`` (429). botocore retries
  all of them. Data-plane calls (``Invoke``, ``StartExecution``, ``PutEvents``...) and the
  emulator's own calls are never throttled.

``GET /_tutorial/account-like`` (signed like any call) answers the settings and how often each
refusal was served, so a test can tell that the aws path met them.

Why a learner's emulator carries code that only tests use: the stand-in is not a second server
but this emulator, changed at its edges, in its own process. ``server`` wraps moto's application
in ``middleware`` and ``fixes`` calls ``apply`` with the other changes to moto, in the process
that ``python -m sfn_tutorial.emulator.server`` starts, from the installed package, exactly as a
learner's starts. So the aws path is proven against the very emulator the local target runs, and
the package never imports from ``tests/``, which is not part of it (``tests/aws_stand_in.py``
starts the server with the variables above, points the kernels at it and reads the counts). Without
``SFN_TUTORIAL_ACCOUNT_LIKE`` the mode costs a learner nothing: ``enabled()`` is false, nothing
is wrapped or patched, and importing this module loads nothing the emulator does not load anyway.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import urllib.parse
import uuid

from sfn_tutorial.emulator import auth
from sfn_tutorial.emulator.iam import authorization

ENABLED_VARIABLE = "SFN_TUTORIAL_ACCOUNT_LIKE"
ROLE_DELAY_VARIABLE = "SFN_TUTORIAL_ACCOUNT_LIKE_ROLE_DELAY_S"
PENDING_VARIABLE = "SFN_TUTORIAL_ACCOUNT_LIKE_PENDING_S"
THROTTLE_VARIABLE = "SFN_TUTORIAL_ACCOUNT_LIKE_THROTTLE_EVERY"
COUNTS_PATH = "/_tutorial/account-like"

LAMBDA_ROLE_MESSAGE = "The role defined for the function cannot be assumed by Lambda."
STATES_ROLE_MESSAGE = (
    "Neither the global service principal states.amazonaws.com, nor the regional one is "
    "authorized to assume the provided role."
)
RATE_EXCEEDED = "Rate exceeded"

# Calls that are not control plane: never throttled (the emulator makes some of them itself).
DATA_PLANE = {
    "states": {
        "StartExecution",
        "StartSyncExecution",
        "StopExecution",
        "SendTaskSuccess",
        "SendTaskFailure",
        "SendTaskHeartbeat",
        "DescribeExecution",
        "GetExecutionHistory",
        "ListExecutions",
        "DescribeMapRun",
        "ListMapRuns",
        "TestState",
    },
    "events": {"PutEvents"},
    "logs": {"PutLogEvents", "CreateLogStream", "CreateLogGroup", "GetLogEvents"},
}
THROTTLED_SERVICES = {"iam", "lambda", "states", "events", "logs", "apigateway"}
LAMBDA_FUNCTION_PATH = re.compile(r"^/2015-03-31/functions/([^/]+)(/[a-z-]+)?/?$")


def enabled() -> bool:
    """Is the account-like mode asked for (``SFN_TUTORIAL_ACCOUNT_LIKE`` set, not ``0``)?"""
    return os.environ.get(ENABLED_VARIABLE, "").strip() not in ("", "0", "false")


def _number(variable: str, default: float) -> float:
    value = os.environ.get(variable, "").strip()
    try:
        return float(value) if value else default
    except ValueError:
        raise ValueError(f"{variable} must be a number, not {value!r}") from None


def settings() -> dict:
    """The mode's delays and throttling period, from the environment."""
    return {
        "role_delay_s": _number(ROLE_DELAY_VARIABLE, 3.0),
        "pending_s": _number(PENDING_VARIABLE, 2.0),
        "throttle_every": int(_number(THROTTLE_VARIABLE, 7)),
    }


class Account:
    """What the stand-in remembers: when roles changed, when functions settle, what it refused."""

    def __init__(self, role_delay_s: float, pending_s: float, throttle_every: int):
        self.role_delay_s = role_delay_s
        self.pending_s = pending_s
        self.throttle_every = throttle_every
        self._lock = threading.Lock()
        self._role_ready_at: dict[str, float] = {}  # role name -> monotonic time
        self._created_until: dict[str, float] = {}  # function name -> end of Pending
        self._updating_until: dict[str, float] = {}  # function name -> end of InProgress
        self._control_calls = 0
        self._calls_by_service: dict[str, int] = {}
        self.counts: dict[str, int] = {}

    # ------------------------------------------------------------ bookkeeping

    def count(self, what: str) -> None:
        """Count one refusal (or one served state) of kind ``what``."""
        with self._lock:
            self.counts[what] = self.counts.get(what, 0) + 1

    def role_changed(self, role_name: str) -> None:
        """A role was created, or its trust policy changed: it takes effect after the delay."""
        with self._lock:
            self._role_ready_at[role_name] = time.monotonic() + self.role_delay_s

    def role_ready(self, role_arn: str | None) -> bool:
        """Has the role (by ARN) spread through the account yet?"""
        name = (role_arn or "").rsplit("/", 1)[-1]
        with self._lock:
            return time.monotonic() >= self._role_ready_at.get(name, 0.0)

    def function_created(self, name: str) -> None:
        """A function was created: ``Pending`` for a while."""
        with self._lock:
            until = time.monotonic() + self.pending_s
            self._created_until[name] = until
            self._updating_until[name] = until

    def function_updated(self, name: str) -> None:
        """A function's code or configuration changed: ``InProgress`` for a while."""
        with self._lock:
            self._updating_until[name] = time.monotonic() + self.pending_s

    def function_deleted(self, name: str) -> None:
        """A deleted function has no state left (a new one of that name starts afresh)."""
        with self._lock:
            self._created_until.pop(name, None)
            self._updating_until.pop(name, None)

    def is_pending(self, name: str) -> bool:
        """Is the function still being created?"""
        with self._lock:
            return time.monotonic() < self._created_until.get(name, 0.0)

    def is_updating(self, name: str) -> bool:
        """Is an update (or the creation) of the function still in progress?"""
        with self._lock:
            return time.monotonic() < self._updating_until.get(name, 0.0)

    def should_throttle(self, service: str) -> bool:
        """Count one control-plane call to ``service``; ``True`` for every ``throttle_every``-th
        of that service's (so whether a service is throttled does not depend on how many calls
        other services got in between)."""
        with self._lock:
            self._control_calls += 1
            calls = self._calls_by_service.get(service, 0) + 1
            self._calls_by_service[service] = calls
            return self.throttle_every > 0 and calls % self.throttle_every == 0

    def report(self) -> dict:
        """The settings and the counts, for ``GET /_tutorial/account-like``."""
        with self._lock:
            return {
                "role_delay_s": self.role_delay_s,
                "pending_s": self.pending_s,
                "throttle_every": self.throttle_every,
                "control_plane_calls": self._control_calls,
                "counts": dict(self.counts),
            }


ACCOUNT: dict[str, Account] = {}


def account() -> Account | None:
    """The stand-in's state in this emulator process, or ``None`` when the mode is off."""
    return ACCOUNT.get("account")


# ---------------------------------------------------------------- moto-level changes


def apply() -> None:
    """Turn the mode on in this emulator process (called by ``fixes.apply`` when enabled)."""
    ACCOUNT["account"] = Account(**settings())
    functions_report_their_state()
    services_wait_for_roles()


def functions_report_their_state() -> None:
    """``GetFunction`` and the others show ``Pending`` / ``InProgress`` as Lambda does while a
    function is being created or updated."""
    from moto.awslambda.models import LambdaFunction

    original = LambdaFunction.get_configuration

    def get_configuration(self, *args, **kwargs):
        config = original(self, *args, **kwargs)
        state = account()
        if state is None:
            return config
        if state.is_pending(self.function_name):
            state.count("function-pending:reported")
            config.update(
                State="Pending",
                StateReason="The function is being created.",
                StateReasonCode="Creating",
                LastUpdateStatus="InProgress",
            )
        elif state.is_updating(self.function_name):
            config.update(State="Active", LastUpdateStatus="InProgress")
        return config

    LambdaFunction.get_configuration = get_configuration


def services_wait_for_roles() -> None:
    """EventBridge and API Gateway cannot act with a role that has not spread yet."""
    from sfn_tutorial.emulator.iam import service_roles

    original = service_roles.refusal

    def refusal(role_arn, service, action, resource, source_arn=None):
        state = account()
        if role_arn and state is not None and not state.role_ready(role_arn):
            state.count(f"role-not-ready:{service}")
            return f"{service} could not assume the role {role_arn} (it is not usable yet)."
        return original(role_arn, service, action, resource, source_arn)

    service_roles.refusal = refusal


# ---------------------------------------------------------------- the WSGI layer


def operation_of(environ: dict, service: str) -> str:
    """The API operation a request calls (``CreateFunction``, ``CreateRole``...); ``""`` when
    unknown. Found as IAM authorisation finds it, from botocore's service models."""
    return authorization.request_operation(environ, service)[0] or ""


def _function_name(environ: dict) -> str:
    match = LAMBDA_FUNCTION_PATH.match(environ.get("PATH_INFO", ""))
    name = urllib.parse.unquote(match.group(1)) if match else ""
    return name.rsplit(":function:", 1)[-1].split(":")[0]


def _json_body(environ: dict) -> dict:
    try:
        return json.loads(auth.read_body(environ) or b"{}")
    except ValueError:
        return {}


def _form(environ: dict) -> dict:
    form = urllib.parse.parse_qs(auth.read_body(environ).decode("utf-8", "replace"))
    return {name: values[0] for name, values in form.items()}


def _error(service: str, status: int, code: str, message: str, extra: dict | None = None):
    """Status line, headers and body of an error in ``service``'s wire format."""
    request_id = str(uuid.uuid4())
    reason = {400: "Bad Request", 409: "Conflict", 429: "Too Many Requests"}.get(status, "Error")
    if service in auth.QUERY_PROTOCOL_SERVICES:
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        return f"{status} {reason}", [("Content-Type", "text/xml")], body.encode()
    if service in ("lambda", "apigateway"):  # REST-JSON: the code is in a header
        body = {"message": message, **(extra or {})}
        if service == "lambda":
            body["Type"] = "User"
        headers = [
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", code),
            ("x-amzn-RequestId", request_id),
        ]
        return f"{status} {reason}", headers, json.dumps(body).encode()
    body = json.dumps({"__type": code, "message": message})
    headers = [
        ("Content-Type", "application/x-amz-json-1.0"),
        ("x-amzn-RequestId", request_id),
    ]
    return f"{status} {reason}", headers, body.encode()


THROTTLE_ERRORS = {
    "iam": (400, "Throttling", RATE_EXCEEDED, None),
    "lambda": (
        429,
        "TooManyRequestsException",
        RATE_EXCEEDED,
        {"Reason": "CallerRateLimitExceeded"},
    ),
    "states": (400, "ThrottlingException", RATE_EXCEEDED, None),
    "events": (400, "ThrottlingException", RATE_EXCEEDED, None),
    "logs": (400, "ThrottlingException", RATE_EXCEEDED, None),
    "apigateway": (429, "TooManyRequestsException", "Too Many Requests", None),
}


def refusal_for(environ: dict, service: str, operation: str, state: Account) -> tuple | None:
    """The error the account gives this request now, or ``None`` to serve it."""
    if service not in THROTTLED_SERVICES:
        return None
    refused = _not_ready_refusal(environ, service, operation, state)
    if refused:
        return refused
    if operation in DATA_PLANE.get(service, ()) or (service == "lambda" and operation == "Invoke"):
        return None
    if _is_emulators_own(environ) or not state.should_throttle(service):
        return None
    state.count(f"throttled:{service}")
    status, code, message, extra = THROTTLE_ERRORS[service]
    return _error(service, status, code, message, extra)


def _is_emulators_own(environ: dict) -> bool:
    """Calls the emulator makes to itself (a handler's boto3 calls included) are AWS-internal."""
    return "sfn-tutorial-emulator" in environ.get("HTTP_USER_AGENT", "")


def _not_ready_refusal(environ, service, operation, state: Account):
    if service == "lambda" and operation in ("CreateFunction", "UpdateFunctionConfiguration"):
        role = _json_body(environ).get("Role")
        if role and not state.role_ready(role):
            state.count("role-not-ready:lambda")
            return _error(service, 400, "InvalidParameterValueException", LAMBDA_ROLE_MESSAGE)
    if service == "lambda" and operation == "Invoke":
        name = _function_name(environ)
        if state.is_pending(name):
            state.count("function-pending:invoke")
            message = (
                "The operation cannot be performed at this time. The function is currently in "
                "the following state: Pending"
            )
            return _error(service, 409, "ResourceConflictException", message)
    if service == "lambda" and operation in ("UpdateFunctionCode", "UpdateFunctionConfiguration"):
        name = _function_name(environ)
        if state.is_updating(name):
            state.count("function-updating:update")
            arn_hint = _function_arn(environ, name)
            message = (
                "The operation cannot be performed at this time. An update is in progress for "
                f"resource: {arn_hint}"
            )
            return _error(service, 409, "ResourceConflictException", message)
    if service == "states" and operation in ("CreateStateMachine", "UpdateStateMachine"):
        role = _json_body(environ).get("roleArn")
        if role and not state.role_ready(role):
            state.count("role-not-ready:states")
            return _error(service, 400, "AccessDeniedException", STATES_ROLE_MESSAGE)
    return None


def _function_arn(environ: dict, name: str) -> str:
    fields = auth.signature_fields(environ.get("HTTP_AUTHORIZATION", "")) or {}
    scope = fields.get("Credential", "").split("/")
    region = scope[2] if len(scope) == 5 else "us-east-1"
    from moto.core import DEFAULT_ACCOUNT_ID

    return f"arn:aws:lambda:{region}:{DEFAULT_ACCOUNT_ID}:function:{name}"


def _remember(environ: dict, service: str, operation: str, status: str, state: Account) -> None:
    """After a call succeeded: note new roles, changed trust, created and updated functions."""
    if not status.startswith("2"):
        return
    if service == "iam" and operation in ("CreateRole", "UpdateAssumeRolePolicy"):
        if environ.get("sfn_tutorial.trust_changed", True):
            state.role_changed(_form(environ).get("RoleName", ""))
    elif service == "lambda" and operation == "CreateFunction":
        state.function_created(_json_body(environ).get("FunctionName", "").rsplit(":", 1)[-1])
    elif service == "lambda" and operation in ("UpdateFunctionCode", "UpdateFunctionConfiguration"):
        state.function_updated(_function_name(environ))
    elif service == "lambda" and operation == "DeleteFunction":
        state.function_deleted(_function_name(environ))


def _note_trust_change(environ: dict, service: str, operation: str) -> None:
    """Before ``UpdateAssumeRolePolicy``: does the new trust policy differ from the role's?
    An identical one changes nothing, so it starts no delay."""
    if (service, operation) != ("iam", "UpdateAssumeRolePolicy"):
        return
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import iam_backends

    form = _form(environ)
    try:
        role = iam_backends[DEFAULT_ACCOUNT_ID]["aws"].get_role(form.get("RoleName", ""))
        current = role.assume_role_policy_document
        current = json.loads(current) if isinstance(current, str) else current
        environ["sfn_tutorial.trust_changed"] = current != json.loads(form["PolicyDocument"])
    except Exception:  # no such role, bad JSON: IAM answers that itself
        environ["sfn_tutorial.trust_changed"] = True


def middleware(app):
    """WSGI middleware: refuse what a fresh account refuses now, and note what changed."""

    def serve(environ, start_response):
        state = account()
        if state is None:
            return app(environ, start_response)
        service = auth.service_of(environ)
        operation = operation_of(environ, service) if service in THROTTLED_SERVICES else ""
        refused = refusal_for(environ, service, operation, state)
        if refused is not None:
            status, headers, body = refused
            start_response(status, headers)
            return [body]
        _note_trust_change(environ, service, operation)
        seen = {}

        def noting_start_response(status, headers, *args):
            seen["status"] = status
            return start_response(status, headers, *args)

        result = app(environ, noting_start_response)
        _remember(environ, service, operation, seen.get("status", ""), state)
        return result

    return serve


def counts_app(environ, start_response):
    """``GET /_tutorial/account-like``: the settings and the refusals served so far."""
    state = account()
    body = json.dumps(state.report() if state else {"enabled": False}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
