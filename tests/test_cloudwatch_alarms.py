"""CloudWatch alarms (sfn_tutorial/emulator/cloudwatch/alarms.py), evaluated on the emulator's
clock (sfn_tutorial/emulator/clock.py), which these tests move forward instead of waiting.

Each test says what AWS does (CloudWatch user guide, "Evaluating an alarm" and "Configuring how
CloudWatch alarms treat missing data"; API reference, PutMetricAlarm); the emulator must do the
same.
"""

import json
import uuid

import boto3
import pytest
import queues

from sfn_tutorial import executions, resources
from sfn_tutorial.emulator import clock, server


def advance(seconds: float) -> dict:
    body = json.dumps({"advance_seconds": seconds}).encode()
    return json.loads(server.request(clock.CLOCK_PATH, body))


def put(namespace: str, value: float) -> None:
    boto3.client("cloudwatch").put_metric_data(
        Namespace=namespace, MetricData=[{"MetricName": "Errors", "Value": value}]
    )


def alarm_on(namespace: str, **settings) -> str:
    name = resources.resource_name(f"alarm-{uuid.uuid4().hex[:8]}")
    boto3.client("cloudwatch").put_metric_alarm(
        **{
            "AlarmName": name,
            "Namespace": namespace,
            "MetricName": "Errors",
            "Statistic": "Sum",
            "Period": 60,
            "EvaluationPeriods": 1,
            "Threshold": 1.0,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            **settings,
        }
    )
    return name


def state(name: str) -> dict:
    (alarm,) = boto3.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return alarm


@pytest.fixture
def namespace(emulator):
    return f"Tutorial/{uuid.uuid4().hex[:8]}"


@pytest.fixture
def inbox(emulator):
    """A topic with an SQS queue subscribed: what the topic publishes lands in the queue."""
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    suffix = uuid.uuid4().hex[:8]
    topic = sns.create_topic(Name=resources.resource_name(f"alarms-{suffix}"))["TopicArn"]
    url = sqs.create_queue(QueueName=resources.resource_name(f"alarms-{suffix}"))["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue["QueueArn"])
    yield topic, url
    sns.delete_topic(TopicArn=topic)
    sqs.delete_queue(QueueUrl=url)


def test_a_new_alarm_has_insufficient_data(namespace):
    alarm = state(alarm_on(namespace))
    assert alarm["StateValue"] == "INSUFFICIENT_DATA"
    assert alarm["StateReason"] == "Unchecked: Initial alarm creation"


def test_a_breaching_datapoint_sets_off_the_alarm_and_notifies_its_topic(namespace, inbox):
    topic, url = inbox
    name = alarm_on(namespace, AlarmActions=[topic], AlarmDescription="errors happened")
    put(namespace, 3.0)
    advance(60)
    alarm = state(name)
    assert alarm["StateValue"] == "ALARM"
    assert alarm["StateReason"].startswith(
        "Threshold Crossed: 1 out of the last 1 datapoints [3.0 ("
    )
    assert alarm["StateReason"].endswith(
        "was greater than or equal to the threshold (1.0) (minimum 1 datapoint for "
        "OK -> ALARM transition)."
    )
    data = json.loads(alarm["StateReasonData"])
    assert data["recentDatapoints"] == [3.0] and data["threshold"] == 1.0
    assert data["period"] == 60 and data["statistic"] == "Sum"
    (envelope,) = queues.received(url)
    assert envelope["Subject"] == f'ALARM: "{name}" in Asia Pacific (Seoul)'
    message = json.loads(envelope["Message"])
    assert message["AlarmName"] == name and message["AlarmDescription"] == "errors happened"
    assert message["NewStateValue"] == "ALARM" and message["OldStateValue"] == "INSUFFICIENT_DATA"
    assert message["Region"] == "Asia Pacific (Seoul)"
    assert message["Trigger"]["MetricName"] == "Errors"
    assert message["Trigger"]["Statistic"] == "SUM"
    assert message["Trigger"]["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    history = boto3.client("cloudwatch").describe_alarm_history(
        AlarmName=name, HistoryItemType="StateUpdate"
    )["AlarmHistoryItems"]
    assert history[0]["HistorySummary"] == "Alarm updated from INSUFFICIENT_DATA to ALARM"


def test_without_data_it_stays_insufficient_unless_missing_data_is_not_breaching(namespace):
    missing = alarm_on(namespace)
    not_breaching = alarm_on(namespace, TreatMissingData="notBreaching")
    ignoring = alarm_on(namespace, TreatMissingData="ignore")
    breaching = alarm_on(namespace, TreatMissingData="breaching")
    advance(60)
    assert state(missing)["StateValue"] == "INSUFFICIENT_DATA"
    assert state(not_breaching)["StateValue"] == "OK"
    assert state(ignoring)["StateValue"] == "INSUFFICIENT_DATA"  # kept its state
    assert state(breaching)["StateValue"] == "ALARM"


def test_it_returns_to_ok_when_the_breach_is_over(namespace, inbox):
    topic, url = inbox
    name = alarm_on(namespace, OKActions=[topic], TreatMissingData="notBreaching")
    put(namespace, 2.0)
    advance(60)
    assert state(name)["StateValue"] == "ALARM"
    put(namespace, 0.0)
    advance(60)
    alarm = state(name)
    assert alarm["StateValue"] == "OK"
    assert "was not greater than or equal to the threshold" in alarm["StateReason"]
    (envelope,) = queues.received(url)  # only OK has an action here
    assert json.loads(envelope["Message"])["NewStateValue"] == "OK"


def test_m_out_of_n_datapoints_must_breach(namespace):
    name = alarm_on(namespace, EvaluationPeriods=3, DatapointsToAlarm=2)
    for value in (5.0, 0.0):
        put(namespace, value)
        advance(60)
    assert state(name)["StateValue"] == "OK"  # 1 of 2 known breaches: fewer than 2
    put(namespace, 5.0)
    advance(60)
    assert state(name)["StateValue"] == "ALARM"  # 2 of the last 3 breach


def test_updating_an_alarm_keeps_its_state(namespace):
    name = alarm_on(namespace)
    put(namespace, 5.0)
    advance(60)
    assert state(name)["StateValue"] == "ALARM"
    alarm_on(namespace, AlarmName=name, Threshold=10.0)
    assert state(name)["StateValue"] == "ALARM"
    assert state(name)["Threshold"] == 10.0


def test_an_alarm_watches_a_state_machines_failures(emulator, inbox):
    topic, url = inbox
    sfn = boto3.client("stepfunctions")
    role = resources.ensure_role(resources.resource_name("alarm-states"), "states.amazonaws.com")
    machine = sfn.create_state_machine(
        name=resources.resource_name(f"alarmed-{uuid.uuid4().hex[:8]}"),
        definition=json.dumps({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}),
        roleArn=role,
    )["stateMachineArn"]
    name = alarm_on(
        "AWS/States",
        MetricName="ExecutionsFailed",
        Dimensions=[{"Name": "StateMachineArn", "Value": machine}],
        AlarmActions=[topic],
        TreatMissingData="notBreaching",
    )
    executions.wait_for_execution(sfn.start_execution(stateMachineArn=machine)["executionArn"])
    evaluated = advance(60)["alarms"]
    assert {"alarm": name, "state": "ALARM"}.items() <= next(
        item for item in evaluated if item["alarm"] == name
    ).items()
    (envelope,) = queues.received(url)
    assert json.loads(envelope["Message"])["Trigger"]["Dimensions"] == [
        {"value": machine, "name": "StateMachineArn"}
    ]
