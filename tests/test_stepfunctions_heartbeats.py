"""HeartbeatSeconds (sfn_tutorial/emulator/stepfunctions/heartbeats.py), on the running emulator.

AWS (../shared/conformance-tasks/041.json; the developer guide's "Error names"): a callback Task
that hears nothing for HeartbeatSeconds fails with a TaskTimedOut event whose error is
States.Timeout; a Catch may name it States.HeartbeatTimeout or States.Timeout.
"""

import json
import threading
import time
import uuid

import boto3
import machines

from sfn_tutorial import executions


def run(emulator, definition: dict, execution_input: dict) -> str:
    return machines.start(machines.create("heartbeat-test", definition), execution_input)


def waiting_task(catch_errors: list[str] | None) -> dict:
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "HeartbeatSeconds": 1,
        "Parameters": {"QueueUrl.$": "$.queue", "MessageBody": {"token.$": "$$.Task.Token"}},
        "End": True,
    }
    states = {"Wait": task}
    if catch_errors:
        task["Catch"] = [{"ErrorEquals": catch_errors, "Next": "Caught"}]
        states["Caught"] = {"Type": "Pass", "End": True}
    return {"StartAt": "Wait", "States": states}


def queue() -> str:
    return boto3.client("sqs").create_queue(QueueName=f"heartbeat-{uuid.uuid4().hex[:8]}")[
        "QueueUrl"
    ]


def test_silence_times_the_task_out_with_states_timeout(emulator):
    arn = run(emulator, waiting_task(None), {"queue": queue()})
    description = executions.wait_for_execution(arn, timeout_s=30)
    assert description["status"] == "FAILED"
    assert description["error"] == "States.Timeout"
    events = boto3.client("stepfunctions").get_execution_history(executionArn=arn)["events"]
    timed_out = [e for e in events if e["type"] == "TaskTimedOut"]
    assert timed_out[0]["taskTimedOutEventDetails"]["error"] == "States.Timeout"
    scheduled = [e for e in events if e["type"] == "TaskScheduled"][0]
    assert scheduled["taskScheduledEventDetails"]["heartbeatInSeconds"] == 1


def test_a_catch_on_heartbeat_timeout_catches_it(emulator):
    arn = run(emulator, waiting_task(["States.HeartbeatTimeout"]), {"queue": queue()})
    description = executions.wait_for_execution(arn, timeout_s=30)
    assert description["status"] == "SUCCEEDED"
    assert json.loads(description["output"])["Error"] == "States.Timeout"


def test_a_catch_on_timeout_catches_it_too(emulator):
    arn = run(emulator, waiting_task(["States.Timeout"]), {"queue": queue()})
    assert executions.wait_for_execution(arn, timeout_s=30)["status"] == "SUCCEEDED"


def test_heartbeat_timeout_does_not_catch_other_errors(emulator):
    definition = {
        "StartAt": "Fail",
        "States": {
            "Fail": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": "https://sqs.nowhere.invalid/1/q", "MessageBody": "x"},
                "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    description = executions.wait_for_execution(run(emulator, definition, {}), timeout_s=30)
    assert description["status"] == "FAILED"


def test_heartbeats_keep_the_task_alive(emulator):
    url = queue()
    arn = run(emulator, waiting_task(None), {"queue": url})
    sfn, sqs = boto3.client("stepfunctions"), boto3.client("sqs")
    message = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"][0]
    token = json.loads(message["Body"])["token"]
    stop = threading.Event()

    def beat():
        while not stop.wait(0.3):
            sfn.send_task_heartbeat(taskToken=token)

    beating = threading.Thread(target=beat)
    beating.start()
    try:
        time.sleep(2.5)  # longer than HeartbeatSeconds: only the heartbeats keep it waiting
        assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
        sfn.send_task_success(taskToken=token, output='{"approved": true}')
    finally:
        stop.set()
        beating.join()
    description = executions.wait_for_execution(arn, timeout_s=30)
    assert json.loads(description["output"]) == {"approved": True}


def test_a_heartbeat_is_accepted_for_a_task_without_heartbeat_seconds(emulator):
    """AWS answers InvalidToken only for a token it does not know; a worker may send heartbeats
    to any Task waiting on its token, whether or not it has HeartbeatSeconds (moto refused
    them, and also a heartbeat sent before its clock was set up, right after the message)."""
    url = queue()
    definition = waiting_task(None)
    del definition["States"]["Wait"]["HeartbeatSeconds"]
    arn = run(emulator, definition, {"queue": url})
    sfn, sqs = boto3.client("stepfunctions"), boto3.client("sqs")
    message = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"][0]
    token = json.loads(message["Body"])["token"]
    sfn.send_task_heartbeat(taskToken=token)
    sfn.send_task_success(taskToken=token, output='{"approved": true}')
    description = executions.wait_for_execution(arn, timeout_s=30)
    assert json.loads(description["output"]) == {"approved": True}


def test_a_heartbeat_for_an_unknown_token_is_refused(emulator):
    sfn = boto3.client("stepfunctions")
    try:
        sfn.send_task_heartbeat(taskToken="no-such-token")
    except sfn.exceptions.InvalidToken:
        return
    raise AssertionError("a heartbeat for an unknown token was accepted")
