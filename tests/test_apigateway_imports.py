"""sfn_tutorial/emulator/apigateway/imports.py: OpenAPI and Swagger definitions imported as API
Gateway imports them, checked on the running emulator."""

import json

import boto3

SWAGGER = {
    "swagger": "2.0",
    "info": {"title": "imports-rest", "version": "1"},
    "paths": {
        "/": {"get": {"responses": {"200": {"description": "ok"}}}},
        "/orders/{id}": {
            "x-amazon-apigateway-any-method": {
                "x-amazon-apigateway-integration": {
                    "type": "aws",
                    "httpMethod": "POST",
                    "uri": "arn:${AWS::Partition}:apigateway:${AWS::Region}:states:action/"
                    "StartExecution",
                    "credentials": "arn:aws:iam::${AWS::AccountId}:role/api",
                    "requestTemplates": {"application/json": "$input.body"},
                    "responses": {"default": {"statusCode": "200"}},
                }
            }
        },
    },
}


def test_a_swagger_2_definition_makes_resources_methods_and_integrations(emulator):
    # API Gateway imports Swagger 2.0 as well as OpenAPI 3; the ancestors of a path become
    # resources too; the AWS variables are resolved; the type is stored upper case.
    client = boto3.client("apigateway")
    api = client.import_rest_api(body=json.dumps(SWAGGER))
    resources = {r["path"]: r for r in client.get_resources(restApiId=api["id"])["items"]}
    assert set(resources) == {"/", "/orders", "/orders/{id}"}
    assert set(resources["/"]["resourceMethods"]) == {"GET"}
    resource = resources["/orders/{id}"]
    assert set(resource["resourceMethods"]) == {"ANY"}
    integration = client.get_integration(
        restApiId=api["id"], resourceId=resource["id"], httpMethod="ANY"
    )
    region, account = client.meta.region_name, boto3.client("sts").get_caller_identity()["Account"]
    assert integration["type"] == "AWS"
    assert integration["uri"] == f"arn:aws:apigateway:{region}:states:action/StartExecution"
    assert integration["credentials"] == f"arn:aws:iam::{account}:role/api"
    # The "default" response: the one without a selection pattern.
    default = integration["integrationResponses"]["200"]
    assert default["statusCode"] == "200" and "selectionPattern" not in default


def test_an_http_api_import_keeps_the_step_functions_integration(emulator):
    client = boto3.client("apigatewayv2")
    body = {
        "openapi": "3.0.1",
        "info": {"title": "imports-http", "version": "1"},
        "paths": {
            "/orders": {
                "post": {
                    "x-amazon-apigateway-integration": {
                        "integrationSubtype": "StepFunctions-StartExecution",
                        "credentials": "arn:aws:iam::123456789012:role/api",
                        "requestParameters": {
                            "Input": "$request.body",
                            "StateMachineArn": "arn:aws:states:${AWS::Region}:123456789012:"
                            "stateMachine:m",
                        },
                        "payloadFormatVersion": "1.0",
                        "type": "aws_proxy",
                    }
                }
            }
        },
    }
    api = client.import_api(Body=json.dumps(body))  # HTTP 201, as ImportApi answers
    assert api["Name"] == "imports-http" and api["ProtocolType"] == "HTTP"
    (route,) = client.get_routes(ApiId=api["ApiId"])["Items"]
    assert route["RouteKey"] == "POST /orders"
    integration = client.get_integration(
        ApiId=api["ApiId"], IntegrationId=route["Target"].split("/")[1]
    )
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert integration["IntegrationSubtype"] == "StepFunctions-StartExecution"
    assert integration["CredentialsArn"] == "arn:aws:iam::123456789012:role/api"
    assert integration["RequestParameters"]["StateMachineArn"] == (
        f"arn:aws:states:{client.meta.region_name}:123456789012:stateMachine:m"
    )
