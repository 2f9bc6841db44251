"""A stack's Lambda and HTTP API child resources (sfn_tutorial/emulator/cloudformation/
handlers/) through their whole life: created with the template's properties, changed in place
when a property changes (same physical id, new value in the service), and gone with the stack.
"""

import json

import boto3
import pytest

from sfn_tutorial import resources

LAMBDA_ROLE = {
    "Type": "AWS::IAM::Role",
    "Properties": {
        "AssumeRolePolicyDocument": resources.trust_policy("lambda.amazonaws.com"),
        "Policies": [
            {
                "PolicyName": "read-queue",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}],
                },
            }
        ],
    },
}
NOTE = {"Ref": "Note"}
API = {"Ref": "Api"}
TEMPLATE = {
    "Parameters": {"Note": {"Type": "String"}},
    "Resources": {
        "Role": LAMBDA_ROLE,
        "Function": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": resources.PYTHON_RUNTIME,
                "Handler": "index.handler",
                "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "Code": {"ZipFile": "def handler(event, context):\n    return {'ok': True}\n"},
            },
        },
        "Version": {
            "Type": "AWS::Lambda::Version",
            "Properties": {"FunctionName": {"Ref": "Function"}},
        },
        "Alias": {
            "Type": "AWS::Lambda::Alias",
            "Properties": {
                "FunctionName": {"Ref": "Function"},
                "FunctionVersion": {"Fn::GetAtt": ["Version", "Version"]},
                "Name": "live",
                "Description": NOTE,
            },
        },
        "Permission": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "FunctionName": {"Ref": "Function"},
                "Action": "lambda:InvokeFunction",
                "Principal": "apigateway.amazonaws.com",
            },
        },
        "InvokeConfig": {
            "Type": "AWS::Lambda::EventInvokeConfig",
            "Properties": {
                "FunctionName": {"Ref": "Function"},
                "Qualifier": "$LATEST",
                # kept: the emulator's PutFunctionEventInvokeConfig adds a config, not replaces
                "MaximumRetryAttempts": 2,
            },
        },
        "Queue": {"Type": "AWS::SQS::Queue"},
        "Mapping": {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {
                "FunctionName": {"Ref": "Function"},
                "EventSourceArn": {"Fn::GetAtt": ["Queue", "Arn"]},
                "BatchSize": 10,
            },
        },
        "Api": {
            "Type": "AWS::ApiGatewayV2::Api",
            "Properties": {"Name": "lifecycle", "ProtocolType": "HTTP"},
        },
        "Integration": {
            "Type": "AWS::ApiGatewayV2::Integration",
            "Properties": {
                "ApiId": API,
                "IntegrationType": "AWS_PROXY",
                "IntegrationUri": {"Fn::GetAtt": ["Function", "Arn"]},
                "PayloadFormatVersion": "2.0",
                "Description": NOTE,
            },
        },
        "Route": {
            "Type": "AWS::ApiGatewayV2::Route",
            "Properties": {
                "ApiId": API,
                "RouteKey": "GET /hello",
                "Target": {"Fn::Join": ["/", ["integrations", {"Ref": "Integration"}]]},
                "OperationName": NOTE,
            },
        },
        "Stage": {
            "Type": "AWS::ApiGatewayV2::Stage",
            "Properties": {
                "ApiId": API,
                "StageName": "live",
                "Description": "kept",  # the emulator has no UpdateStage for HTTP APIs
            },
        },
    },
}
STACK = "lifecycle"


def template(batch_size: int) -> str:
    """The template with this batch size (a ``Number`` parameter would reach the handler as a
    string, which Lambda's API refuses)."""
    mapping = TEMPLATE["Resources"]["Mapping"]
    mapping = {**mapping, "Properties": {**mapping["Properties"], "BatchSize": batch_size}}
    return json.dumps({**TEMPLATE, "Resources": {**TEMPLATE["Resources"], "Mapping": mapping}})


def deployed(operation: str, note: str, batch_size: int) -> dict[str, str]:
    """The stack's physical ids once ``operation`` (create or update) completed."""
    cloudformation = boto3.client("cloudformation")
    getattr(cloudformation, f"{operation}_stack")(
        StackName=STACK,
        TemplateBody=template(batch_size),
        Parameters=[{"ParameterKey": "Note", "ParameterValue": note}],
        Capabilities=["CAPABILITY_IAM"],
    )
    stack = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack["StackStatus"] == f"{operation.upper()}_COMPLETE", [
        (e["LogicalResourceId"], e.get("ResourceStatusReason"))
        for e in cloudformation.describe_stack_events(StackName=STACK)["StackEvents"]
        if e["ResourceStatus"].endswith("FAILED")
    ]
    summaries = cloudformation.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    return {s["LogicalResourceId"]: s["PhysicalResourceId"] for s in summaries}


def described(ids: dict[str, str]) -> dict:
    """What the services say of each resource, in the fields the template sets."""
    functions, apis = boto3.client("lambda"), boto3.client("apigatewayv2")
    api = ids["Api"]
    alias = functions.get_alias(FunctionName=ids["Function"], Name="live")
    statements = json.loads(functions.get_policy(FunctionName=ids["Function"])["Policy"])
    config = functions.get_function_event_invoke_config(
        FunctionName=ids["Function"], Qualifier="$LATEST"
    )
    mapping = functions.get_event_source_mapping(UUID=ids["Mapping"])
    integration = apis.get_integration(ApiId=api, IntegrationId=ids["Integration"])
    route = apis.get_route(ApiId=api, RouteId=ids["Route"])
    stage = apis.get_stage(ApiId=api, StageName=ids["Stage"])
    return {
        "alias": (alias["AliasArn"], alias["Description"], alias["FunctionVersion"]),
        "statements": [s["Sid"] for s in statements["Statement"]],
        "retries": config["MaximumRetryAttempts"],
        "batch size": mapping["BatchSize"],
        "integration": (integration["IntegrationType"], integration["Description"]),
        "route": (route["RouteKey"], route["Target"], route["OperationName"]),
        "stage": stage["Description"],
    }


def expected(ids: dict[str, str], note: str, batch_size: int) -> dict:
    """What ``described`` answers for a stack made with this note and batch size."""
    return {
        "alias": (ids["Alias"], note, "1"),
        "statements": [ids["Permission"]],
        "retries": 2,
        "batch size": batch_size,
        "integration": ("AWS_PROXY", note),
        "route": ("GET /hello", f"integrations/{ids['Integration']}", note),
        "stage": "kept",
    }


@pytest.fixture(scope="module")
def created(emulator):
    return deployed("create", "one", 10)


def test_each_child_is_made_with_the_templates_properties(created):
    ids = created
    assert described(ids) == expected(ids, "one", 10)
    assert ids["Stage"] == "live" and ids["InvokeConfig"] == f"{ids['Function']}|$LATEST"


def test_a_changed_property_changes_each_child_in_place(created):
    ids = deployed("update", "two", 5)
    assert ids == created
    assert described(ids) == expected(ids, "two", 5)


def test_deleting_the_stack_deletes_each_child(created):
    # A child's delete that failed would leave the stack DELETE_FAILED.
    cloudformation = boto3.client("cloudformation")
    stack_id = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]["StackId"]
    cloudformation.delete_stack(StackName=STACK)
    stack = cloudformation.describe_stacks(StackName=stack_id)["Stacks"][0]
    assert stack["StackStatus"] == "DELETE_COMPLETE"
    functions, apis = boto3.client("lambda"), boto3.client("apigatewayv2")
    assert functions.list_event_source_mappings()["EventSourceMappings"] == []
    with pytest.raises(functions.exceptions.ResourceNotFoundException):
        functions.get_function(FunctionName=created["Function"])
    assert [a["ApiId"] for a in apis.get_apis()["Items"] if a["ApiId"] == created["Api"]] == []
