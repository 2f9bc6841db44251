"""Task states calling SQS, SNS, DynamoDB and Step Functions itself
(sfn_tutorial/emulator/stepfunctions/service_integrations.py), on the running emulator.

Every test says what such a Task gets on AWS (as recorded in ../shared/conformance-tasks); the
emulator must give the same.
"""

import datetime
import json
import uuid

import boto3
import broad_roles
import pytest

from sfn_tutorial import executions
from sfn_tutorial.emulator.stepfunctions import service_integrations

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": True}, "End": True}}}


def role(emulator) -> str:
    return broad_roles.role()


def machine(emulator, definition: dict) -> str:
    return boto3.client("stepfunctions").create_state_machine(
        name=f"integrations-test-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn=role(emulator),
    )["stateMachineArn"]


def run_task(emulator, resource: str, parameters: dict, **fields) -> dict:
    """Run one Task state; its execution's description."""
    task = {"Type": "Task", "Resource": resource, "Parameters": parameters, "End": True}
    definition = {"StartAt": "Call", "States": {"Call": {**task, **fields}}}
    arn = boto3.client("stepfunctions").start_execution(
        stateMachineArn=machine(emulator, definition)
    )["executionArn"]
    return executions.wait_for_execution(arn, timeout_s=60)


def output_of(description: dict) -> dict:
    assert description["status"] == "SUCCEEDED", description.get("cause")
    return json.loads(description["output"])


def test_start_execution_takes_and_gives_the_apis_names(emulator):
    # AWS: {"ExecutionArn", "SdkHttpMetadata", "SdkResponseMetadata", "StartDate"} in that
    # order; the date in milliseconds; the answer's headers as the service sent them.
    child = machine(emulator, PASS)
    parameters = {"StateMachineArn": child, "Input": {"n": 1}, "Name": "child-run"}
    output = output_of(run_task(emulator, "arn:aws:states:::states:startExecution", parameters))
    assert list(output) == ["ExecutionArn", "SdkHttpMetadata", "SdkResponseMetadata", "StartDate"]
    assert output["ExecutionArn"].endswith(":child-run")
    assert isinstance(output["StartDate"], int) and output["StartDate"] > 1.7e12
    http = output["SdkHttpMetadata"]
    assert list(http["HttpHeaders"]) == [
        "connection",
        "Content-Length",
        "Content-Type",
        "Date",
        "x-amzn-RequestId",
    ]
    assert http["HttpHeaders"]["Content-Type"] == "application/x-amz-json-1.0"
    assert http["AllHttpHeaders"]["connection"] == ["keep-alive"]
    assert http["HttpHeaders"]["x-amzn-RequestId"] == output["SdkResponseMetadata"]["RequestId"]
    assert http["HttpStatusCode"] == 200


def test_start_execution_sync_gives_the_childs_description(emulator):
    child = machine(emulator, PASS)
    parameters = {"StateMachineArn": child, "Input": {"n": 1}}
    description = run_task(emulator, "arn:aws:states:::states:startExecution.sync", parameters)
    output = output_of(description)
    assert (output["Status"], output["Output"]) == ("SUCCEEDED", '{"ok":true}')
    assert (output["InputDetails"], output["OutputDetails"]) == ({"Included": True},) * 2
    assert isinstance(output["StopDate"], int)


def test_send_message_shows_sqss_answer(emulator):
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="integrations-test")["QueueUrl"]
    parameters = {"QueueUrl": queue, "MessageBody": "hello"}
    output = output_of(run_task(emulator, "arn:aws:states:::sqs:sendMessage", parameters))
    assert list(output) == [
        "MD5OfMessageBody",
        "MessageId",
        "SdkHttpMetadata",
        "SdkResponseMetadata",
    ]
    assert output["SdkHttpMetadata"]["HttpHeaders"]["Content-Length"] == "106"  # as on AWS


def test_dynamodb_answers_show_dynamodbs_headers(emulator):
    ddb = boto3.client("dynamodb")
    ddb.create_table(
        TableName="integrations-test",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    parameters = {"TableName": "integrations-test", "Item": {"id": {"S": "1"}}}
    output = output_of(run_task(emulator, "arn:aws:states:::dynamodb:putItem", parameters))
    headers = output["SdkHttpMetadata"]["HttpHeaders"]
    assert list(headers) == [
        "Connection",
        "Content-Length",
        "Content-Type",
        "Date",
        "Server",
        "x-amz-crc32",
        "x-amzn-RequestId",
    ]
    assert (headers["Content-Length"], headers["Server"]) == ("2", "Server")


@pytest.mark.parametrize(
    "resource, parameters, error, cause_start",
    [
        (
            "arn:aws:states:::sqs:sendMessage",
            {"QueueUrl": "QUEUE", "MessageBody": None},
            "SQS.AmazonSQSException",
            "The request must contain the parameter MessageBody. (Service: AmazonSQS; "
            "Status Code: 400; Error Code: MissingParameter; Request ID: ",
        ),
        (
            "arn:aws:states:::sqs:sendMessage",
            {"QueueUrl": "http://no-such-queue-host-7f3a/1/q", "MessageBody": "x"},
            "SQS.SdkClientException",
            "Unable to execute HTTP request: no-such-queue-host-7f3a: ",
        ),
        (
            "arn:aws:states:::dynamodb:putItem",
            {"TableName": "/orders", "Item": {"id": {"S": "1"}}},
            "DynamoDB.AmazonDynamoDBException",
            "1 validation error detected: Value '/orders' at 'tableName' failed to satisfy",
        ),
        (
            "arn:aws:states:::dynamodb:getItem",
            {"TableName": "no-such-table", "Key": {"id": {"S": "1"}}},
            "DynamoDB.ResourceNotFoundException",
            "Requested resource not found (Service: AmazonDynamoDBv2; Status Code: 400; "
            "Error Code: ResourceNotFoundException; Request ID: ",
        ),
    ],
)
def test_errors_are_named_as_the_aws_sdk_names_them(
    emulator, resource, parameters, error, cause_start
):
    if parameters.get("QueueUrl") == "QUEUE":
        queue = boto3.client("sqs").create_queue(QueueName="integrations-errors")["QueueUrl"]
        parameters = {**parameters, "QueueUrl": queue}
    description = run_task(emulator, resource, parameters)
    assert (description["status"], description["error"]) == ("FAILED", error)
    assert description["cause"].startswith(cause_start)


def test_a_fifo_publish_without_a_group_id_is_snss_invalid_parameter(emulator):
    topic = boto3.client("sns").create_topic(
        Name="integrations-test.fifo", Attributes={"FifoTopic": "true"}
    )["TopicArn"]
    description = run_task(
        emulator, "arn:aws:states:::sns:publish", {"TopicArn": topic, "Message": {"a": 1}}
    )
    assert description["error"] == "SNS.InvalidParameterException"
    assert description["cause"].startswith(
        "Invalid parameter: The MessageGroupId parameter is required for FIFO topics "
        "(Service: AmazonSNS; Status Code: 400; Error Code: InvalidParameter; Request ID: "
    )


def test_sdk_error_names_and_dates():
    # The SDK's class for a modelled error code, its generic one for any other; dates in
    # milliseconds since 1970.
    assert service_integrations.modelled_exceptions("sqs")["QueueDoesNotExist"] == (
        "QueueDoesNotExistException"
    )
    assert "ValidationException" not in service_integrations.modelled_exceptions("dynamodb")
    new_year = datetime.datetime(2024, 1, 1)
    assert service_integrations.in_milliseconds({"d": [new_year]}) == {"d": [1704067200000]}


def purchases_table(name: str) -> str:
    boto3.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "PurchaseId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "PurchaseId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def test_a_failed_condition_is_dynamodbs_conditional_check_failed(emulator):
    # AWS: a putItem whose ConditionExpression is false fails the Task with
    # DynamoDB.ConditionalCheckFailedException, cause "The conditional request failed (Service:
    # AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException; ...)".
    table = purchases_table(f"conditional-{uuid.uuid4().hex[:8]}")
    parameters = {
        "TableName": table,
        "Item": {"PurchaseId": {"S": "p-1"}},
        "ConditionExpression": "attribute_not_exists(PurchaseId)",
    }
    first = run_task(emulator, "arn:aws:states:::dynamodb:putItem", parameters)
    assert first["status"] == "SUCCEEDED"
    second = run_task(emulator, "arn:aws:states:::dynamodb:putItem", parameters)
    assert second["error"] == "DynamoDB.ConditionalCheckFailedException"
    assert second["cause"].startswith(
        "The conditional request failed (Service: AmazonDynamoDBv2; Status Code: 400; "
        "Error Code: ConditionalCheckFailedException; Request ID: "
    )


def test_a_catch_on_dynamodb_validation_exception_never_fires(emulator):
    # AWS (recorded in ../shared/conformance-tasks 085 and 086): DynamoDB's ValidationException
    # is not modelled by the SDK for Java v1, so the Task fails with
    # DynamoDB.AmazonDynamoDBException and a catcher on DynamoDB.ValidationException is skipped.
    catchers = [
        {"ErrorEquals": ["DynamoDB.ValidationException"], "Next": "NeverHere"},
        {"ErrorEquals": ["DynamoDB.AmazonDynamoDBException"], "Next": "Here"},
    ]
    definition = {
        "StartAt": "Put",
        "States": {
            "Put": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": "/not a table name", "Item": {"id": {"S": "1"}}},
                "Catch": catchers,
                "End": True,
            },
            "NeverHere": {"Type": "Fail", "Error": "WrongCatcher"},
            "Here": {"Type": "Succeed"},
        },
    }
    arn = boto3.client("stepfunctions").start_execution(
        stateMachineArn=machine(emulator, definition)
    )["executionArn"]
    description = executions.wait_for_execution(arn, timeout_s=60)
    assert description["status"] == "SUCCEEDED"
    assert "Error Code: ValidationException" in json.loads(description["output"])["Cause"]


def test_a_jsonata_task_passes_arguments_to_dynamodb_and_retries_and_catches(emulator):
    # AWS: with QueryLanguage JSONata a Task's parameters are its Arguments, with {% %}
    # expressions; Retry and Catch work as in JSONPath; a catcher's Output reads
    # $states.errorOutput.
    table = purchases_table(f"jsonata-{uuid.uuid4().hex[:8]}")
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Save",
        "States": {
            "Save": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Arguments": {
                    "TableName": table,
                    "Item": {
                        "PurchaseId": {"S": "{% $states.input.PurchaseId %}"},
                        "Amount": {"N": "{% $string($states.input.Amount) %}"},
                    },
                    "ConditionExpression": "attribute_not_exists(PurchaseId)",
                },
                "Retry": [
                    {
                        "ErrorEquals": ["DynamoDB.ProvisionedThroughputExceededException"],
                        "MaxAttempts": 3,
                    }
                ],
                "Catch": [
                    {
                        "ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"],
                        "Output": {"Saved": False, "Error": "{% $states.errorOutput.Error %}"},
                        "Next": "Done",
                    }
                ],
                "Output": {"Saved": True},
                "Next": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }
    arn = machine(emulator, definition)
    client = boto3.client("stepfunctions")
    outputs = []
    for _ in range(2):
        run = client.start_execution(
            stateMachineArn=arn, input=json.dumps({"PurchaseId": "p-1", "Amount": 45000})
        )
        outputs.append(output_of(executions.wait_for_execution(run["executionArn"], 60)))
    assert outputs == [
        {"Saved": True},
        {"Saved": False, "Error": "DynamoDB.ConditionalCheckFailedException"},
    ]
    item = boto3.client("dynamodb").get_item(TableName=table, Key={"PurchaseId": {"S": "p-1"}})
    assert item["Item"]["Amount"] == {"N": "45000"}


# AWS (developer guide, "AWS SDK service integrations"): an aws-sdk Task names members in
# PascalCase even where the service's API is camelCase, as Step Functions' own is; its result
# uses the same names.
def test_aws_sdk_integrations_take_and_give_pascal_case_for_camel_case_apis(emulator):
    child = machine(emulator, PASS)
    started = boto3.client("stepfunctions").start_execution(stateMachineArn=child)
    executions.wait_for_execution(started["executionArn"])
    listed = output_of(
        run_task(
            emulator, "arn:aws:states:::aws-sdk:sfn:listExecutions", {"StateMachineArn": child}
        )
    )
    (item,) = listed["Executions"]
    assert (item["ExecutionArn"], item["Status"]) == (started["executionArn"], "SUCCEEDED")
    described = output_of(
        run_task(
            emulator,
            "arn:aws:states:::aws-sdk:sfn:describeExecution",
            {"ExecutionArn": started["executionArn"]},
        )
    )
    assert json.loads(described["Output"]) == {"ok": True}
    assert described["InputDetails"] == {"Included": True}
    assert isinstance(described["StartDate"], (int, float)) and described["StartDate"] > 1.7e9


def test_aws_sdk_names_of_a_pascal_case_api_are_unchanged(emulator):
    child = machine(emulator, PASS)
    result = output_of(
        run_task(
            emulator,
            "arn:aws:states:::aws-sdk:sfn:startExecution",
            {"StateMachineArn": child, "Input": "{}", "Name": "pascal"},
        )
    )
    assert result["ExecutionArn"].endswith(":pascal")


def test_member_names_follow_the_shape_both_ways():
    shape = service_integrations.operation_model("stepfunctions", "list_executions").output_shape
    answer = {"executions": [{"executionArn": "a", "status": "RUNNING"}], "nextToken": "t"}
    pascal = service_integrations.member_names(answer, shape, to_model=False)
    assert pascal == {"Executions": [{"ExecutionArn": "a", "Status": "RUNNING"}], "NextToken": "t"}
    assert service_integrations.member_names(pascal, shape, to_model=True) == answer


def test_dates_of_aws_sdk_results_are_seconds_since_1970():
    utc = datetime.timezone.utc
    whole = datetime.datetime(2026, 12, 7, 5, 48, 19, tzinfo=utc)
    assert service_integrations.in_seconds({"A": [whole]}) == {"A": [int(whole.timestamp())]}
    fraction = whole.replace(microsecond=120000)
    assert service_integrations.in_seconds(fraction) == whole.timestamp() + 0.12
