"""A stack's resources (sfn_tutorial/emulator/cloudformation/handlers/) through their whole
life: created with the template's properties, changed in place when a property changes (same
physical id, new value in the service), and gone with the stack. The types are those no other
test makes through a stack: Lambda's and HTTP APIs' children, a REST API made part by part, a
state machine's version and alias, a KMS alias, a bucket's settings, FIFO queues and topics.
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
REST_API = {"Ref": "RestApi"}
TEMPLATE = {
    "Parameters": {"Note": {"Type": "String"}},
    "Conditions": {"Second": {"Fn::Equals": [NOTE, "two"]}},
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
                "MaximumRetryAttempts": {"Fn::If": ["Second", 1, 2]},
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
        "RestApi": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "lifecycle"}},
        "Items": {
            "Type": "AWS::ApiGateway::Resource",
            "Properties": {
                "RestApiId": REST_API,
                "ParentId": {"Fn::GetAtt": ["RestApi", "RootResourceId"]},
                "PathPart": "items",
            },
        },
        "Method": {
            "Type": "AWS::ApiGateway::Method",
            "Properties": {
                "RestApiId": REST_API,
                "ResourceId": {"Ref": "Items"},
                "HttpMethod": "GET",
                "AuthorizationType": "NONE",
                "OperationName": NOTE,
                "Integration": {"Type": "MOCK", "RequestTemplates": {"application/json": "{}"}},
            },
        },
        "RestDeployment": {
            "Type": "AWS::ApiGateway::Deployment",
            "DependsOn": "Method",
            "Properties": {"RestApiId": REST_API, "Description": "first"},
        },
        "RestStage": {
            "Type": "AWS::ApiGateway::Stage",
            "Properties": {
                "RestApiId": REST_API,
                "StageName": "live",
                "DeploymentId": {"Ref": "RestDeployment"},
                "Variables": {"color": "blue"},
            },
        },
        "StatesRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": resources.trust_policy("states.amazonaws.com")
            },
        },
        "Machine": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "RoleArn": {"Fn::GetAtt": ["StatesRole", "Arn"]},
                "Definition": {
                    "StartAt": "Done",
                    "States": {"Done": {"Type": "Pass", "End": True}},
                },
            },
        },
        "MachineVersion": {
            "Type": "AWS::StepFunctions::StateMachineVersion",
            "Properties": {"StateMachineArn": {"Ref": "Machine"}, "Description": "first"},
        },
        "MachineAlias": {
            "Type": "AWS::StepFunctions::StateMachineAlias",
            "Properties": {
                "Description": NOTE,
                "RoutingConfiguration": [
                    {"StateMachineVersionArn": {"Ref": "MachineVersion"}, "Weight": 100}
                ],
            },
        },
        "Key": {"Type": "AWS::KMS::Key"},
        "OtherKey": {"Type": "AWS::KMS::Key"},
        "KeyAlias": {
            "Type": "AWS::KMS::Alias",
            "Properties": {
                "AliasName": "alias/lifecycle",
                "TargetKeyId": {"Fn::If": ["Second", {"Ref": "OtherKey"}, {"Ref": "Key"}]},
            },
        },
        "Bucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "VersioningConfiguration": {"Status": "Enabled"},
                "CorsConfiguration": {
                    "CorsRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": [NOTE]}]
                },
                "NotificationConfiguration": {
                    "EventBridgeConfiguration": {"EventBridgeEnabled": True}
                },
                "PublicAccessBlockConfiguration": {"BlockPublicAcls": True},
            },
        },
        "FifoQueue": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": True}},
        "FifoTopic": {"Type": "AWS::SNS::Topic", "Properties": {"FifoTopic": True}},
    },
}
STACK = "lifecycle"


def template() -> str:
    """The template, its mapping's batch size a ``Number`` parameter: CloudFormation's ``Ref``
    makes it a string, and the mapping's schema makes it an integer again."""
    mapping = TEMPLATE["Resources"]["Mapping"]
    mapping = {**mapping, "Properties": {**mapping["Properties"], "BatchSize": {"Ref": "Batch"}}}
    parameters = {**TEMPLATE["Parameters"], "Batch": {"Type": "Number"}}
    resources = {**TEMPLATE["Resources"], "Mapping": mapping}
    return json.dumps({**TEMPLATE, "Parameters": parameters, "Resources": resources})


def deployed(operation: str, note: str, batch_size: int) -> dict[str, str]:
    """The stack's physical ids once ``operation`` (create or update) completed."""
    cloudformation = boto3.client("cloudformation")
    getattr(cloudformation, f"{operation}_stack")(
        StackName=STACK,
        TemplateBody=template(),
        Parameters=[
            {"ParameterKey": "Note", "ParameterValue": note},
            {"ParameterKey": "Batch", "ParameterValue": str(batch_size)},
        ],
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
    return {
        **lambda_children(ids),
        **http_api_parts(ids),
        **rest_api_parts(ids),
        **aliases(ids),
        **bucket_settings(ids["Bucket"]),
    }


def lambda_children(ids: dict[str, str]) -> dict:
    functions = boto3.client("lambda")
    alias = functions.get_alias(FunctionName=ids["Function"], Name="live")
    statements = json.loads(functions.get_policy(FunctionName=ids["Function"])["Policy"])
    config = functions.get_function_event_invoke_config(
        FunctionName=ids["Function"], Qualifier="$LATEST"
    )
    mapping = functions.get_event_source_mapping(UUID=ids["Mapping"])
    return {
        "alias": (alias["AliasArn"], alias["Description"], alias["FunctionVersion"]),
        "statements": [s["Sid"] for s in statements["Statement"]],
        "retries": config["MaximumRetryAttempts"],
        "batch size": mapping["BatchSize"],
    }


def http_api_parts(ids: dict[str, str]) -> dict:
    apis, api = boto3.client("apigatewayv2"), ids["Api"]
    integration = apis.get_integration(ApiId=api, IntegrationId=ids["Integration"])
    route = apis.get_route(ApiId=api, RouteId=ids["Route"])
    stage = apis.get_stage(ApiId=api, StageName=ids["Stage"])
    return {
        "integration": (integration["IntegrationType"], integration["Description"]),
        "route": (route["RouteKey"], route["Target"], route["OperationName"]),
        "stage": stage["Description"],
    }


def rest_api_parts(ids: dict[str, str]) -> dict:
    apis, api = boto3.client("apigateway"), ids["RestApi"]
    [items] = [r for r in apis.get_resources(restApiId=api)["items"] if r["path"] == "/items"]
    method = apis.get_method(restApiId=api, resourceId=items["id"], httpMethod="GET")
    stage = apis.get_stage(restApiId=api, stageName=ids["RestStage"])
    return {
        "items": items["id"],
        "method": (method["operationName"], method["methodIntegration"]["type"]),
        "rest stage": (stage["deploymentId"], stage["variables"]),
    }


def aliases(ids: dict[str, str]) -> dict:
    """The state machine's alias, and the key the KMS alias points to."""
    sfn, kms = boto3.client("stepfunctions"), boto3.client("kms")
    alias = sfn.describe_state_machine_alias(stateMachineAliasArn=ids["MachineAlias"])
    [key_alias] = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/lifecycle"]
    return {
        "machine alias": (alias["description"], alias["routingConfiguration"]),
        "key alias": key_alias["TargetKeyId"],
    }


def bucket_settings(bucket: str) -> dict:
    # (Its NotificationConfiguration is put too: the emulator's S3 does not answer it back.)
    s3 = boto3.client("s3")
    return {
        "versioning": s3.get_bucket_versioning(Bucket=bucket)["Status"],
        "cors origins": s3.get_bucket_cors(Bucket=bucket)["CORSRules"][0]["AllowedOrigins"],
        "public acls blocked": s3.get_public_access_block(Bucket=bucket)[
            "PublicAccessBlockConfiguration"
        ]["BlockPublicAcls"],
    }


def expected(ids: dict[str, str], note: str, batch_size: int) -> dict:
    """What ``described`` answers for a stack made with this note and batch size."""
    return {
        "alias": (ids["Alias"], note, "1"),
        "statements": [ids["Permission"]],
        "retries": 1 if note == "two" else 2,
        "batch size": batch_size,
        "integration": ("AWS_PROXY", note),
        "route": ("GET /hello", f"integrations/{ids['Integration']}", note),
        "stage": "kept",
        "items": ids["Items"],
        "method": (note, "MOCK"),
        "rest stage": (ids["RestDeployment"], {"color": "blue"}),
        "machine alias": (
            note,
            [{"stateMachineVersionArn": ids["MachineVersion"], "weight": 100}],
        ),
        "key alias": ids["OtherKey" if note == "two" else "Key"],
        "versioning": "Enabled",
        "cors origins": [note],
        "public acls blocked": True,
    }


@pytest.fixture(scope="module")
def created(emulator):
    return deployed("create", "one", 10)


def test_each_child_is_made_with_the_templates_properties(created):
    ids = created
    assert described(ids) == expected(ids, "one", 10)
    assert ids["Stage"] == "live" and ids["InvokeConfig"] == f"{ids['Function']}|$LATEST"
    # A generated FIFO name ends in .fifo, as SQS and SNS require.
    assert ids["FifoQueue"].endswith(".fifo") and ids["FifoTopic"].endswith(".fifo")


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


MISSING = "s3://lifecycle-files/missing.json"
NAMING_A_MISSING_FILE = {
    "state machine": (
        "AWS::StepFunctions::StateMachine",
        {
            "RoleArn": "arn:aws:iam::123456789012:role/unused",
            "DefinitionS3Location": {"Bucket": "lifecycle-files", "Key": "missing.json"},
        },
        f"The definition file {MISSING} could not be read: ",
    ),
    "REST API": (
        "AWS::ApiGateway::RestApi",
        {"BodyS3Location": {"Bucket": "lifecycle-files", "Key": "missing.json"}},
        f"The API definition {MISSING} could not be read: ",
    ),
}


@pytest.fixture(scope="module")
def files_bucket(emulator):
    """A bucket without the file the templates below name."""
    region = boto3.session.Session().region_name
    boto3.client("s3").create_bucket(
        Bucket="lifecycle-files", CreateBucketConfiguration={"LocationConstraint": region}
    )


@pytest.mark.parametrize("kind", sorted(NAMING_A_MISSING_FILE))
def test_a_file_s3_cannot_read_fails_the_resource_naming_it(files_bucket, kind):
    type_name, properties, reason = NAMING_A_MISSING_FILE[kind]
    cloudformation = boto3.client("cloudformation")
    name = f"missing-file-{kind.replace(' ', '-').lower()}"
    template = {"Resources": {"Named": {"Type": type_name, "Properties": properties}}}
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(template))
    events = cloudformation.describe_stack_events(StackName=name)["StackEvents"]
    [failed] = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert reason in failed["ResourceStatusReason"]


def test_an_include_s3_cannot_read_fails_the_transform_naming_it(files_bucket):
    template = {
        "Resources": {
            "Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": MISSING}}
        }
    }
    cloudformation = boto3.client("cloudformation")
    with pytest.raises(cloudformation.exceptions.ClientError) as raised:
        cloudformation.create_stack(StackName="missing-include", TemplateBody=json.dumps(template))
    message = raised.value.response["Error"]["Message"]
    assert f"Transform AWS::Include failed with: {MISSING} could not be read: " in message
