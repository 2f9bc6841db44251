"""SQS event source mappings (sfn_tutorial/emulator/awslambda/sqs_events.py), on the emulator.

AWS (Lambda developer guide, "Using Lambda with Amazon SQS"): Lambda polls the queue, invokes the
function with up to BatchSize messages as {"Records": [...]}, deletes them when it succeeds, and
lets them become visible again when it fails; messages sent before the mapping are delivered too.
"""

import json
import time
import uuid

import boto3
import lambda_code
import pytest

from sfn_tutorial import resources
from sfn_tutorial.emulator.awslambda import sqs_events

RECORDER = """
import json
def handler(event, context):
    print("EVENT " + json.dumps(event))
    if any(json.loads(r["body"]).get("fail") for r in event["Records"]):
        raise RuntimeError("asked to fail")
    return {"batchItemFailures": []}
"""


@pytest.fixture(scope="module")
def recorder(emulator):
    """A function that prints each event it gets (and fails when a body says so)."""

    role = resources.ensure_role(  # AWS: its log needs the logs permissions, the queue SQS's
        "sqs-events-test",
        "lambda.amazonaws.com",
        [
            resources.LAMBDA_LOGS_POLICY,
            "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
        ],
    )
    name = f"sqs-events-test-{uuid.uuid4().hex[:6]}"
    boto3.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": lambda_code.zipped(RECORDER, "app")},
    )
    return name


def queue(**attributes) -> tuple[str, str]:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=f"sqs-events-{uuid.uuid4().hex[:8]}", Attributes=attributes)[
        "QueueUrl"
    ]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


def events_received(function: str, timeout_s: float = 20, count: int = 1) -> list[dict]:
    logs = boto3.client("logs")
    give_up = time.monotonic() + timeout_s
    found: list[dict] = []
    while time.monotonic() < give_up:
        try:
            found = [
                json.loads(event["message"].strip()[len("EVENT ") :])
                for event in logs.filter_log_events(logGroupName=f"/aws/lambda/{function}")[
                    "events"
                ]
                if event["message"].startswith("EVENT ")
            ]
        except logs.exceptions.ResourceNotFoundException:
            found = []
        if len(found) >= count:
            return found
        time.sleep(0.2)
    return found


def waiting_count(url: str) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def test_waiting_messages_arrive_in_one_batch_and_are_deleted(recorder):
    url, arn = queue()
    sqs = boto3.client("sqs")
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": n}))
    boto3.client("lambda").create_event_source_mapping(
        FunctionName=recorder, EventSourceArn=arn, BatchSize=5
    )
    received = [e for e in events_received(recorder) if e["Records"][0]["eventSourceARN"] == arn]
    assert len(received) == 1
    records = received[0]["Records"]
    assert sorted(json.loads(r["body"])["n"] for r in records) == [0, 1, 2]
    record = records[0]
    assert record["eventSource"] == "aws:sqs"
    assert record["awsRegion"] == boto3.session.Session().region_name
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert set(record) >= {"messageId", "receiptHandle", "md5OfBody", "messageAttributes"}
    time.sleep(0.5)
    assert waiting_count(url) == 0


def test_a_failing_batch_stays_in_the_queue(recorder):
    url, arn = queue(VisibilityTimeout="60")
    boto3.client("lambda").create_event_source_mapping(FunctionName=recorder, EventSourceArn=arn)
    boto3.client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps({"fail": True}))
    time.sleep(1.5)
    assert waiting_count(url) == 1


def test_a_disabled_mapping_delivers_nothing(recorder):
    url, arn = queue()
    boto3.client("lambda").create_event_source_mapping(
        FunctionName=recorder, EventSourceArn=arn, Enabled=False
    )
    boto3.client("sqs").send_message(QueueUrl=url, MessageBody="{}")
    time.sleep(1.0)
    assert waiting_count(url) == 1


def test_report_batch_item_failures_deletes_all_but_the_failed_messages():
    class Message:
        def __init__(self, message_id):
            self.id = message_id

    messages = [Message("a"), Message("b")]
    payload = json.dumps({"batchItemFailures": [{"itemIdentifier": "b"}]}).encode()
    deleted = sqs_events.processed(messages, payload, ["ReportBatchItemFailures"])
    assert [m.id for m in deleted] == ["a"]
    assert sqs_events.processed(messages, payload, None) == messages


def test_mappings_are_listed_by_the_functions_name_or_arn(recorder):
    _, arn = queue()
    client = boto3.client("lambda")
    client.create_event_source_mapping(FunctionName=recorder, EventSourceArn=arn)
    function_arn = client.get_function(FunctionName=recorder)["Configuration"]["FunctionArn"]
    for name in (recorder, function_arn):
        found = client.list_event_source_mappings(FunctionName=name, EventSourceArn=arn)
        assert len(found["EventSourceMappings"]) == 1
