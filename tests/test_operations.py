"""Notebook 13's machinery (sfn_tutorial/operations.py): versions, the alias split, metrics,
waiting for an alarm, reading notifications, the timeline and the trace."""

import datetime
import json
import uuid

import boto3
import pytest

from sfn_tutorial import executions, operations, resources

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
FAIL = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Broken"}}}


@pytest.fixture(scope="module")
def role(emulator):
    return resources.ensure_role(resources.resource_name("operations"), "states.amazonaws.com")


def test_now_is_the_emulators_clock(emulator):
    before = operations.now()
    operations._clock({"advance_seconds": 120})
    assert (operations.now() - before).total_seconds() >= 120


def test_replace_state_machine_starts_versions_from_1_again(role):
    name = resources.resource_name("replaced")
    first = operations.replace_state_machine(name, PASS, role, publish=True, progress=print)
    again = operations.replace_state_machine(name, PASS, role, publish=True, progress=print)
    assert first["stateMachineVersionArn"].endswith(":1")
    assert again["stateMachineVersionArn"].endswith(":1")
    assert operations.version_rows(again["stateMachineArn"]) == [["1", ""]]


def test_alias_split_counts_executions_per_version(role):
    sfn = boto3.client("stepfunctions")
    created = operations.replace_state_machine(
        resources.resource_name("split"), PASS, role, publish=True, progress=print
    )
    alias = sfn.create_state_machine_alias(
        name="live",
        routingConfiguration=[
            {"stateMachineVersionArn": created["stateMachineVersionArn"], "weight": 100}
        ],
    )["stateMachineAliasArn"]
    for _ in range(3):
        sfn.start_execution(stateMachineArn=alias)
    assert operations.alias_split(alias) == [["1", 3, "100 %"]]


def test_metric_series_counts_each_minute_with_zeros_between(role):
    sfn = boto3.client("stepfunctions")
    machine = operations.replace_state_machine(
        resources.resource_name("metered"), FAIL, role, progress=print
    )["stateMachineArn"]
    executions.wait_for_execution(sfn.start_execution(stateMachineArn=machine)["executionArn"])
    series = operations.metric_series(machine, ["ExecutionsStarted", "ExecutionsFailed"], 10)
    assert sorted(series) == ["ExecutionsFailed", "ExecutionsStarted"]
    for points in series.values():
        assert len(points) == 10
        assert all(stamp.second == 0 for stamp, _ in points)
        assert sum(value for _, value in points) == 1.0
    assert operations.metrics_figure(series, "t").axes[0].get_title() == "t"


def test_wait_for_alarm_moves_the_local_clock(role):
    sfn = boto3.client("stepfunctions")
    machine = operations.replace_state_machine(
        resources.resource_name("alarmed"), FAIL, role, progress=print
    )["stateMachineArn"]
    name = resources.resource_name(f"ops-{uuid.uuid4().hex[:6]}")
    boto3.client("cloudwatch").put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/States",
        MetricName="ExecutionsFailed",
        Dimensions=[{"Name": "StateMachineArn", "Value": machine}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    executions.wait_for_execution(sfn.start_execution(stateMachineArn=machine)["executionArn"])
    said = []
    assert operations.wait_for_alarm(name, "ALARM", progress=said.append)["StateValue"] == "ALARM"
    assert said and "clock moved 1 minute" in said[0]


def test_next_message_skips_and_deletes_older_messages(emulator):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=resources.resource_name(f"ops-{uuid.uuid4().hex[:6]}"))[
        "QueueUrl"
    ]
    for body in ("old news", json.dumps({"wanted": "yes"})):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    assert operations.next_message(url, "wanted") == {"wanted": "yes"}
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    with pytest.raises(TimeoutError):
        operations.next_message(url, "wanted", timeout_s=1)


def test_queue_policy_allows_one_service_for_one_source():
    policy = json.loads(operations.queue_policy("arn:q", "sns.amazonaws.com", "arn:topic"))
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "sns.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage" and statement["Resource"] == "arn:q"
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": "arn:topic"}}


def _event(number, kind, seconds, **details):
    stamp = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
    event = {"id": number, "type": kind, "timestamp": stamp + datetime.timedelta(seconds=seconds)}
    event.update(details)
    return event


def test_timeline_rows_follow_visits_failures_and_redrives():
    def entered(name):
        return {"stateEnteredEventDetails": {"name": name}}

    def exited(name):
        return {"stateExitedEventDetails": {"name": name}}

    events = [
        _event(1, "ExecutionStarted", 0),
        _event(2, "TaskStateEntered", 1, **entered("A")),
        _event(3, "TaskStateExited", 2, **exited("A")),
        _event(4, "TaskStateEntered", 2, **entered("B")),
        _event(5, "ExecutionFailed", 3),
        _event(6, "ExecutionRedriven", 10),
        _event(7, "TaskStateEntered", 10, **entered("B")),
        _event(8, "TaskStateExited", 12, **exited("B")),
        _event(9, "ExecutionSucceeded", 12),
    ]
    rows = operations.timeline_rows(events)
    assert rows == [
        {"state": "A", "start": 1.0, "end": 2.0, "outcome": "succeeded"},
        {"state": "B", "start": 2.0, "end": 3.0, "outcome": "failed"},
        {"redrive": 10.0},
        {"state": "B", "start": 10.0, "end": 12.0, "outcome": "succeeded"},
    ]
    figure = operations.timeline_figure(rows, "order")
    assert [label.get_text() for label in figure.axes[0].get_yticklabels()] == ["A", "B"]
    assert len(figure.axes[0].patches) == 3


def test_segment_rows_put_the_execution_first():
    documents = [
        {"name": "fn", "origin": "AWS::Lambda::Function", "subsegments": [{"name": "Invocation"}]},
        {"name": "m", "origin": "AWS::StepFunctions::StateMachine", "subsegments": [{"name": "A"}]},
        {"name": "fn", "origin": "AWS::Lambda"},
    ]
    assert operations.segment_rows(documents) == [
        ["AWS::StepFunctions::StateMachine", "m", "A"],
        ["AWS::Lambda", "fn", ""],
        ["AWS::Lambda::Function", "fn", "Invocation"],
    ]
