"""API Gateway: REST APIs (``AWS::ApiGateway::*``) and HTTP APIs (``AWS::ApiGatewayV2::*``).

An API with a ``Body`` (or ``BodyS3Location``) is made from that OpenAPI definition with
``PutRestApi`` / ``ImportApi``, as CloudFormation makes it; its Step Functions integrations
then serve requests on the emulator's execute-api address, as any API's do.

An API's parts (a REST API's resources and deployments, an HTTP API's routes, integrations,
stages and deployments) are each made by one call, changed by one and deleted by one: one
handler, ``ApiPart``, makes them all from a table of the calls and properties each takes.
"""

from __future__ import annotations

import json
from contextlib import suppress

from sfn_tutorial.emulator.cloudformation import services, templates
from sfn_tutorial.emulator.cloudformation.handlers import (
    Handler,
    HandlerError,
    Made,
    Request,
    as_json,
)
from sfn_tutorial.emulator.cloudformation.handlers.arguments import given, lower_camel
from sfn_tutorial.emulator.cloudformation.handlers.deleting import delete_by_id


def _body(request: Request) -> dict | None:
    """The OpenAPI definition of ``Body``, or read from ``BodyS3Location``."""
    props = request.properties
    if "Body" in props:
        body = props["Body"]
        return body if isinstance(body, dict) else templates.parse(body)
    location = props.get("BodyS3Location")
    if not location:
        return None
    where = f"s3://{location['Bucket']}/{location['Key']}"
    text = services.s3_text(
        request.region,
        location["Bucket"],
        location["Key"],
        lambda message: HandlerError(f"The API definition {where} could not be read: {message}"),
    )
    return templates.parse(text)


class ApiPart(Handler):
    """A part of an API that one call creates, one changes and one deletes. Every call names
    the API; update and delete name the part by its physical id. A subclass is a row of this
    table (a part that is not quite so simple overrides what differs):

    * ``service``: ``apigatewayv2`` (HTTP APIs, whose calls name their arguments as the
      template names its properties) or ``apigateway`` (REST APIs, whose names start
      lower-case);
    * ``calls``: the create, update and delete calls (update ``None``: a change replaces it);
    * ``api``: the property that names the API;
    * ``id_name``: the part's id, as its ``Fn::GetAtt`` attribute and (in the API's casing)
      the calls' argument name it; ``answer_id``: where the create call's answer has it, if
      not under ``id_name``;
    * ``required``: the properties create and update always pass; ``FIELDS``: those they pass
      when the template gives them;
    * ``missing``: the error that says the part is gone already (its delete is then done).
    """

    service = "apigatewayv2"
    calls: tuple[str, str | None, str] = ("", None, "")
    api = "ApiId"
    id_name = ""
    answer_id = ""
    required: tuple[str, ...] = ()
    FIELDS: tuple[str, ...] = ()
    missing = "NotFoundException"

    def create(self, request: Request) -> Made:
        props = request.properties
        create = getattr(request.client(self.service), self.calls[0])
        answer = create(**self._api(props), **self._arguments(props))
        part_id = answer[self.answer_id or self.id_name]
        return Made(part_id, {self.id_name: part_id})

    def update(self, request: Request) -> Made:
        if self.calls[1] is None:
            return self.create(request)
        props = request.properties
        arguments = self._arguments(props)
        if arguments:  # a part with only optional fields may have none to change
            update = getattr(request.client(self.service), self.calls[1])
            update(**self._api(props), **self._id(request.previous), **arguments)
        return request.previous

    def delete(self, request: Request, made: Made) -> None:
        client = request.client(self.service)
        with suppress(getattr(client.exceptions, self.missing)):
            delete = getattr(client, self.calls[2])
            delete(**self._api(request.properties), **self._id(made))

    def _cased(self, arguments: dict) -> dict:
        return lower_camel(arguments) if self.service == "apigateway" else arguments

    def _api(self, props: dict) -> dict:
        return self._cased({self.api: props[self.api]})

    def _id(self, made: Made) -> dict:
        return self._cased({self.id_name: made.physical_id})

    def _arguments(self, props: dict) -> dict:
        required = {name: props[name] for name in self.required}
        return self._cased({**required, **given(props, self.FIELDS)})


# ---------------------------------------------------------------- REST APIs


class RestApi(Handler):
    type_name = "AWS::ApiGateway::RestApi"
    delete = delete_by_id("apigateway", "delete_rest_api", "restApiId", missing="NotFoundException")

    def create(self, request: Request) -> Made:
        client = request.client("apigateway")
        props = request.properties
        body = _body(request)
        name = props.get("Name") or ((body or {}).get("info") or {}).get("title")
        if not name:
            raise HandlerError("Properties validation failed: a Name or a Body is required")
        options = lower_camel(given(props, ("Description", "BinaryMediaTypes")))
        if "EndpointConfiguration" in props:
            options["endpointConfiguration"] = {
                "types": props["EndpointConfiguration"].get("Types") or ["EDGE"]
            }
        if "Policy" in props:
            options["policy"] = as_json(props["Policy"])
        if "DisableExecuteApiEndpoint" in props:
            options["disableExecuteApiEndpoint"] = bool(props["DisableExecuteApiEndpoint"])
        api = client.create_rest_api(name=name, tags=request.user_tags(), **options)
        if body is not None:
            client.put_rest_api(restApiId=api["id"], mode="overwrite", body=json.dumps(body))
        return self._made(client, api["id"])

    def update(self, request: Request) -> Made:
        client = request.client("apigateway")
        api_id = request.previous.physical_id
        body = _body(request)
        if body is not None:
            client.put_rest_api(restApiId=api_id, mode="overwrite", body=json.dumps(body))
        name = request.properties.get("Name")
        if name:
            client.update_rest_api(
                restApiId=api_id,
                patchOperations=[{"op": "replace", "path": "/name", "value": name}],
            )
        return self._made(client, api_id)

    def _made(self, client, api_id: str) -> Made:
        resources = client.get_resources(restApiId=api_id, limit=500)["items"]
        root = next(resource["id"] for resource in resources if resource["path"] == "/")
        return Made(api_id, {"RestApiId": api_id, "RootResourceId": root})


class Resource(ApiPart):
    type_name = "AWS::ApiGateway::Resource"
    service = "apigateway"
    calls = ("create_resource", None, "delete_resource")
    api = "RestApiId"
    id_name, answer_id = "ResourceId", "id"
    required = ("ParentId", "PathPart")


class Method(Handler):
    """A method with its integration, integration responses and method responses."""

    type_name = "AWS::ApiGateway::Method"
    FIELDS = (
        "ApiKeyRequired",
        "RequestParameters",
        "RequestModels",
        "OperationName",
        "AuthorizerId",
        "AuthorizationScopes",
        "RequestValidatorId",
    )
    INTEGRATION_FIELDS = (
        "Type",
        "Uri",
        "IntegrationHttpMethod",
        "Credentials",
        "RequestParameters",
        "RequestTemplates",
        "PassthroughBehavior",
        "TimeoutInMillis",
        "ContentHandling",
        "ConnectionType",
        "ConnectionId",
        "CacheNamespace",
        "CacheKeyParameters",
    )
    INTEGRATION_RESPONSE_FIELDS = (
        "SelectionPattern",
        "ResponseTemplates",
        "ResponseParameters",
        "ContentHandling",
    )

    def create(self, request: Request) -> Made:
        self._put(request)
        props = request.properties
        physical_id = f"{props['RestApiId']}|{props['ResourceId']}|{props['HttpMethod']}"
        return Made(physical_id, {"MethodId": physical_id})

    def update(self, request: Request) -> Made:
        self.delete(request, request.previous, request.previous_properties)
        return self.create(request)

    def _put(self, request: Request) -> None:
        client = request.client("apigateway")
        props = request.properties
        where = lower_camel({key: props[key] for key in ("RestApiId", "ResourceId", "HttpMethod")})
        client.put_method(
            authorizationType=props.get("AuthorizationType", "NONE"),
            **where,
            **lower_camel(given(props, self.FIELDS)),
        )
        for response in props.get("MethodResponses") or []:
            client.put_method_response(
                statusCode=str(response["StatusCode"]),
                **where,
                **lower_camel(given(response, ("ResponseModels", "ResponseParameters"))),
            )
        integration = props.get("Integration")
        if not integration:
            return
        client.put_integration(**where, **lower_camel(given(integration, self.INTEGRATION_FIELDS)))
        for response in integration.get("IntegrationResponses") or []:
            client.put_integration_response(
                statusCode=str(response["StatusCode"]),
                **where,
                **lower_camel(given(response, self.INTEGRATION_RESPONSE_FIELDS)),
            )

    def delete(self, request: Request, made: Made, props: dict | None = None) -> None:
        client = request.client("apigateway")
        props = props or request.properties
        with suppress(client.exceptions.NotFoundException):
            client.delete_method(
                restApiId=props["RestApiId"],
                resourceId=props["ResourceId"],
                httpMethod=props["HttpMethod"],
            )


class Deployment(ApiPart):
    type_name = "AWS::ApiGateway::Deployment"
    service = "apigateway"
    calls = ("create_deployment", None, "delete_deployment")
    api = "RestApiId"
    id_name, answer_id = "DeploymentId", "id"
    FIELDS = ("StageName", "Description")
    missing = "ClientError"  # a stage still uses it, or the API is gone: it goes with them


class Stage(ApiPart):
    """A stage: named by the template or a generated name; a change points it at another
    deployment."""

    type_name = "AWS::ApiGateway::Stage"
    service = "apigateway"
    calls = ("create_stage", "update_stage", "delete_stage")
    api = "RestApiId"
    id_name = "StageName"
    FIELDS = ("Description", "Variables", "TracingEnabled")

    def create(self, request: Request) -> Made:
        props = request.properties
        name = props.get("StageName") or request.physical_name(128)
        request.client("apigateway").create_stage(
            restApiId=props["RestApiId"],
            stageName=name,
            deploymentId=props["DeploymentId"],
            tags=request.user_tags(),
            **lower_camel(given(props, self.FIELDS)),
        )
        return Made(name)

    def update(self, request: Request) -> Made:
        props = request.properties
        request.client("apigateway").update_stage(
            restApiId=props["RestApiId"],
            stageName=request.previous.physical_id,
            patchOperations=[
                {"op": "replace", "path": "/deploymentId", "value": props["DeploymentId"]}
            ],
        )
        return request.previous


class Account(Handler):
    """API Gateway's account settings (the role it writes CloudWatch logs with)."""

    type_name = "AWS::ApiGateway::Account"

    def create(self, request: Request) -> Made:
        role = request.properties.get("CloudWatchRoleArn")
        if role:
            request.client("apigateway").update_account(
                patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}]
            )
        return Made(request.previous_id or request.physical_name())

    def delete(self, request: Request, made: Made) -> None:
        return None  # the account keeps its settings, as on AWS


# ---------------------------------------------------------------- HTTP APIs


class HttpApi(Handler):
    type_name = "AWS::ApiGatewayV2::Api"
    FIELDS = (
        "Description",
        "CorsConfiguration",
        "RouteSelectionExpression",
        "ApiKeySelectionExpression",
        "DisableExecuteApiEndpoint",
        "Version",
        "Target",
        "RouteKey",
        "CredentialsArn",
    )
    delete = delete_by_id("apigatewayv2", "delete_api", "ApiId", missing="NotFoundException")

    def create(self, request: Request) -> Made:
        client = request.client("apigatewayv2")
        props = request.properties
        body = _body(request)
        if body is not None:
            api = client.import_api(
                Body=json.dumps(body), FailOnWarnings=bool(props.get("FailOnWarnings", False))
            )
            self._settings(client, api["ApiId"], props)
            tags = request.user_tags()
            if tags:
                client.tag_resource(ResourceArn=self._arn(request, api["ApiId"]), Tags=tags)
        else:
            api = client.create_api(
                Name=props.get("Name") or request.physical_name(128),
                ProtocolType=props.get("ProtocolType", "HTTP"),
                Tags=request.user_tags(),
                **given(props, self.FIELDS),
            )
        return self._made(request, client, api["ApiId"])

    def update(self, request: Request) -> Made:
        client = request.client("apigatewayv2")
        api_id = request.previous.physical_id
        body = _body(request)
        if body is not None:
            client.reimport_api(ApiId=api_id, Body=json.dumps(body))
        self._settings(client, api_id, request.properties)
        return self._made(request, client, api_id)

    def _settings(self, client, api_id: str, props: dict) -> None:
        names = ("Name", "Description", "CorsConfiguration", "DisableExecuteApiEndpoint")
        settings = given(props, names)
        if settings:
            client.update_api(ApiId=api_id, **settings)

    def _arn(self, request: Request, api_id: str) -> str:
        return f"arn:aws:apigateway:{request.region}::/apis/{api_id}"

    def _made(self, request: Request, client, api_id: str) -> Made:
        api = client.get_api(ApiId=api_id)
        endpoint = api.get("ApiEndpoint") or (
            f"https://{api_id}.execute-api.{request.region}.amazonaws.com"
        )
        return Made(
            api_id,
            {
                "ApiId": api_id,
                "ApiEndpoint": endpoint,
                "ExecuteApiArn": f"arn:aws:execute-api:{request.region}:{request.account_id}:"
                f"{api_id}",
            },
        )


class HttpStage(ApiPart):
    """A stage: named by the template (its name is its id), and tagged."""

    type_name = "AWS::ApiGatewayV2::Stage"
    calls = ("create_stage", "update_stage", "delete_stage")
    id_name = "StageName"
    FIELDS = (
        "AutoDeploy",
        "DeploymentId",
        "Description",
        "StageVariables",
        "AccessLogSettings",
        "DefaultRouteSettings",
        "RouteSettings",
        "ClientCertificateId",
    )

    def create(self, request: Request) -> Made:
        props = request.properties
        request.client("apigatewayv2").create_stage(
            ApiId=props["ApiId"],
            StageName=props["StageName"],
            Tags=request.user_tags(),
            **given(props, self.FIELDS),
        )
        return Made(props["StageName"])


class HttpIntegration(ApiPart):
    type_name = "AWS::ApiGatewayV2::Integration"
    calls = ("create_integration", "update_integration", "delete_integration")
    id_name = "IntegrationId"
    required = ("IntegrationType",)
    FIELDS = (
        "ConnectionId",
        "ConnectionType",
        "ContentHandlingStrategy",
        "CredentialsArn",
        "Description",
        "IntegrationMethod",
        "IntegrationSubtype",
        "IntegrationUri",
        "PassthroughBehavior",
        "PayloadFormatVersion",
        "RequestParameters",
        "RequestTemplates",
        "ResponseParameters",
        "TemplateSelectionExpression",
        "TimeoutInMillis",
        "TlsConfig",
    )


class HttpRoute(ApiPart):
    type_name = "AWS::ApiGatewayV2::Route"
    calls = ("create_route", "update_route", "delete_route")
    id_name = "RouteId"
    required = ("RouteKey",)
    FIELDS = (
        "ApiKeyRequired",
        "AuthorizationScopes",
        "AuthorizationType",
        "AuthorizerId",
        "ModelSelectionExpression",
        "OperationName",
        "RequestModels",
        "RequestParameters",
        "RouteResponseSelectionExpression",
        "Target",
    )


class HttpDeployment(ApiPart):
    type_name = "AWS::ApiGatewayV2::Deployment"
    calls = ("create_deployment", None, "delete_deployment")
    id_name = "DeploymentId"
    FIELDS = ("StageName", "Description")


HANDLERS = [
    RestApi(),
    Resource(),
    Method(),
    Deployment(),
    Stage(),
    Account(),
    HttpApi(),
    HttpStage(),
    HttpIntegration(),
    HttpRoute(),
    HttpDeployment(),
]
