"""Deployed API Gateway APIs answer on the emulator's port and start Step Functions executions.

moto stores REST APIs (apigateway) and HTTP APIs (apigatewayv2) but invokes no integration. Here
a request to ``http://127.0.0.1:PORT/_aws/execute-api/{api_id}/{stage}/{path}`` (for an HTTP
API's ``$default`` stage: without ``/{stage}``) is served as API Gateway would serve
``https://{api_id}.execute-api.{region}.amazonaws.com/{stage}/{path}``:

* HTTP API: the route (``POST /transactions``, ``ANY /{proxy+}``, ``$default``) leads to an
  ``AWS_PROXY`` integration with subtype ``StepFunctions-StartExecution``,
  ``StepFunctions-StartSyncExecution`` or ``StepFunctions-StopExecution``, whose
  ``RequestParameters`` (``$request.body``, ``$request.body.x``, ``$request.header.x``,
  ``$request.querystring.x``, ``$request.path.x``, ``$context.x``, ``$stageVariables.x`` or
  constants) make the Step Functions request. No route: 404 ``{"message":"Not Found"}``. A role
  API Gateway may not use: 500 ``{"message":"Internal Server Error"}``.
* REST API: the resource and method lead to an ``AWS`` integration whose URI is
  ``arn:aws:apigateway:{region}:states:action/{Action}``; the ``requestTemplates`` mapping
  template for the request's content type (Velocity, ``vtl.render``) makes the request body; the
  integration response whose ``selectionPattern`` matches the status code (else the default one)
  gives the status and, with its ``responseTemplates``, the body. No resource or method: 403
  ``{"message":"Missing Authentication Token"}``.

Step Functions is called on this same server, as the integration's credentials role: the role
must exist and trust ``apigateway.amazonaws.com`` (else 500), and allow the action on the state
machine (else Step Functions answers ``AccessDeniedException``).
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from sfn_tutorial.emulator import auth
from sfn_tutorial.emulator.apigateway import vtl
from sfn_tutorial.emulator.iam import service_roles

INVOKE_PREFIX = "/_aws/execute-api/"
APIGATEWAY_PRINCIPAL = "apigateway.amazonaws.com"
HTTP_API_SUBTYPES = {
    "StepFunctions-StartExecution": ("StartExecution", "StateMachineArn"),
    "StepFunctions-StartSyncExecution": ("StartSyncExecution", "StateMachineArn"),
    "StepFunctions-StopExecution": ("StopExecution", "ExecutionArn"),
}
_ENDPOINT = {"url": "http://127.0.0.1:4599"}


def apply(port: int) -> None:
    """Integrations call Step Functions on this server's ``port``."""
    _ENDPOINT["url"] = f"http://127.0.0.1:{port}"


# ---------------------------------------------------------------- the WSGI entry point


class Request:
    """What an integration needs from the incoming HTTP request."""

    def __init__(self, environ):
        self.method = environ.get("REQUEST_METHOD", "GET").upper()
        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.body = environ["wsgi.input"].read(length).decode("utf-8", "replace") if length else ""
        self.query = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", "")))
        self.headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            self.headers["Content-Type"] = environ["CONTENT_TYPE"]
        self.source_ip = environ.get("REMOTE_ADDR", "127.0.0.1")
        self.request_id = str(uuid.uuid4())
        self.time = time.time()

    @property
    def content_type(self) -> str:
        """The media type of the body; API Gateway assumes JSON when none is given."""
        value = self.headers.get("Content-Type") or "application/json"
        return value.split(";")[0].strip().lower()


def invoke_app(environ, start_response):
    """Serve ``/_aws/execute-api/{api_id}/...`` like the API's execute-api endpoint."""
    request = Request(environ)
    rest = environ.get("PATH_INFO", "")[len(INVOKE_PREFIX) :]
    api_id, _, path = rest.partition("/")
    http_api = _find(_http_apis(), api_id)
    if http_api is not None:
        status, body = serve_http_api(http_api, "/" + path, request)
    else:
        rest_api = _find(_rest_apis(), api_id)
        if rest_api is not None:
            status, body = serve_rest_api(rest_api, "/" + path, request)
        else:  # AWS: an unknown API id has no endpoint at all; the closest is HTTP's 404
            status, body = 404, {"message": "Not Found"}
    text = body if isinstance(body, str) else json.dumps(body)
    start_response(
        f"{status} {_REASONS.get(status, 'Error')}",
        [
            ("Content-Type", "application/json"),
            ("x-amzn-RequestId", request.request_id),
            ("Content-Length", str(len(text.encode()))),
        ],
    )
    return [text.encode()]


_REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
}


def _http_apis():
    from moto.apigatewayv2.models import apigatewayv2_backends

    for regions in list(apigatewayv2_backends.values()):
        for backend in list(regions.values()):
            yield from list(backend.apis.values())


def _account_of(api) -> str:
    """The account whose backend holds an HTTP API (moto's ``Api`` does not keep it)."""
    from moto.apigatewayv2.models import apigatewayv2_backends

    for account, regions in list(apigatewayv2_backends.items()):
        for backend in list(regions.values()):
            if any(found is api for found in list(backend.apis.values())):
                return account
    return ""


def _rest_apis():
    from moto.apigateway.models import apigateway_backends

    for regions in list(apigateway_backends.values()):
        for backend in list(regions.values()):
            yield from list(backend.apis.values())


def _find(apis, api_id: str):
    for api in apis:
        if getattr(api, "api_id", None) == api_id or getattr(api, "id", None) == api_id:
            return api
    return None


# ---------------------------------------------------------------- calling Step Functions


def call_step_functions(action: str, region: str, body: str) -> tuple[int, str]:
    """POST a Step Functions API request (JSON 1.0) to this server; return status and body.

    A body that is not JSON (e.g. a template's ``\\'``) is refused as AWS's JSON protocol
    refuses it: 400 ``SerializationException``.
    """
    try:
        json.loads(body)
    except ValueError:
        return 400, json.dumps({"__type": "com.amazon.coral.service#SerializationException"})
    url = _ENDPOINT["url"] + "/"
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": f"AWSStepFunctions.{action}",
    }
    signed = auth.sign(auth.served(), "POST", url, body.encode(), headers, "states", region)
    request = urllib.request.Request(url, data=body.encode(), method="POST", headers=signed)
    try:
        with urllib.request.urlopen(request, timeout=330) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def access_denied(
    role_arn, action: str, resource: str, source_arn: str | None = None
) -> tuple[int, str] | None:
    """The service's answer when API Gateway may not make the call; ``None`` when it may.
    ``source_arn`` is the method API Gateway acts for (``method_arn``): the role's trust policy
    sees it as ``aws:SourceArn``.

    A role that is missing or does not trust API Gateway: API Gateway itself fails (``None`` is
    not returned; the caller answers 500). A role without the permission: Step Functions answers
    400 ``AccessDeniedException``.
    """
    reason = service_roles.refusal(
        role_arn, APIGATEWAY_PRINCIPAL, f"states:{action}", resource, source_arn
    )
    if reason is None:
        return None
    if reason.startswith("User: "):
        return 400, json.dumps({"__type": "AccessDeniedException", "message": reason})
    return 500, reason


def _region_of(arn: str, default: str = "us-east-1") -> str:
    parts = (arn or "").split(":")
    return parts[3] if len(parts) > 3 and parts[3] else default


def _log(message: str) -> None:
    print(f"[apigateway] {message}", flush=True)


# ---------------------------------------------------------------- HTTP APIs (apigatewayv2)


def serve_http_api(api, path: str, request: Request) -> tuple[int, dict | str]:
    """Route the request and run its Step Functions integration; return status and body."""
    stage_name, route_path = _http_stage(api, path)
    if stage_name is None:
        return 404, {"message": "Not Found"}
    route, path_parameters = _http_route(api, request.method, route_path)
    if route is None or not (route.target or "").startswith("integrations/"):
        return 404, {"message": "Not Found"}
    integration = api.integrations.get(route.target.split("/", 1)[1])
    if integration is None or integration.integration_subtype not in HTTP_API_SUBTYPES:
        _log(f"{api.api_id}: route {route.route_key} has no Step Functions integration")
        return 500, {"message": "Internal Server Error"}
    stage = api.stages[stage_name]
    sources = _http_sources(api, stage, route, request, path_parameters)
    try:
        parameters = {
            name: evaluate_parameter(value, sources)
            for name, value in (integration.request_parameters or {}).items()
        }
    except ValueError as error:
        _log(f"{api.api_id}: {error}")
        return 400, {"message": "Bad Request"}
    region = _region_of(api.arn)
    source = method_arn(
        region, _account_of(api), api.api_id, stage_name, request.method, route_path
    )
    return _run_http_integration(integration, parameters, source)


def method_arn(region: str, account: str, api_id: str, stage: str, verb: str, path: str) -> str:
    """The ARN of an API's method, as API Gateway names itself as the source of a call
    (``arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/VERB/PATH``, the form Lambda permissions
    and resource policies use)."""
    return f"arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/{verb}/{path.lstrip('/')}"


def _http_stage(api, path: str) -> tuple[str | None, str]:
    """The stage a path names (``/dev/...``), else ``$default``; and the path within it."""
    first, _, rest = path.lstrip("/").partition("/")
    if first and first in api.stages and first != "$default":
        return first, "/" + rest
    if "$default" in api.stages:
        return "$default", path
    return None, path


def _http_route(api, method: str, path: str):
    """The best route for ``METHOD /path`` (exact, then parameters, then greedy, then ANY, then
    ``$default``) and the path parameters it binds."""
    best, best_rank, best_parameters = None, None, {}
    for route in api.routes.values():
        if route.route_key == "$default":
            rank, parameters = (9, 0), {}
        else:
            route_method, _, route_path = route.route_key.partition(" ")
            if route_method not in (method, "ANY"):
                continue
            parameters = _match_path(route_path, path)
            if parameters is None:
                continue
            greedy = route_path.endswith("+}")
            rank = (1 if greedy else 0, route_path.count("{"), route_method == "ANY")
        if best_rank is None or rank < best_rank:
            best, best_rank, best_parameters = route, rank, parameters
    return best, best_parameters


def _match_path(template: str, path: str) -> dict | None:
    """Match ``/items/{id}`` or ``/{proxy+}`` against a path; the bound parameters, or None."""
    pattern = ""
    for part in re.split(r"(\{[^}]+\})", template.rstrip("/") or "/"):
        if part.startswith("{") and part.endswith("+}"):
            pattern += f"(?P<{_group(part[1:-2])}>.+)"
        elif part.startswith("{"):
            pattern += f"(?P<{_group(part[1:-1])}>[^/]+)"
        else:
            pattern += re.escape(part)
    found = re.fullmatch(pattern, path.rstrip("/") or "/")
    if not found:
        return None
    return {name.replace("__", "-"): value for name, value in found.groupdict().items()}


def _group(name: str) -> str:
    return name.replace("-", "__")


def _http_sources(api, stage, route, request: Request, path_parameters: dict) -> dict:
    """What ``$request``, ``$context`` and ``$stageVariables`` expressions read."""
    context = {
        "requestId": request.request_id,
        "apiId": api.api_id,
        "stage": stage.name,
        "routeKey": route.route_key,
        "httpMethod": request.method,
        "requestTimeEpoch": int(request.time * 1000),
        "identity": {"sourceIp": request.source_ip},
    }
    return {
        "body": request.body,
        "header": {key.lower(): value for key, value in request.headers.items()},
        "querystring": request.query,
        "path": path_parameters,
        "context": context,
        "stageVariables": getattr(stage, "stage_variables", None) or {},
    }


_EXPRESSION = re.compile(r"\$\{?(request\.[\w.\-]+|context\.[\w.\-]+|stageVariables\.[\w\-]+)\}?")


def evaluate_parameter(value: str, sources: dict) -> str:
    """Evaluate an HTTP API parameter mapping value (API Gateway developer guide, "Transform API
    requests and responses for HTTP APIs"): a constant, or ``$request.body``,
    ``$request.body.a.b``, ``$request.header.x``, ``$request.querystring.x``,
    ``$request.path.x``, ``$context.x``, ``$stageVariables.x``, alone or inside text."""
    return _EXPRESSION.sub(lambda match: _lookup(match.group(1), sources), value)


def _lookup(expression: str, sources: dict) -> str:
    kind, _, rest = expression.partition(".")
    if kind == "context":
        found = _walk(sources["context"], rest.split("."))
        return "" if found is None else str(found)
    if kind == "stageVariables":
        return str(sources["stageVariables"].get(rest, ""))
    where, _, name = rest.partition(".")
    if where == "body":
        return _body_value(sources["body"], name)
    if where in ("header", "querystring", "path"):
        key = name.lower() if where == "header" else name
        return str(sources[where].get(key, ""))
    raise ValueError(f"unsupported parameter mapping ${expression}")


def _body_value(body: str, name: str) -> str:
    if not name:
        return body
    try:
        found = _walk(json.loads(body), name.split("."))
    except ValueError:
        raise ValueError("the body is not JSON, so $request.body.x cannot be read") from None
    if found is None:
        return ""
    return found if isinstance(found, str) else json.dumps(found)


def _walk(value, keys: list[str]):
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _run_http_integration(
    integration, parameters: dict, source_arn: str | None = None
) -> tuple[int, dict | str]:
    """Call the subtype's Step Functions action with the mapped parameters."""
    action, target_name = HTTP_API_SUBTYPES[integration.integration_subtype]
    fields = {key[:1].lower() + key[1:]: value for key, value in parameters.items() if value != ""}
    resource = parameters.get(target_name, "")
    region = fields.pop("region", None) or _region_of(resource)
    denied = access_denied(integration.credentials_arn, action, _machine_of(resource), source_arn)
    if denied:
        _log(f"integration {integration.id}: {denied[1]}")
        return 500, {"message": "Internal Server Error"}
    status, body = call_step_functions(action, region, json.dumps(fields))
    if status >= 500:
        return 500, {"message": "Internal Server Error"}
    return status, body


def _machine_of(arn: str) -> str:
    """The state machine an ARN belongs to (an execution's ARN names its machine)."""
    parts = arn.split(":")
    if len(parts) >= 7 and parts[5] in ("execution", "express"):
        return ":".join(parts[:5] + ["stateMachine", parts[6]])
    return arn


# ---------------------------------------------------------------- REST APIs (apigateway)


def serve_rest_api(api, path: str, request: Request) -> tuple[int, dict | str]:
    """Find the stage, resource and method; run the integration; map the response."""
    missing_token = (403, {"message": "Missing Authentication Token"})
    stage_name, _, rest = path.lstrip("/").partition("/")
    stage = api.stages.get(stage_name)
    if stage is None:
        return missing_token
    resource, path_parameters = _rest_resource(api, "/" + rest)
    if resource is None:
        return missing_token
    method = resource.resource_methods.get(request.method) or resource.resource_methods.get("ANY")
    if method is None or method.method_integration is None:
        return missing_token
    integration = method.method_integration
    params = {"path": path_parameters, "querystring": request.query, "header": request.headers}
    context = _rest_context(api, stage, resource, request)
    try:
        status, body = _run_rest_integration(api, integration, request, params, context, stage)
        return _integration_response(integration, status, body, params, context, stage)
    except vtl.BodyNotJson as error:
        return 400, {"message": str(error)}
    except vtl.MappingTemplateError as error:
        _log(f"{api.id}: mapping template failed: {error}")
        return 500, {"message": "Internal server error"}


def _rest_resource(api, path: str):
    """The resource whose path matches (exact first, then parameters, then ``{proxy+}``)."""
    best, best_rank, best_parameters = None, None, {}
    for resource in api.resources.values():
        template = resource.get_path()
        parameters = _match_path(template, path)
        if parameters is None:
            continue
        rank = (template.endswith("+}"), template.count("{"))
        if best_rank is None or rank < best_rank:
            best, best_rank, best_parameters = resource, rank, parameters
    return best, best_parameters


def _rest_context(api, stage, resource, request: Request) -> dict:
    """``$context`` for a REST API request."""
    return {
        "requestId": request.request_id,
        "extendedRequestId": request.request_id,
        "apiId": api.id,
        "accountId": api.account_id,
        "stage": stage.name,
        "resourceId": resource.id,
        "resourcePath": resource.get_path(),
        "httpMethod": request.method,
        "path": f"/{stage.name}{resource.get_path()}",
        "protocol": "HTTP/1.1",
        "domainName": f"{api.id}.execute-api.{api.region_name}.amazonaws.com",
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(request.time)),
        "requestTimeEpoch": int(request.time * 1000),
        "identity": {"sourceIp": request.source_ip, "userAgent": request.headers.get("User-Agent")},
    }


_SERVICE_ACTION = re.compile(r"^arn:[\w-]+:apigateway:([\w-]+):([\w-]+):action/(\w+)")


def _run_rest_integration(api, integration, request, params, context, stage) -> tuple[int, str]:
    """Make the integration request (mapping template) and call the service."""
    found = _SERVICE_ACTION.match(integration.uri or "")
    if integration.integration_type != "AWS" or not found or found.group(2) != "states":
        _log(f"{api.id}: unsupported integration {integration.integration_type} {integration.uri}")
        return 500, json.dumps({"message": "Internal server error"})
    region, _, action = found.groups()
    body = _integration_request_body(integration, request, params, context, stage)
    if body is None:
        return 415, json.dumps({"message": "Unsupported Media Type"})
    source = method_arn(
        api.region_name, api.account_id, api.id, stage.name, request.method, context["resourcePath"]
    )
    denied = access_denied(integration.credentials, action, _machine_of(_target_arn(body)), source)
    if denied and denied[0] == 500:  # API Gateway could not assume the role
        _log(f"{api.id}: {denied[1]}")
        return 500, json.dumps({"message": "Internal server error"})
    if denied and _target_arn(body) != "*":  # a body that is not JSON fails before that
        return denied
    return call_step_functions(action, region, body)


def _target_arn(body: str) -> str:
    """The state machine or execution a Step Functions request names; ``*`` if none."""
    try:
        request = json.loads(body)
    except ValueError:
        return "*"
    if not isinstance(request, dict):
        return "*"
    return request.get("stateMachineArn") or request.get("executionArn") or "*"


def _integration_request_body(integration, request, params, context, stage) -> str | None:
    """The request template for the content type, rendered; or the body passed through as the
    integration's ``passthroughBehavior`` allows; ``None`` for 415."""
    templates = integration.request_templates or {}
    template = templates.get(request.content_type)
    behaviour = integration.passthrough_behaviour or "WHEN_NO_MATCH"
    if template is None:
        if behaviour == "NEVER" or (behaviour == "WHEN_NO_TEMPLATES" and templates):
            return None
        return request.body
    input_variable = vtl.InputVariable(request.body, params)
    return vtl.render(template, input_variable, context, stage.variables)


def _integration_response(integration, status: int, body: str, params, context, stage):
    """Pick the integration response (``selectionPattern`` matched against the status code,
    else the default one) and map the body with its response template, in which
    ``$input.params()`` are still the method request's, as in API Gateway."""
    responses = list((integration.integration_responses or {}).values())
    if status >= 500:  # API Gateway's own failure, or the service's
        return 500, {"message": "Internal server error"}
    chosen = next(
        (
            r
            for r in responses
            if r.selection_pattern and re.fullmatch(r.selection_pattern, str(status))
        ),
        None,
    ) or next((r for r in responses if not r.selection_pattern), None)
    if chosen is None:  # AWS: "No match for output mapping and no default output mapping"
        _log(f"no integration response for status {status}")
        return 500, {"message": "Internal server error"}
    template = (chosen.response_templates or {}).get("application/json")
    if template:
        body = vtl.render(template, vtl.InputVariable(body, params), context, stage.variables)
    return int(chosen.status_code), body
