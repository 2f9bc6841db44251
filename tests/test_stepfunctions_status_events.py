"""Step Functions Execution Status Change events (sfn_tutorial/emulator/stepfunctions/
status_events.py), and EventBridge rules delivering them to SQS and SNS (events/rules.py).

Each test says what AWS does (developer guide, "Automating Step Functions event delivery with
EventBridge"); the emulator must do the same.
"""

import json
import uuid

import boto3
import lambda_code
import policies
import pytest
import queues

from sfn_tutorial import executions, resources

FAILING = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Oops", "Cause": "x"}}}
PASSING = {"StartAt": "Fine", "States": {"Fine": {"Type": "Pass", "Result": "ok", "End": True}}}


@pytest.fixture(scope="module")
def role(emulator):
    return resources.ensure_role(resources.resource_name("events-states"), "states.amazonaws.com")


@pytest.fixture
def queue():
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=resources.resource_name(f"status-{uuid.uuid4().hex[:8]}"))[
        "QueueUrl"
    ]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    yield url, arn["QueueArn"]
    sqs.delete_queue(QueueUrl=url)


@pytest.fixture
def rule():
    events = boto3.client("events")
    name = resources.resource_name(f"status-rule-{uuid.uuid4().hex[:8]}")
    yield name
    targets = events.list_targets_by_rule(Rule=name)["Targets"]
    if targets:
        events.remove_targets(Rule=name, Ids=[target["Id"] for target in targets])
    events.delete_rule(Name=name)


def machine(role, definition, **settings):
    return boto3.client("stepfunctions").create_state_machine(
        name=resources.resource_name(f"status-{uuid.uuid4().hex[:8]}"),
        definition=json.dumps(definition),
        roleArn=role,
        **settings,
    )["stateMachineArn"]


def route(rule, pattern, target_arn, **target):
    events = boto3.client("events")
    events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=rule, Targets=[{"Id": "one", "Arn": target_arn, **target}])


def run(machine_arn, execution_input="{}"):
    sfn = boto3.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=machine_arn, input=execution_input)["executionArn"]
    return executions.wait_for_execution(arn)


def test_a_failed_execution_sends_its_status_change(role, queue, rule):
    url, queue_arn = queue
    failing = machine(role, FAILING)
    route(rule, {"source": ["aws.states"], "detail": {"status": ["FAILED"]}}, queue_arn)
    described = run(failing, '{"order": 7}')
    (event,) = queues.received(url, 1)
    assert sorted(event) == sorted(
        [
            "version",
            "id",
            "detail-type",
            "source",
            "account",
            "time",
            "region",
            "resources",
            "detail",
        ]
    )
    assert event["source"] == "aws.states"
    assert event["detail-type"] == "Step Functions Execution Status Change"
    assert event["resources"] == [described["executionArn"]]
    assert event["time"].endswith("Z")
    detail = event["detail"]
    assert detail["executionArn"] == described["executionArn"]
    assert detail["stateMachineArn"] == failing
    assert detail["status"] == "FAILED"
    assert detail["error"] == "Oops" and detail["cause"] == "x"
    assert detail["input"] == '{"order": 7}' and detail["output"] is None
    assert detail["startDate"] == int(described["startDate"].timestamp() * 1000)
    assert detail["stopDate"] >= detail["startDate"]
    assert detail["redriveStatus"] == "REDRIVABLE" and detail["redriveCount"] == 0


def test_every_status_change_is_sent(role, queue, rule):
    url, queue_arn = queue
    passing = machine(role, PASSING)
    route(
        rule,
        {
            "source": ["aws.states"],
            "resources": [{"prefix": passing.replace(":stateMachine:", ":execution:")}],
        },
        queue_arn,
    )
    described = run(passing)
    sent = queues.received(url, 2)
    assert [event["detail"]["status"] for event in sent] == ["RUNNING", "SUCCEEDED"]
    running, succeeded = (event["detail"] for event in sent)
    assert running["stopDate"] is None and running["output"] is None
    assert json.loads(succeeded["output"]) == "ok"
    assert succeeded["outputDetails"] == {"included": True}
    assert succeeded["executionArn"] == described["executionArn"]


def test_express_executions_send_none(role, queue, rule):
    url, queue_arn = queue
    express = machine(role, PASSING, type="EXPRESS")
    route(rule, {"source": ["aws.states"], "detail": {"stateMachineArn": [express]}}, queue_arn)
    boto3.client("stepfunctions").start_sync_execution(stateMachineArn=express)
    assert queues.received(url, 1, wait_s=2) == []


def test_a_topic_target_receives_the_event(role, queue, rule):
    url, queue_arn = queue
    sns = boto3.client("sns")
    topic = sns.create_topic(Name=resources.resource_name(f"status-{uuid.uuid4().hex[:8]}"))
    sns.subscribe(TopicArn=topic["TopicArn"], Protocol="sqs", Endpoint=queue_arn)
    failing = machine(role, FAILING)
    route(
        rule,
        {"source": ["aws.states"], "detail": {"stateMachineArn": [failing]}},
        topic["TopicArn"],
        InputPath="$.detail.status",
    )
    run(failing)
    notifications = queues.received(url, 2)
    assert sorted(json.loads(n["Message"]) for n in notifications) == ["FAILED", "RUNNING"]
    sns.delete_topic(TopicArn=topic["TopicArn"])


def test_a_function_target_is_invoked_with_the_event(role, rule):
    # The function writes the event it got to a queue: what a Lambda target receives.

    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=resources.resource_name(f"seen-{uuid.uuid4().hex[:8]}"))[
        "QueueUrl"
    ]
    source = (
        "import boto3, json\n"
        "def handler(event, context):\n"
        f"    boto3.client('sqs').send_message(QueueUrl={url!r}, MessageBody=json.dumps(event))\n"
    )
    function = lambda_code.python_function(
        resources.resource_name(f"seen-{uuid.uuid4().hex[:8]}"),
        source,
        resources.ensure_role(
            resources.resource_name("seen"),
            "lambda.amazonaws.com",
            inline_policies={"send": policies.allowing("sqs:SendMessage")},
        ),
        wait=True,
    )
    failing = machine(role, FAILING)
    route(rule, {"source": ["aws.states"], "detail": {"status": ["FAILED"]}}, function)
    run(failing)
    (event,) = queues.received(url, 1)
    assert event["detail"]["stateMachineArn"] == failing
    assert event["detail-type"] == "Step Functions Execution Status Change"
    sqs.delete_queue(QueueUrl=url)
