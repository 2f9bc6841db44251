"""Executions write their history to CloudWatch Logs as their machine's loggingConfiguration
asks (sfn_tutorial/emulator/stepfunctions/execution_logs.py).

Each test says what AWS does (Step Functions developer guide: "Using CloudWatch Logs to log
execution history", "Log levels"); the emulator must do the same.
"""

import datetime
import json
import re
import time

import boto3
import pytest

from sfn_tutorial import resources
from sfn_tutorial.emulator.iam.authorization import LOG_DELIVERY_ACTIONS
from sfn_tutorial.emulator.stepfunctions import execution_logs

ENDINGS = {"ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"}
PASS_THEN_FAIL = {
    "StartAt": "Hello",
    "States": {
        "Hello": {"Type": "Pass", "Result": {"secret": 42}, "Next": "Check"},
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.secret", "NumericEquals": 42, "Next": "Done"}],
            "Default": "Broken",
        },
        "Done": {"Type": "Succeed"},
        "Broken": {"Type": "Fail", "Error": "Broken", "Cause": "no secret"},
    },
}
FAILING = {
    "StartAt": "Broken",
    "States": {"Broken": {"Type": "Fail", "Error": "Broken", "Cause": "always"}},
}


def logging_configuration(group_arn, level="ALL", include_data=True):
    return {
        "level": level,
        "includeExecutionData": include_data,
        "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group_arn}}],
    }


def machine(name, definition, role, configuration, kind="EXPRESS"):
    sfn = boto3.client("stepfunctions")
    return sfn.create_state_machine(
        name=resources.resource_name(name),
        definition=json.dumps(definition),
        roleArn=role,
        type=kind,
        loggingConfiguration=configuration,
        tags=resources.tags("key"),
    )["stateMachineArn"]


def logged(group_arn, execution_arn, wait_s=5):
    """An execution's log events and their parsed messages, once the event that ends the
    execution is there (or after ``wait_s``)."""
    logs = boto3.client("logs")
    deadline = time.monotonic() + wait_s
    while True:
        found = logs.filter_log_events(logGroupName=group_arn.split(":")[6])["events"]
        events = [e for e in found if json.loads(e["message"])["execution_arn"] == execution_arn]
        messages = [json.loads(event["message"]) for event in events]
        if any(m["type"] in ENDINGS for m in messages) or time.monotonic() > deadline:
            return events, messages
        time.sleep(0.1)


@pytest.fixture(scope="module")
def role(emulator):
    """A role that may deliver logs: the log-delivery actions AWS documents, on "*"."""
    deliver = {"Effect": "Allow", "Action": list(LOG_DELIVERY_ACTIONS), "Resource": "*"}
    return resources.ensure_role(
        resources.resource_name("logs-test-role"),
        "states.amazonaws.com",
        inline_policies={"deliver-logs": {"Version": "2012-10-17", "Statement": [deliver]}},
    )


@pytest.fixture(scope="module")
def group(emulator):
    return resources.ensure_log_group("logs-test")


def test_sync_express_execution_writes_every_event_in_aws_shape(role, group):
    # AWS: level ALL sends each history event as one JSON log event with id, type, details,
    # previous_event_id, event_timestamp (epoch ms), all as text, and execution_arn.
    arn = machine("logs-all", PASS_THEN_FAIL, role, logging_configuration(group))
    sfn = boto3.client("stepfunctions")
    result = sfn.start_sync_execution(stateMachineArn=arn, input='{"order": 1}')
    assert result["status"] == "SUCCEEDED"
    events, messages = logged(group, result["executionArn"])
    types = [message["type"] for message in messages]
    assert types == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "ChoiceStateEntered",
        "ChoiceStateExited",
        "SucceedStateEntered",
        "SucceedStateExited",
        "ExecutionSucceeded",
    ]
    first = messages[0]
    assert set(first) >= {"id", "type", "details", "previous_event_id", "event_timestamp"}
    assert (first["id"], first["previous_event_id"]) == ("1", "0")
    assert json.loads(first["details"]["input"]) == {"order": 1}
    assert first["details"]["roleArn"] == role
    assert json.loads(messages[-1]["details"]["output"]) == {"secret": 42}
    assert all(re.fullmatch(r"\d{13}", message["event_timestamp"]) for message in messages)
    assert [event["timestamp"] for event in events[:1]] == [int(first["event_timestamp"])]


def test_log_stream_is_named_as_aws_names_it(role, group):
    # AWS: streams are states/MACHINE/YYYY-MM-DD-HH-MM/ID.
    arn = machine("logs-stream", PASS_THEN_FAIL, role, logging_configuration(group))
    sfn = boto3.client("stepfunctions")
    result = sfn.start_sync_execution(stateMachineArn=arn)
    events, _ = logged(group, result["executionArn"])
    name = resources.resource_name("logs-stream")
    stream = next(e["logStreamName"] for e in events if f"/{name}/" in e["logStreamName"])
    assert re.fullmatch(rf"states/{name}/\d{{4}}-\d\d-\d\d-\d\d-\d\d/[0-9a-f]{{8}}", stream)
    day = datetime.datetime.now(datetime.timezone.utc)
    assert stream.split("/")[2][:4] in (f"{day:%Y}", f"{day.year - 1}")
    logs = boto3.client("logs")
    read = logs.get_log_events(logGroupName=group.split(":")[6], logStreamName=stream)
    assert [json.loads(e["message"])["type"] for e in read["events"]][0] == "ExecutionStarted"


def test_without_execution_data_input_and_output_are_left_out(role, group):
    # AWS: includeExecutionData false leaves out input and output (and their details).
    configuration = logging_configuration(group, include_data=False)
    arn = machine("logs-no-data", PASS_THEN_FAIL, role, configuration)
    sfn = boto3.client("stepfunctions")
    result = sfn.start_sync_execution(stateMachineArn=arn, input='{"card": "4111"}')
    _, messages = logged(group, result["executionArn"])
    text = json.dumps(messages)
    assert "4111" not in text and "secret" not in text
    assert messages[0]["details"] == {"roleArn": role}


@pytest.mark.parametrize(
    "level, expected",
    [
        ("ERROR", ["FailStateEntered", "ExecutionFailed"]),
        ("FATAL", ["ExecutionFailed"]),
    ],
)
def test_error_and_fatal_send_only_failures(role, group, level, expected):
    # AWS: ERROR sends failure events (FailStateEntered, TaskFailed...), FATAL only
    # ExecutionFailed, ExecutionAborted and ExecutionTimedOut.
    arn = machine(f"logs-{level.lower()}", FAILING, role, logging_configuration(group, level))
    sfn = boto3.client("stepfunctions")
    result = sfn.start_sync_execution(stateMachineArn=arn)
    assert result["status"] == "FAILED"
    _, messages = logged(group, result["executionArn"])
    assert [message["type"] for message in messages] == expected
    assert messages[-1]["details"] == {"cause": "always", "error": "Broken"}


def test_off_sends_nothing(role, group):
    # AWS: level OFF logs no event.
    arn = machine("logs-off", PASS_THEN_FAIL, role, {"level": "OFF"})
    sfn = boto3.client("stepfunctions")
    result = sfn.start_sync_execution(stateMachineArn=arn)
    assert result["status"] == "SUCCEEDED"
    _, messages = logged(group, result["executionArn"], wait_s=1)
    assert messages == []


def test_standard_executions_log_too(role, group):
    # AWS: Standard workflows may log to CloudWatch Logs as well (their history stays in
    # Step Functions).
    arn = machine("logs-standard", PASS_THEN_FAIL, role, logging_configuration(group), "STANDARD")
    sfn = boto3.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    _, messages = logged(group, execution)
    history = sfn.get_execution_history(executionArn=execution)["events"]
    assert [m["type"] for m in messages] == [event["type"] for event in history]


def test_async_express_execution_logs(role, group):
    # AWS: an Express execution started with StartExecution runs in the background; its
    # history is found only in CloudWatch Logs.
    arn = machine("logs-async", PASS_THEN_FAIL, role, logging_configuration(group))
    sfn = boto3.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    _, messages = logged(group, execution)
    assert messages[-1]["type"] == "ExecutionSucceeded"


def test_missing_log_group_does_not_stop_the_execution(role):
    # AWS: delivery is best effort; the execution does not fail for its logs.
    missing = resources.ensure_log_group("logs-missing")
    boto3.client("logs").delete_log_group(logGroupName=missing.split(":")[6])
    arn = machine("logs-missing", PASS_THEN_FAIL, role, logging_configuration(missing))
    result = boto3.client("stepfunctions").start_sync_execution(stateMachineArn=arn)
    assert result["status"] == "SUCCEEDED"


def test_log_group_of_reads_the_destination():
    configuration = logging_configuration("arn:aws:logs:ap-northeast-2:123456789012:log-group:g:*")
    assert execution_logs.log_group_of(configuration) == ("123456789012", "ap-northeast-2", "g")
    assert execution_logs.log_group_of({"level": "OFF"}) is None
    assert execution_logs.log_group_of(None) is None
