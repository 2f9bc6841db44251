"""API Gateway: REST APIs (``AWS::ApiGateway::*``) and HTTP APIs (``AWS::ApiGatewayV2::*``).

An API with a ``Body`` (or ``BodyS3Location``) is made from that OpenAPI definition with
``PutRestApi`` / ``ImportApi``, as CloudFormation makes it; its Step Functions integrations
then serve requests on the emulator's execute-api address, as any API's do.
"""

from __future__ import annotations

import json

from sfn_tutorial.emulator.cloudformation import templates
from sfn_tutorial.emulator.cloudformation.handlers import (
    Handler,
    HandlerError,
    Made,
    Request,
    user_tags,
)


def _body(request: Request) -> dict | None:
    """The OpenAPI definition of ``Body``, or read from ``BodyS3Location``."""
    props = request.properties
    if "Body" in props:
        body = props["Body"]
        return body if isinstance(body, dict) else templates.parse(body)
    location = props.get("BodyS3Location")
    if not location:
        return None
    s3 = request.client("s3")
    try:
        text = s3.get_object(Bucket=location["Bucket"], Key=location["Key"])["Body"].read()
    except s3.exceptions.ClientError as error:
        raise HandlerError(
            f"The API definition s3://{location['Bucket']}/{location['Key']} could not be read: "
            f"{error.response['Error']['Message']}"
        ) from None
    return templates.parse(text.decode("utf-8"))


# ---------------------------------------------------------------- REST APIs


class RestApi(Handler):
    type_name = "AWS::ApiGateway::RestApi"

    def create(self, request: Request) -> Made:
        client = request.client("apigateway")
        props = request.properties
        body = _body(request)
        name = props.get("Name") or ((body or {}).get("info") or {}).get("title")
        if not name:
            raise HandlerError("Properties validation failed: a Name or a Body is required")
        options = {}
        if "Description" in props:
            options["description"] = props["Description"]
        if "EndpointConfiguration" in props:
            options["endpointConfiguration"] = {
                "types": props["EndpointConfiguration"].get("Types") or ["EDGE"]
            }
        if "Policy" in props:
            policy = props["Policy"]
            options["policy"] = policy if isinstance(policy, str) else json.dumps(policy)
        if "BinaryMediaTypes" in props:
            options["binaryMediaTypes"] = props["BinaryMediaTypes"]
        if "DisableExecuteApiEndpoint" in props:
            options["disableExecuteApiEndpoint"] = bool(props["DisableExecuteApiEndpoint"])
        api = client.create_rest_api(name=name, tags=user_tags(request.tags()), **options)
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

    def delete(self, request: Request, made: Made) -> None:
        client = request.client("apigateway")
        try:
            client.delete_rest_api(restApiId=made.physical_id)
        except client.exceptions.NotFoundException:
            pass


class Resource(Handler):
    type_name = "AWS::ApiGateway::Resource"

    def create(self, request: Request) -> Made:
        props = request.properties
        resource = request.client("apigateway").create_resource(
            restApiId=props["RestApiId"], parentId=props["ParentId"], pathPart=props["PathPart"]
        )
        return Made(resource["id"], {"ResourceId": resource["id"]})

    def delete(self, request: Request, made: Made) -> None:
        client = request.client("apigateway")
        try:
            client.delete_resource(
                restApiId=request.properties["RestApiId"], resourceId=made.physical_id
            )
        except client.exceptions.NotFoundException:
            pass


INTEGRATION_FIELDS = {
    "Type": "type",
    "Uri": "uri",
    "IntegrationHttpMethod": "integrationHttpMethod",
    "Credentials": "credentials",
    "RequestParameters": "requestParameters",
    "RequestTemplates": "requestTemplates",
    "PassthroughBehavior": "passthroughBehavior",
    "TimeoutInMillis": "timeoutInMillis",
    "ContentHandling": "contentHandling",
    "ConnectionType": "connectionType",
    "ConnectionId": "connectionId",
    "CacheNamespace": "cacheNamespace",
    "CacheKeyParameters": "cacheKeyParameters",
}


class Method(Handler):
    """A method with its integration, integration responses and method responses."""

    type_name = "AWS::ApiGateway::Method"

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
        where = {
            "restApiId": props["RestApiId"],
            "resourceId": props["ResourceId"],
            "httpMethod": props["HttpMethod"],
        }
        options = {}
        for key, field in (
            ("ApiKeyRequired", "apiKeyRequired"),
            ("RequestParameters", "requestParameters"),
            ("RequestModels", "requestModels"),
            ("OperationName", "operationName"),
            ("AuthorizerId", "authorizerId"),
            ("AuthorizationScopes", "authorizationScopes"),
            ("RequestValidatorId", "requestValidatorId"),
        ):
            if key in props:
                options[field] = props[key]
        client.put_method(
            authorizationType=props.get("AuthorizationType", "NONE"), **where, **options
        )
        for response in props.get("MethodResponses") or []:
            client.put_method_response(
                statusCode=str(response["StatusCode"]),
                **where,
                **{
                    field: response[key]
                    for key, field in (
                        ("ResponseModels", "responseModels"),
                        ("ResponseParameters", "responseParameters"),
                    )
                    if key in response
                },
            )
        integration = props.get("Integration")
        if not integration:
            return
        client.put_integration(
            **where,
            **{
                field: integration[key]
                for key, field in INTEGRATION_FIELDS.items()
                if key in integration
            },
        )
        for response in integration.get("IntegrationResponses") or []:
            client.put_integration_response(
                statusCode=str(response["StatusCode"]),
                **where,
                **{
                    field: response[key]
                    for key, field in (
                        ("SelectionPattern", "selectionPattern"),
                        ("ResponseTemplates", "responseTemplates"),
                        ("ResponseParameters", "responseParameters"),
                        ("ContentHandling", "contentHandling"),
                    )
                    if key in response
                },
            )

    def delete(self, request: Request, made: Made, props: dict | None = None) -> None:
        client = request.client("apigateway")
        props = props or request.properties
        try:
            client.delete_method(
                restApiId=props["RestApiId"],
                resourceId=props["ResourceId"],
                httpMethod=props["HttpMethod"],
            )
        except client.exceptions.NotFoundException:
            pass


class Deployment(Handler):
    type_name = "AWS::ApiGateway::Deployment"

    def create(self, request: Request) -> Made:
        props = request.properties
        options = {
            k: props[v]
            for k, v in (("stageName", "StageName"), ("description", "Description"))
            if v in props
        }
        deployment = request.client("apigateway").create_deployment(
            restApiId=props["RestApiId"], **options
        )
        return Made(deployment["id"], {"DeploymentId": deployment["id"]})

    def update(self, request: Request) -> Made:
        return self.create(request)

    def delete(self, request: Request, made: Made) -> None:
        client = request.client("apigateway")
        try:
            client.delete_deployment(
                restApiId=request.properties["RestApiId"], deploymentId=made.physical_id
            )
        except client.exceptions.ClientError:
            pass  # a stage still uses it, or the API is gone: it goes with them


class Stage(Handler):
    type_name = "AWS::ApiGateway::Stage"

    def create(self, request: Request) -> Made:
        props = request.properties
        options = {}
        for key, field in (
            ("Description", "description"),
            ("Variables", "variables"),
            ("TracingEnabled", "tracingEnabled"),
        ):
            if key in props:
                options[field] = props[key]
        name = props.get("StageName") or request.physical_name(128)
        request.client("apigateway").create_stage(
            restApiId=props["RestApiId"],
            stageName=name,
            deploymentId=props["DeploymentId"],
            tags=user_tags(request.tags()),
            **options,
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

    def delete(self, request: Request, made: Made) -> None:
        client = request.client("apigateway")
        try:
            client.delete_stage(
                restApiId=request.properties["RestApiId"], stageName=made.physical_id
            )
        except client.exceptions.NotFoundException:
            pass


class Account(Handler):
    """API Gateway's account settings (the role it writes CloudWatch logs with)."""

    type_name = "AWS::ApiGateway::Account"

    def create(self, request: Request) -> Made:
        role = request.properties.get("CloudWatchRoleArn")
        if role:
            request.client("apigateway").update_account(
                patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}]
            )
        physical_id = request.previous.physical_id if request.previous else None
        return Made(physical_id or request.physical_name())

    def update(self, request: Request) -> Made:
        return self.create(request)

    def delete(self, request: Request, made: Made) -> None:
        return None  # the account keeps its settings, as on AWS


# ---------------------------------------------------------------- HTTP APIs


class HttpApi(Handler):
    type_name = "AWS::ApiGatewayV2::Api"

    def create(self, request: Request) -> Made:
        client = request.client("apigatewayv2")
        props = request.properties
        body = _body(request)
        if body is not None:
            api = client.import_api(
                Body=json.dumps(body), FailOnWarnings=bool(props.get("FailOnWarnings", False))
            )
            self._settings(client, api["ApiId"], props)
            tags = user_tags(request.tags())
            if tags:
                client.tag_resource(ResourceArn=self._arn(request, api["ApiId"]), Tags=tags)
        else:
            options = {
                key: props[key]
                for key in (
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
                if key in props
            }
            api = client.create_api(
                Name=props.get("Name") or request.physical_name(128),
                ProtocolType=props.get("ProtocolType", "HTTP"),
                Tags=user_tags(request.tags()),
                **options,
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
        settings = {
            key: props[key]
            for key in ("Name", "Description", "CorsConfiguration", "DisableExecuteApiEndpoint")
            if key in props
        }
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

    def delete(self, request: Request, made: Made) -> None:
        client = request.client("apigatewayv2")
        try:
            client.delete_api(ApiId=made.physical_id)
        except client.exceptions.NotFoundException:
            pass


class HttpStage(Handler):
    type_name = "AWS::ApiGatewayV2::Stage"
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
        client = request.client("apigatewayv2")
        client.create_stage(
            ApiId=props["ApiId"],
            StageName=props["StageName"],
            Tags=user_tags(request.tags()),
            **{key: props[key] for key in self.FIELDS if key in props},
        )
        return Made(props["StageName"])

    def update(self, request: Request) -> Made:
        props = request.properties
        fields = {key: props[key] for key in self.FIELDS if key in props}
        if fields:
            request.client("apigatewayv2").update_stage(
                ApiId=props["ApiId"], StageName=request.previous.physical_id, **fields
            )
        return request.previous

    def delete(self, request: Request, made: Made) -> None:
        client = request.client("apigatewayv2")
        try:
            client.delete_stage(ApiId=request.properties["ApiId"], StageName=made.physical_id)
        except client.exceptions.NotFoundException:
            pass


class HttpIntegration(Handler):
    type_name = "AWS::ApiGatewayV2::Integration"
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

    def create(self, request: Request) -> Made:
        props = request.properties
        integration = request.client("apigatewayv2").create_integration(
            ApiId=props["ApiId"],
            IntegrationType=props["IntegrationType"],
            **{key: props[key] for key in self.FIELDS if key in props},
        )
        return Made(integration["IntegrationId"], {"IntegrationId": integration["IntegrationId"]})

    def update(self, request: Request) -> Made:
        props = request.properties
        request.client("apigatewayv2").update_integration(
            ApiId=props["ApiId"],
            IntegrationId=request.previous.physical_id,
            IntegrationType=props["IntegrationType"],
            **{key: props[key] for key in self.FIELDS if key in props},
        )
        return request.previous

    def delete(self, request: Request, made: Made) -> None:
        client = request.client("apigatewayv2")
        try:
            client.delete_integration(
                ApiId=request.properties["ApiId"], IntegrationId=made.physical_id
            )
        except client.exceptions.NotFoundException:
            pass


class HttpRoute(Handler):
    type_name = "AWS::ApiGatewayV2::Route"
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

    def create(self, request: Request) -> Made:
        props = request.properties
        route = request.client("apigatewayv2").create_route(
            ApiId=props["ApiId"],
            RouteKey=props["RouteKey"],
            **{key: props[key] for key in self.FIELDS if key in props},
        )
        return Made(route["RouteId"], {"RouteId": route["RouteId"]})

    def update(self, request: Request) -> Made:
        props = request.properties
        request.client("apigatewayv2").update_route(
            ApiId=props["ApiId"],
            RouteId=request.previous.physical_id,
            RouteKey=props["RouteKey"],
            **{key: props[key] for key in self.FIELDS if key in props},
        )
        return request.previous

    def delete(self, request: Request, made: Made) -> None:
        client = request.client("apigatewayv2")
        try:
            client.delete_route(ApiId=request.properties["ApiId"], RouteId=made.physical_id)
        except client.exceptions.NotFoundException:
            pass


class HttpDeployment(Handler):
    type_name = "AWS::ApiGatewayV2::Deployment"

    def create(self, request: Request) -> Made:
        props = request.properties
        options = {k: props[k] for k in ("StageName", "Description") if k in props}
        deployment = request.client("apigatewayv2").create_deployment(
            ApiId=props["ApiId"], **options
        )
        return Made(deployment["DeploymentId"], {"DeploymentId": deployment["DeploymentId"]})

    def delete(self, request: Request, made: Made) -> None:
        client = request.client("apigatewayv2")
        try:
            client.delete_deployment(
                ApiId=request.properties["ApiId"], DeploymentId=made.physical_id
            )
        except client.exceptions.NotFoundException:
            pass


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
