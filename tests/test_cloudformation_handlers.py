"""The resource types a stack makes on the emulator (sfn_tutorial/emulator/cloudformation/
handlers/) are the services' own: each test uses one through its service's API, and what
``Ref`` and ``Fn::GetAtt`` answer is what CloudFormation answers for that type."""

import json
import urllib.request

import boto3
import pytest

from sfn_tutorial import executions, invoke_urls
from sfn_tutorial.emulator import clock, server

ECHO = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}
STATES_ROLE = {
    "Type": "AWS::IAM::Role",
    "Properties": {
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "apigateway.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
        "Policies": [
            {
                "PolicyName": "start",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "states:StartExecution",
                            "Resource": {"Ref": "Machine"},
                        }
                    ],
                },
            }
        ],
    },
}
HTTP_API_BODY = {
    "openapi": "3.0.1",
    "info": {"title": "handlers-http", "version": "1"},
    "paths": {
        "/orders": {
            "post": {
                "x-amazon-apigateway-integration": {
                    "integrationSubtype": "StepFunctions-StartExecution",
                    "credentials": {"Fn::GetAtt": ["ApiRole", "Arn"]},
                    "requestParameters": {
                        "Input": "$request.body",
                        "StateMachineArn": {"Ref": "Machine"},
                    },
                    "payloadFormatVersion": "1.0",
                    "type": "aws_proxy",
                    "connectionType": "INTERNET",
                }
            }
        }
    },
}
TEMPLATE = {
    "Transform": "AWS::Serverless-2016-10-31",
    "Resources": {
        "Machine": {
            "Type": "AWS::Serverless::StateMachine",
            "Properties": {
                "Definition": ECHO,
                "Policies": [],
                "Events": {
                    "Rest": {"Type": "Api", "Properties": {"Path": "/orders", "Method": "post"}},
                    "Bus": {
                        "Type": "EventBridgeRule",
                        "Properties": {
                            "EventBusName": {"Ref": "Bus"},
                            "Pattern": {"source": ["handlers.test"]},
                            "InputPath": "$.detail",
                        },
                    },
                    "Minutely": {
                        "Type": "ScheduleV2",
                        "Properties": {
                            "ScheduleExpression": "rate(1 minute)",
                            "Input": json.dumps({"from": "scheduler"}),
                        },
                    },
                },
            },
        },
        "ApiRole": STATES_ROLE,
        "HttpApi": {
            "Type": "AWS::Serverless::HttpApi",
            "Properties": {"DefinitionBody": HTTP_API_BODY},
        },
        "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "handlers-bus"}},
        "Queue": {"Type": "AWS::SQS::Queue"},
        "Topic": {"Type": "AWS::SNS::Topic"},
        "Subscription": {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": {"Ref": "Topic"},
                "Protocol": "sqs",
                "Endpoint": {"Fn::GetAtt": ["Queue", "Arn"]},
                "RawMessageDelivery": True,
            },
        },
        "Table": {
            "Type": "AWS::Serverless::SimpleTable",
            "Properties": {"PrimaryKey": {"Name": "id", "Type": "String"}},
        },
        "QueueName": {
            "Type": "AWS::SSM::Parameter",
            "Properties": {"Type": "String", "Value": {"Fn::GetAtt": ["Queue", "QueueName"]}},
        },
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}},
    },
    "Outputs": {
        "MachineArn": {"Value": {"Ref": "Machine"}},
        "RestApiId": {"Value": {"Ref": "ServerlessRestApi"}},
        "HttpApiId": {"Value": {"Ref": "HttpApi"}},
        "QueueUrl": {"Value": {"Ref": "Queue"}},
        "QueueArn": {"Value": {"Fn::GetAtt": ["Queue", "Arn"]}},
        "TopicArn": {"Value": {"Ref": "Topic"}},
        "TableName": {"Value": {"Ref": "Table"}},
        "LogGroupArn": {"Value": {"Fn::GetAtt": ["Logs", "Arn"]}},
        "QueueNameParameter": {"Value": {"Ref": "QueueName"}},
    },
}


@pytest.fixture(scope="module")
def made(emulator):
    cloudformation = boto3.client("cloudformation")
    cloudformation.create_stack(
        StackName="handlers",
        TemplateBody=json.dumps(TEMPLATE),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    stack = cloudformation.describe_stacks(StackName="handlers")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", [
        (e["LogicalResourceId"], e.get("ResourceStatusReason"))
        for e in cloudformation.describe_stack_events(StackName="handlers")["StackEvents"]
        if e["ResourceStatus"].endswith("FAILED")
    ]
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def physical_ids() -> dict[str, str]:
    summaries = boto3.client("cloudformation").list_stack_resources(StackName="handlers")
    return {
        s["LogicalResourceId"]: s["PhysicalResourceId"] for s in summaries["StackResourceSummaries"]
    }


def newest_input(machine_arn: str) -> dict:
    (newest, *_) = boto3.client("stepfunctions").list_executions(stateMachineArn=machine_arn)[
        "executions"
    ]
    described = executions.wait_for_execution(newest["executionArn"], timeout_s=30)
    return json.loads(described["input"])


def post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read())


def test_refs_and_attributes_are_what_cloudformation_answers(made):
    # AWS: a queue's Ref is its URL, a topic's its ARN, a state machine's its ARN, a table's
    # and a log group's their name; a rule on another bus than the default one is bus|rule.
    assert made["QueueUrl"].startswith("http") and made["QueueUrl"].endswith(
        made["QueueArn"].rsplit(":", 1)[1]
    )
    assert made["TopicArn"].startswith("arn:aws:sns:")
    assert made["MachineArn"].startswith("arn:aws:states:")
    assert made["LogGroupArn"].endswith(":*")
    ids = physical_ids()
    assert ids["MachineBus"].startswith("handlers-bus|")
    # A queue's every property is an attribute: QueueName, read by the parameter.
    value = boto3.client("ssm").get_parameter(Name=made["QueueNameParameter"])["Parameter"]["Value"]
    assert value == made["QueueArn"].rsplit(":", 1)[1]
    description = boto3.client("dynamodb").describe_table(TableName=made["TableName"])["Table"]
    assert description["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]


def test_the_http_api_from_an_openapi_body_starts_executions(made):
    url = invoke_urls.invoke_url(made["HttpApiId"]) + "/orders"
    status, answer = post(url, {"order": "http"})
    assert status == 200 and answer["executionArn"].startswith("arn:aws:states:")
    assert newest_input(made["MachineArn"]) == {"order": "http"}


def test_the_rest_api_sam_made_for_an_api_event_starts_executions(made):
    url = invoke_urls.invoke_url(made["RestApiId"], "Prod") + "/orders"
    status, answer = post(url, {"order": "rest"})
    assert status == 200 and "executionArn" in answer
    assert newest_input(made["MachineArn"]) == {"order": "rest"}


def test_a_rule_on_the_stacks_bus_delivers_to_the_machine(made):
    boto3.client("events").put_events(
        Entries=[
            {
                "EventBusName": "handlers-bus",
                "Source": "handlers.test",
                "DetailType": "Test",
                "Detail": json.dumps({"order": "bus"}),
            }
        ]
    )
    assert newest_input(made["MachineArn"]) == {"order": "bus"}


def test_the_scheduler_schedule_starts_the_machine_when_it_is_due(made):
    # EventBridge Scheduler: rate(1 minute) starts the machine with the target's Input, as the
    # schedule's role (SAM made one that may start this machine only).
    scheduler = boto3.client("scheduler")
    (schedule,) = [s for s in scheduler.list_schedules()["Schedules"] if "Minutely" in s["Name"]]
    described = scheduler.get_schedule(Name=schedule["Name"])
    assert described["Target"]["Arn"] == made["MachineArn"]
    body = json.dumps({"advance_seconds": 61}).encode()
    fired = json.loads(server.request(clock.CLOCK_PATH, body))["fired"]
    assert [f["rule"] for f in fired] == [schedule["Arn"]]
    assert newest_input(made["MachineArn"]) == {"from": "scheduler"}


def test_the_subscription_sends_the_topics_messages_to_the_queue(made):
    boto3.client("sns").publish(TopicArn=made["TopicArn"], Message="hello")
    messages = boto3.client("sqs").receive_message(QueueUrl=made["QueueUrl"], WaitTimeSeconds=5)
    assert [m["Body"] for m in messages["Messages"]] == ["hello"]
