"""sfn_tutorial/integrations.py: notebook 10's resources, made idempotently and tagged, and the
least-privilege statements each integration needs."""

from __future__ import annotations

import json

import boto3
import broad_roles
import pytest

from sfn_tutorial import executions, integrations, resources

TABLE = "arn:aws:dynamodb:ap-northeast-2:123456789012:table/sfn-tutorial-Purchases"
QUEUE = "arn:aws:sqs:ap-northeast-2:123456789012:sfn-tutorial-warehouse"
TOPIC = "arn:aws:sns:ap-northeast-2:123456789012:sfn-tutorial-receipts"
CHILD = "arn:aws:states:ap-northeast-2:123456789012:stateMachine:sfn-tutorial-FraudCheck"
TASK = "arn:aws:ecs:ap-northeast-2:123456789012:task-definition/sfn-tutorial-purchase-report:3"
CLUSTER = "arn:aws:ecs:ap-northeast-2:123456789012:cluster/sfn-tutorial-jobs"


@pytest.fixture
def statements(emulator) -> dict:
    return integrations.policy_statements(TABLE, [QUEUE], TOPIC, CHILD, TASK, CLUSTER)


def test_each_statement_names_exact_resources(statements):
    assert statements["dynamodb"]["Resource"] == TABLE
    assert statements["sqs"] == {
        "Effect": "Allow",
        "Action": "sqs:SendMessage",
        "Resource": [QUEUE],
    }
    assert statements["nested"]["Resource"] == CHILD
    assert (
        statements["nested-sync"]["Resource"]
        == CHILD.replace(":stateMachine:", ":execution:") + ":*"
    )
    assert statements["ecs"]["Resource"].endswith(":task-definition/sfn-tutorial-purchase-report:*")
    assert statements["ecs-sync"]["Resource"].endswith(":task/sfn-tutorial-jobs/*")
    assert statements["ecs-sync-rule"]["Resource"].endswith(
        ":rule/StepFunctionsGetEventsForECSTaskRule"
    )
    assert statements["ecs-pass-role"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    }
    for statement in statements.values():
        assert "*" != statement["Resource"]


@pytest.mark.parametrize(
    ("resource", "needed"),
    [
        ("arn:aws:states:::dynamodb:putItem", ["dynamodb"]),
        ("arn:aws:states:::aws-sdk:dynamodb:getItem", ["dynamodb"]),
        ("arn:aws:states:::sqs:sendMessage.waitForTaskToken", ["sqs"]),
        ("arn:aws:states:::states:startExecution", ["nested"]),
        (
            "arn:aws:states:::states:startExecution.sync:2",
            ["nested", "nested-sync", "nested-sync-rule"],
        ),
        ("arn:aws:states:::ecs:runTask", ["ecs", "ecs-pass-role"]),
        ("arn:aws:states:::lambda:invoke", ["lambda"]),
        ("arn:aws:states:::lambda:invoke.waitForTaskToken", ["lambda"]),
    ],
)
def test_a_task_needs_the_statements_of_its_integration_and_pattern(resource, needed):
    assert integrations.needed_statements(resource) == needed


def test_permissions_rows_name_each_state_once(statements):
    definition = {
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Next": "B",
            },
            "B": {"Type": "Pass", "End": True},
        },
    }
    rows = integrations.permissions_rows(definition, statements)
    assert [row[0] for row in rows] == ["A", "", ""]
    assert rows[0][1] == "states:startExecution.sync:2" and rows[1][1] == ""
    assert rows[2][2] == "events:PutTargets, events:PutRule, events:DescribeRule"


def test_the_consumer_may_read_its_queue_and_answer_any_token():
    policy = integrations.consumer_policy(QUEUE)
    read, answer = policy["Statement"]
    assert read["Resource"] == QUEUE and "sqs:DeleteMessage" in read["Action"]
    assert answer["Resource"] == "*"


def test_ensure_functions_are_idempotent_and_tag_what_they_make(emulator):
    assert integrations.ensure_table() == integrations.ensure_table()
    assert integrations.ensure_queue("sfn-tutorial-x") == integrations.ensure_queue(
        "sfn-tutorial-x"
    )
    assert integrations.ensure_topic() == integrations.ensure_topic()
    assert integrations.ensure_cluster() == integrations.ensure_cluster()
    command = ["python", "-c", "print(1)"]
    first = integrations.ensure_task_definition(command)
    assert integrations.ensure_task_definition(command) == first
    assert integrations.ensure_task_definition(["python", "-c", "print(2)"]).endswith(":2")
    kinds = sorted({resource.kind for resource in resources.find_tutorial_resources()})
    assert {
        "DynamoDB table",
        "SQS queue",
        "SNS topic",
        "ECS cluster",
        "ECS task definition",
    } <= set(kinds)


def test_the_warehouse_function_is_fed_by_its_queue(emulator):
    _, arn = integrations.ensure_queue(integrations.WAREHOUSE_QUEUE)
    function_arn = integrations.ensure_warehouse_function(arn)
    assert function_arn == integrations.ensure_warehouse_function(arn)  # one mapping, not two
    mappings = boto3.client("lambda").list_event_source_mappings(FunctionName=function_arn)
    assert [m["EventSourceArn"] for m in mappings["EventSourceMappings"]] == [arn]
    # ReserveStock answers with batchItemFailures: Lambda reads them only with this setting
    assert mappings["EventSourceMappings"][0]["FunctionResponseTypes"] == [
        "ReportBatchItemFailures"
    ]


def test_a_mapping_made_without_reporting_failures_is_updated(emulator):
    _, arn = integrations.ensure_queue(integrations.WAREHOUSE_QUEUE)
    integrations.ensure_warehouse_function(arn)
    client = boto3.client("lambda")
    [mapping] = client.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
    client.update_event_source_mapping(UUID=mapping["UUID"], FunctionResponseTypes=[])
    integrations.ensure_warehouse_function(arn)
    mapping = client.get_event_source_mapping(UUID=mapping["UUID"])
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_default_subnets_are_the_default_vpcs(emulator):
    subnets = integrations.default_subnets()
    assert subnets and all(subnet.startswith("subnet-") for subnet in subnets)


def test_a_shared_statement_shows_the_part_each_state_uses(emulator):
    other_queue = QUEUE.replace("warehouse", "approvals")
    statements = integrations.policy_statements(
        TABLE, [QUEUE, other_queue], TOPIC, CHILD, TASK, CLUSTER
    )
    definition = {
        "StartAt": "Save",
        "States": {
            "Save": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": "sfn-tutorial-Purchases", "Item": {}},
                "Next": "Ask",
            },
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": "https://sqs/123456789012/sfn-tutorial-approvals"},
                "End": True,
            },
        },
    }
    rows = integrations.permissions_rows(definition, statements)
    assert rows == [
        ["Save", "dynamodb:putItem", "dynamodb:PutItem", TABLE],
        ["Ask", "sqs:sendMessage.waitForTaskToken", "sqs:SendMessage", other_queue],
    ]


def test_a_task_invokes_the_warehouse_function_and_waits_for_its_answer(emulator):
    # AWS: lambda:invoke.waitForTaskToken invokes the function with the Payload (the token from
    # $$.Task.Token) and the Task ends when the function sends the token back, with its output.
    _, queue_arn = integrations.ensure_queue(integrations.WAREHOUSE_QUEUE)
    function_arn = integrations.ensure_warehouse_function(queue_arn)
    statements = integrations.policy_statements(
        TABLE, [QUEUE], TOPIC, CHILD, TASK, CLUSTER, function_arn
    )
    assert statements["lambda"]["Resource"] == [function_arn, function_arn + ":*"]
    definition = {
        "StartAt": "Reserve",
        "States": {
            "Reserve": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {
                    "FunctionName": function_arn,
                    "Payload": {"TaskToken.$": "$$.Task.Token", "Purchase.$": "$"},
                },
                "TimeoutSeconds": 60,
                "End": True,
            }
        },
    }
    [row] = integrations.permissions_rows(definition, statements)
    assert row == [
        "Reserve",
        "lambda:invoke.waitForTaskToken",
        "lambda:InvokeFunction",
        function_arn,
    ]
    arn = boto3.client("stepfunctions").create_state_machine(
        name="sfn-tutorial-ReserveDirect",
        definition=json.dumps(definition),
        roleArn=broad_roles.role(),
    )["stateMachineArn"]
    results = []
    for quantity in (2, 20):
        purchase = {"PurchaseId": "p-1", "Item": "book", "Quantity": quantity}
        results.append(executions.start_and_wait(arn, purchase)[0])
    assert json.loads(results[0]["output"]) == {
        "PurchaseId": "p-1",
        "Reserved": 2,
        "Warehouse": "ICN-1",
    }
    assert (results[1]["status"], results[1]["error"]) == ("FAILED", "OutOfStock")
