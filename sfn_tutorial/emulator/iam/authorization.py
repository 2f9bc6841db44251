"""IAM enforced on the local target: a call made *as a role* is allowed or refused as AWS does it.

On AWS every call a state machine makes (invoking a function, sending a message, reading an S3
object, starting a child execution) is made with temporary credentials of the state machine's
role, and a Lambda handler's boto3 calls with those of the function's role. IAM allows the call
only when one of the role's policies allows the action on the resource and none denies it.

Here the same happens. A role's temporary credentials come from moto's STS backend
(``session_for``); the emulator's request check (``auth.guard``) accepts them, and asks
``authorise`` whether the role may make the request, which is decided by moto's own policy
evaluator (``moto.iam.access_control.IAMPolicy``) over the role's inline and managed policies.
A refused request gets the answer the service gives, e.g. Lambda's ``AccessDeniedException``
"User: arn:aws:sts::123456789012:assumed-role/ROLE/SESSION is not authorized to perform:
lambda:InvokeFunction on resource: ARN because no identity-based policy allows the
lambda:InvokeFunction action".

``apply()`` adds what is enforced outside a request: ``CreateStateMachine`` and
``UpdateStateMachine`` refuse a role Step Functions may not assume, ``CreateFunction`` and
``UpdateFunctionConfiguration`` one Lambda may not assume, a Distributed Map may start
its child executions only if its role may, and IAM's ``SimulatePrincipalPolicy`` answers.
"""

from __future__ import annotations

import inspect
import json
import re
import secrets
import string
import threading
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from sfn_tutorial.emulator import auth, service_models
from sfn_tutorial.emulator.iam import conditions, service_roles
from sfn_tutorial.emulator.stepfunctions import task_tokens

STATES_PRINCIPAL = "states.amazonaws.com"
LAMBDA_PRINCIPAL = "lambda.amazonaws.com"
# Lambda's answer (InvalidParameterValueException) to a role it may not assume.
LAMBDA_CANNOT_ASSUME = "The role defined for the function cannot be assumed by Lambda."
# Step Functions' answer to CreateStateMachine / UpdateStateMachine with a role it cannot assume.
CANNOT_ASSUME = (
    "Neither the global service principal states.amazonaws.com, nor the regional one is "
    "authorized to assume the provided role."
)
# Step Functions' answer when a machine's role may not deliver logs to its loggingConfiguration.
CANNOT_LOG = "The state machine IAM Role is not authorized to access the Log Destination"
# What a role needs for that (AWS: "IAM policies for logging to CloudWatch Logs", on "*").
LOG_DELIVERY_ACTIONS = (
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
)
# Calls that hand a role to a service: (service, operation) -> (the role's field, the service).
PASSES_ROLE = {
    ("states", "CreateStateMachine"): ("roleArn", STATES_PRINCIPAL),
    ("states", "UpdateStateMachine"): ("roleArn", STATES_PRINCIPAL),
    ("lambda", "CreateFunction"): ("Role", LAMBDA_PRINCIPAL),
    ("lambda", "UpdateFunctionConfiguration"): ("Role", LAMBDA_PRINCIPAL),
}
# The emulator's own endpoints (reset, its clock): its owner's, never a role's.
EMULATOR_PATHS = ("/moto-api", "/_tutorial")
NOT_FOR_ROLES = "The emulator's own endpoints take the owner's credentials, not a role's."
SESSION_SECONDS = 12 * 3600  # the longest a role session lasts
ALWAYS_ALLOWED = {"sts:GetCallerIdentity"}  # IAM allows it even under an explicit deny
# The service's name in a request's signature -> its actions' prefix in IAM policies.
IAM_PREFIX = {"monitoring": "cloudwatch", "email": "ses", "tagging": "tag"}
# The signature's service name -> botocore's, where they differ.
BOTOCORE_NAME = {
    "states": "stepfunctions",
    "monitoring": "cloudwatch",
    "email": "ses",
    "tagging": "resourcegroupstaggingapi",
}
# API operations whose IAM action has another name.
ACTION_NAMES = {
    ("lambda", "Invoke"): "InvokeFunction",
    ("lambda", "InvokeAsync"): "InvokeFunction",
    ("lambda", "InvokeWithResponseStream"): "InvokeFunction",
    ("s3", "ListObjects"): "ListBucket",
    ("s3", "ListObjectsV2"): "ListBucket",
    ("s3", "HeadBucket"): "ListBucket",
    ("s3", "HeadObject"): "GetObject",
    ("s3", "CopyObject"): "PutObject",
    ("s3", "CreateMultipartUpload"): "PutObject",
    ("s3", "UploadPart"): "PutObject",
    ("s3", "CompleteMultipartUpload"): "PutObject",
    ("s3", "DeleteObjects"): "DeleteObject",
}


# ---------------------------------------------------------------- role sessions


@dataclass(frozen=True)
class Session:
    """A role's temporary credentials, as STS issues them (an ``ASIA...`` key and a token)."""

    role_arn: str
    session_name: str
    access_key_id: str
    secret_access_key: str
    session_token: str

    @property
    def principal(self) -> str:
        """The session's ARN, as IAM names it in its messages."""
        partition, account = self.role_arn.split(":")[1], self.role_arn.split(":")[4]
        role_name = self.role_arn.split("/")[-1]
        return f"arn:{partition}:sts::{account}:assumed-role/{role_name}/{self.session_name}"

    @property
    def account(self) -> str:
        return self.role_arn.split(":")[4]


_issued: dict[tuple[str, str], Session] = {}
_lock = threading.Lock()


def service_session_name() -> str:
    """A session name like those Step Functions gives its role sessions: 32 random letters."""
    return "".join(secrets.choice(string.ascii_letters) for _ in range(32))


def session_for(role_arn: str, session_name: str) -> Session:
    """Temporary credentials of ``role_arn`` for ``session_name``, issued by moto's STS; the
    same ones until the emulator is reset (``forget_sessions``)."""
    known = _issued.get((role_arn, session_name))
    if known is not None:
        return known
    with _lock:
        known = _issued.get((role_arn, session_name))
        if known is not None:
            return known
        from moto.sts.models import sts_backends

        account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
        assumed = sts_backends[account or "123456789012"]["aws"].assume_role(
            region_name="us-east-1",
            role_session_name=session_name,
            role_arn=role_arn,
            policy=None,
            duration=SESSION_SECONDS,
            external_id=None,
        )
        session = Session(
            role_arn,
            session_name,
            assumed.access_key_id,
            assumed.secret_access_key,
            assumed.session_token,
        )
        _issued[(role_arn, session_name)] = session
        return session


_service_sessions: dict[str, str] = {}


def states_session(role_arn: str) -> Session:
    """The session Step Functions acts in with ``role_arn``: named as AWS names it, 32 random
    letters, the same name for the emulator's lifetime."""
    name = _service_sessions.get(role_arn)
    if name is None:
        with _lock:
            name = _service_sessions.setdefault(role_arn, service_session_name())
    return session_for(role_arn, name)


def forget_sessions(*_) -> None:
    """After a reset STS knows none of the sessions issued before: issue new ones."""
    with _lock:
        _issued.clear()


def find_session(access_key_id: str) -> Session | None:
    """The role session whose access key this is (issued by this emulator's STS), or ``None``."""
    from moto.sts.models import sts_backends

    for by_partition in list(sts_backends.values()):
        for backend in list(by_partition.values()):
            for assumed in list(backend.assumed_roles):
                if assumed.access_key_id == access_key_id:
                    return Session(
                        assumed.role_arn,
                        assumed.session_name,
                        assumed.access_key_id,
                        assumed.secret_access_key,
                        assumed.session_token,
                    )
    return None


def lookup(access_key_id: str) -> tuple[auth.Credentials, str] | None:
    """For ``auth.guard``: the key pair and session token of a role session, or ``None``."""
    session = find_session(access_key_id)
    if session is None:
        return None
    return auth.Credentials(session.access_key_id, session.secret_access_key), session.session_token


# ---------------------------------------------------------------- deciding


def decision(role_arn: str, action: str, resource: str, context: dict | None = None) -> str:
    """IAM's decision, as the policy simulator names it: ``allowed``, ``explicitDeny`` or
    ``implicitDeny``, by the one evaluator (``service_roles.verdict``) over the role's policies,
    with the role's principal context keys."""
    if action in ALWAYS_ALLOWED:
        return "allowed"
    role = service_roles.find_role(role_arn)
    if role is None:
        return "implicitDeny"
    return service_roles.verdict(role, action, resource, context)


def refusal_message(principal: str, action: str, resource: str, why: str) -> str:
    """IAM's words for a refused call (``why`` is a ``decision``)."""
    start = f"User: {principal} is not authorized to perform: {action} on resource: {resource}"
    if why == "explicitDeny":
        return f"{start} with an explicit deny in an identity-based policy"
    return f"{start} because no identity-based policy allows the {action} action"


class AccessDenied(Exception):
    """A role may not make a call: IAM's message, and how the service names the error."""

    def __init__(self, message: str, action: str) -> None:
        super().__init__(message)
        self.message = message
        self.action = action


def check(session: Session, action: str, resource: str) -> None:
    """Raise ``AccessDenied`` unless ``session``'s role may do ``action`` on ``resource``."""
    why = decision(session.role_arn, action, resource)
    if why != "allowed":
        raise AccessDenied(refusal_message(session.principal, action, resource, why), action)


def allowed(role_arn: str, action: str, resource: str) -> bool:
    """May the role do ``action`` on ``resource``?"""
    return decision(role_arn, action, resource) == "allowed"


# ---------------------------------------------------------------- a request's action and resource


def authorise(environ: dict, access_key_id: str) -> auth.Denial | None:
    """For ``auth.guard``: ``None`` when the role session signing the request may make it;
    else the service's refusal."""
    session = find_session(access_key_id)
    if session is None:
        return auth.UNKNOWN_KEY
    signed = auth.signature_fields(environ.get("HTTP_AUTHORIZATION", "")) or {}
    scope = signed.get("Credential", "").split("/")
    region, service = scope[2], scope[3]
    if environ.get("PATH_INFO", "").startswith(EMULATOR_PATHS):
        return auth.Denial(403, "AccessDenied", "AccessDenied", "AccessDenied", NOT_FOR_ROLES)
    action, resource = request_action(environ, service, region, session.account)
    if action is None:
        return None
    why = decision(session.role_arn, action, resource)
    if why == "allowed":
        return passing_role(environ, service, session)
    shown = f'"{resource}"' if service == "s3" else resource  # S3 quotes the resource
    return denial(service, refusal_message(session.principal, action, shown, why))


def passing_role(environ: dict, service: str, session: Session) -> auth.Denial | None:
    """A call that hands a role to a service (``PASSES_ROLE``) also needs ``iam:PassRole`` on
    that role, with ``iam:PassedToService`` naming the service (AWS: "Granting a user
    permissions to pass a role to an AWS service"). ``None`` when the session may pass it."""
    operation, params = request_operation(environ, service)
    field, to = PASSES_ROLE.get((service, operation), (None, None))
    role_arn = params.get(field) if field else None
    if not isinstance(role_arn, str) or not role_arn:
        return None
    context = {"iam:PassedToService": to}
    why = decision(session.role_arn, "iam:PassRole", role_arn, context)
    if why == "allowed":
        return None
    return denial(service, refusal_message(session.principal, "iam:PassRole", role_arn, why))


def denial(service: str, message: str) -> auth.Denial:
    """The service's answer to a refused call, in its own words."""
    if service == "sns":
        return auth.Denial(403, "AuthorizationError", "AuthorizationError", "", message)
    if service == "s3":
        return auth.Denial(403, "AccessDenied", "AccessDenied", "AccessDenied", message)
    if service in ("lambda", "iam", "sts", "sqs"):
        code = "AccessDeniedException" if service == "lambda" else "AccessDenied"
        return auth.Denial(403, code, code, code, message)
    return auth.Denial(400, "AccessDeniedException", "AccessDenied", "AccessDenied", message)


def request_action(environ: dict, service: str, region: str, account: str):
    """``(IAM action, resource ARN)`` of a request, or ``(None, None)`` when it is not an AWS
    API request (an API Gateway invoke URL)."""
    if service in ("execute-api", ""):
        return None, None
    operation, params = request_operation(environ, service)
    if operation is None:
        return None, None
    prefix = IAM_PREFIX.get(service, service)
    action = f"{prefix}:{ACTION_NAMES.get((service, operation), operation)}"
    if service == "sns":
        action = f"SNS:{operation}"  # SNS spells its prefix in capitals in its messages
    return action, resource_of(service, operation, params, region, account)


def request_operation(environ: dict, service: str) -> tuple[str | None, dict]:
    """The API operation a request calls, and its parameters as sent."""
    body = auth.read_body(environ)
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}
        return target.rsplit(".", 1)[-1], params if isinstance(params, dict) else {}
    form = parse_qs(environ.get("QUERY_STRING", ""))
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        form.update(parse_qs(body.decode("utf-8", "replace")))
    if "Action" in form:
        return form["Action"][0], {name: values[0] for name, values in form.items()}
    return rest_operation(environ, service)


_rest_routes: dict[str, list] = {}


def rest_operation(environ: dict, service: str) -> tuple[str | None, dict]:
    """A REST API's operation, found from its method and path with botocore's service model."""
    routes = _rest_routes.get(service)
    if routes is None:
        routes = _rest_routes[service] = _routes(BOTOCORE_NAME.get(service, service))
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "/")
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    best = None
    for route_method, pattern, required_query, literal, name in routes:
        if route_method != method or not required_query <= query.keys():
            continue
        match = pattern.fullmatch(path)
        if match and (best is None or (literal, len(required_query)) > best[0]):
            best = ((literal, len(required_query)), name, match)
    if best is None:
        return None, {}
    params = _body_members(BOTOCORE_NAME.get(service, service), best[1], environ)
    params.update({key: unquote(value) for key, value in best[2].groupdict().items() if value})
    params.update({key: values[0] for key, values in query.items()})
    return best[1], params


def _body_members(botocore_name: str, operation: str, environ: dict) -> dict:
    """The members a REST JSON request sends in its JSON body (``GroupName`` of EventBridge
    Scheduler's ``CreateSchedule``): those its service model places nowhere else. An
    operation whose body is a payload (Lambda's ``Invoke``) has none."""
    model = service_models.service_model(botocore_name)
    shape = model.operation_model(operation).input_shape if model is not None else None
    if model is None or model.protocol != "rest-json" or shape is None:
        return {}
    if shape.serialization.get("payload"):
        return {}
    try:
        body = json.loads(auth.read_body(environ) or b"{}")
    except ValueError:
        return {}
    if not isinstance(body, dict):
        return {}
    in_body = {
        member.serialization.get("name", name)
        for name, member in shape.members.items()
        if "location" not in member.serialization
    }
    return {key: value for key, value in body.items() if key in in_body}


def _routes(botocore_name: str) -> list:
    model = service_models.service_model(botocore_name)
    if model is None:  # a service botocore does not know
        return []
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri = http.get("requestUri", "/")
        path, _, query = uri.partition("?")
        regex = re.sub(
            r"\{([A-Za-z0-9_]+)(\+?)\}",
            lambda m: f"(?P<{m.group(1)}>{'.+' if m.group(2) else '[^/]+'})",
            re.escape(path).replace(r"\{", "{").replace(r"\}", "}").replace(r"\+", "+"),
        )
        required = {part.split("=")[0] for part in query.split("&") if part}
        literal = len(re.sub(r"\{[^}]*\}", "", path))
        pattern = re.compile(regex + "/?")
        routes.append((http.get("method", "GET"), pattern, required, literal, name))
    return routes


def resource_of(service: str, operation: str, params: dict, region: str, account: str) -> str:
    """The ARN IAM checks a call against, from the call's parameters."""
    if service == "lambda" and params.get("FunctionName"):
        return function_arn(params["FunctionName"], params.get("Qualifier"), region, account)
    if service == "s3":
        bucket, key = params.get("Bucket", ""), params.get("Key", "")
        if not bucket:
            return "*"
        return f"arn:aws:s3:::{bucket}/{key}" if key else f"arn:aws:s3:::{bucket}"
    if service == "dynamodb" and params.get("TableName"):
        return f"arn:aws:dynamodb:{region}:{account}:table/{params['TableName']}"
    if service == "dynamodb" and isinstance(params.get("RequestItems"), dict):
        # BatchWriteItem, BatchGetItem: IAM checks each table RequestItems names (here the
        # first; the tutorial's calls name one).
        table = next(iter(params["RequestItems"]), "")
        if table:
            return (
                table
                if table.startswith("arn:")
                else (f"arn:aws:dynamodb:{region}:{account}:table/{table}")
            )
    if service == "sqs" and params.get("QueueUrl"):
        owner, _, name = urlsplit(params["QueueUrl"]).path.strip("/").rpartition("/")
        return f"arn:aws:sqs:{region}:{owner.rsplit('/', 1)[-1] or account}:{name}"
    if service == "events" and operation == "PutEvents":
        entries = params.get("Entries") or [{}]
        bus = (entries[0] or {}).get("EventBusName") or "default"
        if bus.startswith("arn:"):
            return bus
        return f"arn:aws:events:{region}:{account}:event-bus/{bus}"
    if service == "logs" and params.get("logGroupName"):
        group = f"arn:aws:logs:{region}:{account}:log-group:{params['logGroupName']}"
        stream = params.get("logStreamName")
        return f"{group}:log-stream:{stream}" if stream else group
    if service == "ecs":
        return ecs_resource(operation, params, region, account)
    if service == "scheduler":
        return scheduler_resource(operation, params, region, account)
    if service == "states" and operation in task_tokens.TOKEN_ACTIONS:
        return task_tokens.state_machine_of(params.get("taskToken", ""), region, account) or "*"
    for name in ("stateMachineArn", "executionArn", "activityArn", "TopicArn", "TargetArn"):
        if isinstance(params.get(name), str):
            return params[name]
    arns = [value for value in params.values() if isinstance(value, str)]
    return next((value for value in arns if value.startswith("arn:")), "*")


def ecs_resource(operation: str, params: dict, region: str, account: str) -> str:
    """What ECS authorises a call on: ``RunTask`` the task definition, ``StopTask`` and
    ``DescribeTasks`` the task (``arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID``)."""
    if operation in ("RunTask", "StartTask") and params.get("taskDefinition"):
        definition = params["taskDefinition"]
        if definition.startswith("arn:"):
            return definition
        return f"arn:aws:ecs:{region}:{account}:task-definition/{definition}"
    task = params.get("task") or (params.get("tasks") or [""])[0]
    if task:
        if task.startswith("arn:"):
            return task
        cluster = (params.get("cluster") or "default").rsplit("/", 1)[-1]
        return f"arn:aws:ecs:{region}:{account}:task/{cluster}/{task}"
    return params.get("cluster") or "*"


def scheduler_resource(operation: str, params: dict, region: str, account: str) -> str:
    """EventBridge Scheduler's resources: a schedule in its group (``default`` unless named),
    or a schedule group."""
    prefix = f"arn:aws:scheduler:{region}:{account}"
    if operation.endswith("ScheduleGroup") and params.get("Name"):
        return f"{prefix}:schedule-group/{params['Name']}"
    if operation.endswith("Schedule") and params.get("Name"):
        group = params.get("GroupName") or params.get("groupName") or "default"
        return f"{prefix}:schedule/{group}/{params['Name']}"
    return params.get("ResourceArn") or "*"


def function_arn(name: str, qualifier: str | None, region: str, account: str) -> str:
    """A function's ARN from the ``FunctionName`` of a call (a name, partial ARN or ARN)."""
    if name.startswith("arn:"):
        arn = name
    elif ":" in name:  # ACCOUNT:function:NAME, or NAME:QUALIFIER
        parts = name.split(":")
        if len(parts) >= 3 and parts[1] == "function":
            arn = f"arn:aws:lambda:{region}:{name}"
        else:
            arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    else:
        arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    if qualifier and arn.count(":") == 6:
        arn = f"{arn}:{qualifier}"
    return arn


# ---------------------------------------------------------------- fixes


def apply() -> None:
    """Enforce IAM where no request carries the role: at create, in a Distributed Map, and in
    IAM's policy simulator. Called by ``emulator.fixes.apply()`` after the Step Functions fixes."""
    state_machines_need_a_role_step_functions_may_assume()
    functions_need_a_role_lambda_may_assume()
    distributed_maps_need_permission_to_start_child_executions()
    simulate_principal_policy_answers()
    sessions_end_with_a_reset()


def sessions_end_with_a_reset() -> None:
    """The emulator's reset (``/moto-api/reset``) ends every role session, as it empties STS."""
    from moto.moto_api._internal.models import MotoAPIBackend

    reset = MotoAPIBackend.reset

    def reset_and_forget(self, *args, **kwargs):
        try:
            return reset(self, *args, **kwargs)
        finally:
            forget_sessions()

    MotoAPIBackend.reset = reset_and_forget


def assumable_by_step_functions(role_arn: str, machine_arn: str | None = None) -> bool:
    """Does the role exist, and may Step Functions (global or regional principal) assume it for
    the state machine ``machine_arn``? The trust policy's conditions see the machine as
    ``aws:SourceArn`` and its account as ``aws:SourceAccount``."""
    role = service_roles.find_role(role_arn or "")
    context = service_roles.source_context(machine_arn)
    return role is not None and service_roles.trusts(role, STATES_PRINCIPAL, context)


def state_machines_need_a_role_step_functions_may_assume() -> None:
    """``CreateStateMachine`` and ``UpdateStateMachine`` with a role that does not exist, or whose
    trust policy does not let ``states.amazonaws.com`` assume it: AWS answers
    ``AccessDeniedException``, "Neither the global service principal states.amazonaws.com, nor
    the regional one is authorized to assume the provided role." (``CANNOT_ASSUME``). The trust
    policy is evaluated for this state machine: a condition on ``aws:SourceArn`` that names
    another machine refuses the role, as a confused-deputy condition is meant to. With a
    ``loggingConfiguration`` that logs to CloudWatch Logs, a role without the log-delivery
    actions gets "The state machine IAM Role is not authorized to access the Log Destination"
    (``CANNOT_LOG``).

    moto accepts any role ARN. The role is checked after the name and the definition (moto's
    own create and update, which the emulator's checked versions call last), and not when a
    create repeats an existing state machine's request, whose role AWS ignores.
    """
    from moto.core.exceptions import AWSError
    from moto.stepfunctions.models import StepFunctionBackend

    class AccessDeniedException(AWSError):
        TYPE = "AccessDeniedException"
        STATUS = 400

    def check_role(role_arn, machine_arn, logging_configuration=None) -> None:
        if not assumable_by_step_functions(role_arn, machine_arn):
            raise AccessDeniedException(CANNOT_ASSUME)
        if logs_to_cloudwatch(logging_configuration) and not may_deliver_logs(role_arn):
            raise AccessDeniedException(CANNOT_LOG)

    create = StepFunctionBackend.create_state_machine
    update = StepFunctionBackend.update_state_machine
    create_signature = inspect.signature(create)
    update_signature = inspect.signature(update)

    def create_state_machine(self, *args, **kwargs):
        call = create_signature.bind(self, *args, **kwargs).arguments
        machine_arn = f"arn:aws:states:{self.region_name}:{self.account_id}:stateMachine:"
        check_role(
            call.get("roleArn"),
            machine_arn + str(call.get("name")),
            call.get("loggingConfiguration"),
        )
        return create(self, *args, **kwargs)

    def update_state_machine(self, *args, **kwargs):
        call = update_signature.bind(self, *args, **kwargs).arguments
        role_arn, logging = call.get("role_arn"), call.get("logging_configuration")
        if role_arn or logs_to_cloudwatch(logging):
            machine = StepFunctionBackend.describe_state_machine(self, call["arn"])
            check_role(role_arn or machine.roleArn, machine.arn, logging)
        return update(self, *args, **kwargs)

    StepFunctionBackend.create_state_machine = create_state_machine
    StepFunctionBackend.update_state_machine = update_state_machine


def functions_need_a_role_lambda_may_assume() -> None:
    """``CreateFunction`` and ``UpdateFunctionConfiguration`` with a role whose trust policy does
    not let ``lambda.amazonaws.com`` assume it: AWS answers ``InvalidParameterValueException``
    "The role defined for the function cannot be assumed by Lambda." (``LAMBDA_CANNOT_ASSUME``,
    the answer moto gives only for a role that does not exist). The trust policy's conditions
    see the function as ``aws:SourceArn`` and its account as ``aws:SourceAccount``.
    """
    from moto.awslambda.exceptions import InvalidParameterValueException
    from moto.awslambda.models import LambdaBackend

    def check_role(backend, role_arn, function_name) -> None:
        role = service_roles.find_role(role_arn or "")
        if role is None:  # moto's own checks answer for a missing or malformed role
            return
        arn = f"arn:aws:lambda:{backend.region_name}:{backend.account_id}:function:"
        context = service_roles.source_context(arn + str(function_name))
        if not service_roles.trusts(role, LAMBDA_PRINCIPAL, context):
            raise InvalidParameterValueException(LAMBDA_CANNOT_ASSUME)

    create = LambdaBackend.create_function
    update = LambdaBackend.update_function_configuration

    def create_function(self, spec, *args, **kwargs):
        check_role(self, spec.get("Role"), spec.get("FunctionName"))
        return create(self, spec, *args, **kwargs)

    def update_function_configuration(self, function_name, qualifier, body, *args, **kwargs):
        if body.get("Role"):
            name = self.get_function(function_name, qualifier).function_name
            check_role(self, body["Role"], name)
        return update(self, function_name, qualifier, body, *args, **kwargs)

    LambdaBackend.create_function = create_function
    LambdaBackend.update_function_configuration = update_function_configuration


def logs_to_cloudwatch(configuration) -> bool:
    """Does a ``loggingConfiguration`` send logs to a CloudWatch Logs group?"""
    if not configuration:
        return False
    if not isinstance(configuration, dict):
        configuration = vars(configuration)
    level = configuration.get("level") or "OFF"
    return level != "OFF" and bool(configuration.get("destinations"))


def may_deliver_logs(role_arn: str) -> bool:
    """May the role deliver a state machine's logs (every action AWS documents, on ``*``)?"""
    return all(allowed(role_arn, action, "*") for action in LOG_DELIVERY_ACTIONS)


MAP_RUN_DENIED_ERROR = "States.Runtime"  # how the map run's failure is named


def distributed_maps_need_permission_to_start_child_executions() -> None:
    """A Distributed Map starts each child execution as the state machine's role: the role must
    allow ``states:StartExecution`` on the state machine itself (AWS's "IAM policies for using
    Distributed Map states"). Without it no child starts and the map run fails, its cause IAM's
    refusal.

    moto starts the children whatever the role allows.
    """
    from moto.stepfunctions.parser.api import HistoryEventType, MapRunFailedEventDetails
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
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.distributed_iteration_component import (  # noqa: E501
        DistributedIterationComponent,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    original = DistributedIterationComponent._map_run

    def _map_run(self, env, eval_input) -> None:
        # moto's map run names the map (stateMachine:NAME/LABEL); IAM checks the machine itself
        machine = eval_input.map_run_record.map_state_machine_arn.split("/", 1)[0]
        role_arn = env.aws_execution_details.role_arn
        try:
            check(states_session(role_arn), "states:StartExecution", machine)
        except AccessDenied as denied:
            env.stack.pop()  # the items
            raise FailureEventException(
                failure_event=FailureEvent(
                    env=env,
                    error_name=StatesErrorName(typ=StatesErrorNameType.StatesRuntime),
                    event_type=HistoryEventType.MapRunFailed,
                    event_details=EventDetails(
                        mapRunFailedEventDetails=MapRunFailedEventDetails(
                            error=MAP_RUN_DENIED_ERROR, cause=denied.message
                        )
                    ),
                )
            ) from None
        return original(self, env, eval_input)

    DistributedIterationComponent._map_run = _map_run


def simulate_principal_policy_answers() -> None:
    """IAM's ``SimulatePrincipalPolicy`` for a role: for each action and resource, the decision
    (``allowed``, ``explicitDeny``, ``implicitDeny``) and the policies whose statements decided
    it. The role's own policies are simulated (no resource policies). A request's context is the
    role's principal keys and the ``ContextEntries`` given (a ``...List`` type is a multivalued
    key); the condition keys a deciding statement reads that the request lacks are
    ``MissingContextValues``, under ``ResourceSpecificResults`` when resources were named (IAM
    API reference, ``EvaluationResult``).

    moto does not implement it.
    """
    from moto.core.responses import ActionResult
    from moto.iam.exceptions import NotFoundException
    from moto.iam.responses import IamResponse

    def simulate_principal_policy(self) -> ActionResult:
        source = self._get_param("PolicySourceArn")
        role = service_roles.find_role(source or "")
        if role is None:
            raise NotFoundException(f"PolicySourceArn {source} does not exist.")
        actions = self._get_param("ActionNames", [])
        resources = self._get_param("ResourceArns", []) or ["*"]
        given = context_entries(self._get_param("ContextEntries", []))
        results = [
            simulation(role, action, resource, given)
            for action in actions
            for resource in resources
        ]
        return ActionResult({"EvaluationResults": results, "IsTruncated": False})

    IamResponse.simulate_principal_policy = simulate_principal_policy


def context_entries(entries) -> dict:
    """The policy simulator's ``ContextEntries`` as a request's context keys."""
    context = {}
    for entry in entries or []:
        values = [str(value) for value in entry.get("ContextKeyValues") or []]
        multivalued = str(entry.get("ContextKeyType", "string")).endswith("List")
        context[entry["ContextKeyName"]] = values if multivalued else (values or [""])[0]
    return context


def simulation(role, action: str, resource: str, given: dict | None = None) -> dict:
    """One ``EvaluationResult`` of the policy simulator for ``role``, with the request's
    ``given`` context keys."""
    from moto.iam.access_control import PermissionResult

    allowing, denying, missing = [], [], []
    context = {**service_roles.principal_context(role), **(given or {})}
    for name, kind, document in service_roles.named_policies(role):
        result = service_roles.evaluate(document, action, resource, context)
        if result == PermissionResult.DENIED:
            denying.append({"SourcePolicyId": name, "SourcePolicyType": kind})
        elif result == PermissionResult.PERMITTED:
            allowing.append({"SourcePolicyId": name, "SourcePolicyType": kind})
        for key in service_roles.condition_keys_read(document, action, resource):
            if conditions.lookup(context, key) is None and key not in missing:
                missing.append(key)
    if denying:
        verdict, matched = "explicitDeny", denying
    else:
        verdict, matched = ("allowed", allowing) if allowing else ("implicitDeny", [])
    result = {
        "EvalActionName": action,
        "EvalResourceName": resource,
        "EvalDecision": verdict,
        "MatchedStatements": matched,
        "MissingContextValues": missing if resource == "*" else [],
    }
    if resource != "*":
        result["ResourceSpecificResults"] = [
            {
                "EvalResourceName": resource,
                "EvalResourceDecision": verdict,
                "MatchedStatements": matched,
                "MissingContextValues": missing,
            }
        ]
    return result
