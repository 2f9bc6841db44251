"""OpenAPI definitions imported into REST and HTTP APIs as API Gateway imports them.

A REST API's body (``ImportRestApi``, ``PutRestApi``; a stack's ``Body``) may be Swagger 2.0 or
OpenAPI 3: each path becomes a resource (the ancestors too), each operation a method
(``x-amazon-apigateway-any-method`` is ``ANY``), and its ``x-amazon-apigateway-integration``
the method's integration, its type upper-cased as API Gateway stores it, with its integration
responses. An HTTP API's body (``ImportApi``, ``ReimportApi``; a stack's ``Body``) becomes a
route per operation whose integration keeps its ``integrationSubtype``, ``requestParameters``,
``credentials`` and ``payloadFormatVersion`` (an integration may be named from
``x-amazon-apigateway-integrations`` with ``$ref``). In either, ``${AWS::AccountId}``,
``${AWS::Partition}`` and ``${AWS::Region}`` are replaced by the API's account, partition and
region, as API Gateway's import does.

moto refuses Swagger 2.0 for REST APIs, makes the root path a child of itself, keeps
``aws_proxy`` lower case, and imports an HTTP API's integrations without their subtype,
parameters or role, so a Step Functions integration could not run; it has no ``ImportApi``.
"""

from __future__ import annotations

import json

import yaml

from sfn_tutorial.emulator.patching import before_first_served

METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
ANY_METHOD = "x-amazon-apigateway-any-method"


def apply() -> None:
    """Import OpenAPI and Swagger definitions as API Gateway does, once moto's API Gateway is
    first served (its models take about 30 MB and a second to import)."""
    before_first_served(("apigateway", "apigatewayv2"), install)


def install() -> None:
    rest_api_definitions_import_as_api_gateway_does()
    http_api_definitions_import_as_api_gateway_does()


def _document(body, account_id: str, region: str) -> dict:
    """The definition as a dict, with the AWS variables API Gateway resolves on import."""
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    if isinstance(body, dict):
        body = json.dumps(body)
    for name, value in (
        ("AWS::AccountId", account_id),
        ("AWS::Partition", "aws"),
        ("AWS::Region", region),
    ):
        body = body.replace("${" + name + "}", value)
    return yaml.safe_load(body) if not body.lstrip().startswith("{") else json.loads(body)


def _operations(path_doc: dict):
    """``(METHOD, operation)`` for each operation of a path (``ANY`` for the any-method)."""
    for key, operation in path_doc.items():
        if key == ANY_METHOD:
            yield "ANY", operation
        elif key.lower() in METHODS and isinstance(operation, dict):
            yield key.upper(), operation


# ---------------------------------------------------------------- REST APIs


def rest_api_definitions_import_as_api_gateway_does() -> None:
    """``PutRestApi`` (``overwrite`` or ``merge``) and ``ImportRestApi`` take Swagger 2.0 or
    OpenAPI 3 and make every resource, method, integration and integration response."""
    from moto.apigateway.models import APIGatewayBackend

    def put_rest_api(self, function_id, api_doc, fail_on_warnings=False, mode="merge"):
        document = _document(api_doc, self.account_id, self.region_name)
        api = self.get_rest_api(function_id)
        if mode == "overwrite":
            api.resources = {}
            api.default = api.add_child("/")
        for path, path_doc in sorted((document.get("paths") or {}).items()):
            resource = _rest_resource_for(self, api, path)
            for method, operation in _operations(path_doc):
                _put_rest_method(self, api.id, resource.id, method, operation)
        info = document.get("info") or {}
        if info.get("title") and not api.name:
            api.name = info["title"]
        return api

    def import_rest_api(self, api_doc, fail_on_warnings=False):
        document = _document(api_doc, self.account_id, self.region_name)
        info = document.get("info") or {}
        api = self.create_rest_api(
            name=info.get("title", "API"), description=info.get("description", "")
        )
        return put_rest_api(self, api.id, document, fail_on_warnings, "overwrite")

    APIGatewayBackend.put_rest_api = put_rest_api
    APIGatewayBackend.import_rest_api = import_rest_api


def _rest_resource_for(backend, api, path: str):
    """The resource of ``path``, made with its ancestors if missing."""
    resource = api.get_resource_for_path("/")
    current = ""
    for part in [part for part in path.split("/") if part]:
        current += "/" + part
        found = api.get_resource_for_path(current)
        if found is None:
            found = backend.create_resource(
                function_id=api.id, parent_resource_id=resource.id, path_part=part
            )
        resource = found
    return resource


def _put_rest_method(backend, api_id: str, resource_id: str, method: str, operation: dict):
    backend.put_method(
        api_id,
        resource_id,
        method,
        authorization_type="NONE",
        request_parameters={
            f"method.request.{p['in'].replace('query', 'querystring')}.{p['name']}": bool(
                p.get("required", False)
            )
            for p in operation.get("parameters") or []
            if isinstance(p, dict) and "in" in p and "name" in p
        }
        or None,
    )
    for code in operation.get("responses") or {}:
        if str(code).isdigit():
            backend.put_method_response(
                api_id,
                resource_id,
                method,
                str(code),
                response_models=None,
                response_parameters=None,
            )
    integration = operation.get("x-amazon-apigateway-integration")
    if not integration:
        return
    arguments = backend._build_integration_args(integration)
    arguments["integration_type"] = (arguments.get("integration_type") or "").upper()
    backend.put_integration(
        function_id=api_id,
        resource_id=resource_id,
        method_type=method,
        **{key: value for key, value in arguments.items() if value is not None},
    )
    for response in backend._build_integration_responses_args(integration):
        backend.put_integration_response(
            function_id=api_id,
            resource_id=resource_id,
            method_type=method,
            **{key: value for key, value in response.items() if value is not None},
        )


# ---------------------------------------------------------------- HTTP APIs


def http_api_definitions_import_as_api_gateway_does() -> None:
    """``ImportApi`` and ``ReimportApi`` make a route and an integration per operation, the
    integration as the definition describes it."""
    from moto.apigatewayv2.models import Api
    from moto.apigatewayv2.responses import ApiGatewayV2Response

    def import_api(self, body_str, fail_on_warnings=False):
        document = _document(body_str, self.backend.account_id, self.backend.region_name)
        self.clear()
        components = (document.get("components") or {}).get("x-amazon-apigateway-integrations")
        for path, path_doc in (document.get("paths") or {}).items():
            for method, operation in _operations(path_doc):
                route_key = "$default" if path == "$default" else f"{method} {path}"
                integration = operation.get("x-amazon-apigateway-integration")
                if isinstance(integration, dict) and "$ref" in integration:
                    integration = (components or {}).get(integration["$ref"].rsplit("/", 1)[-1])
                target = None
                if integration:
                    made = self.create_integration(
                        connection_type=integration.get("connectionType", "INTERNET"),
                        description=integration.get("description"),
                        integration_method=integration.get("httpMethod"),
                        integration_type=(integration.get("type") or "").upper(),
                        integration_uri=integration.get("uri"),
                        credentials_arn=integration.get("credentials"),
                        payload_format_version=str(integration.get("payloadFormatVersion", "1.0")),
                        integration_subtype=integration.get("integrationSubtype"),
                        request_parameters=integration.get("requestParameters"),
                        timeout_in_millis=integration.get("timeoutInMillis"),
                    )
                    target = f"integrations/{made.id}"
                self.create_route(
                    api_key_required=False,
                    authorization_scopes=[],
                    route_key=route_key,
                    target=target,
                )
        info = document.get("info") or {}
        if "title" in info:
            self.name = info["title"]
        if "version" in info:
            self.version = str(info["version"])
        if "x-amazon-apigateway-cors" in document:
            self.cors_configuration = document["x-amazon-apigateway-cors"]

    def import_api_action(self):
        """``ImportApi``: a new HTTP API made from the definition (HTTP 201)."""
        params = json.loads(self.body or "{}")
        document = _document(params.get("body", ""), self.current_account, self.region)
        info = document.get("info") or {}
        api = self.apigatewayv2_backend.create_api(
            api_key_selection_expression=None,
            cors_configuration=None,
            description=info.get("description"),
            disable_schema_validation=None,
            disable_execute_api_endpoint=None,
            name=info.get("title", "API"),
            protocol_type="HTTP",
            route_selection_expression=None,
            tags={},
            version=None,
        )
        api.import_api(json.dumps(document))
        return 201, {}, json.dumps(api.to_json())

    Api.import_api = import_api
    ApiGatewayV2Response.import_api = import_api_action
