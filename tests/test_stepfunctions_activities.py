"""Activities (sfn_tutorial/emulator/stepfunctions/activities.py): a Task whose Resource is an
activity waits for a worker that polls with GetActivityTask and answers with SendTaskSuccess or
SendTaskFailure.

Each test says what AWS does (Step Functions API reference, GetActivityTask; developer guide,
"Learn about Activities in Step Functions"); the emulator must do the same.
"""

import json
import threading
import time
import uuid

import boto3
import pytest
from botocore.config import Config

from sfn_tutorial import executions, resources
from sfn_tutorial.emulator import clock, server

# AWS: a poll may be held for 60 seconds; clients should wait at least 65.
WORKER_CONFIG = Config(read_timeout=65, retries={"max_attempts": 0})


def activity() -> str:
    name = resources.resource_name(f"activity-{uuid.uuid4().hex[:8]}")
    return boto3.client("stepfunctions").create_activity(name=name)["activityArn"]


# AWS's IAM template for a state machine with only activity Tasks: it needs no permission.
DENY_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}],
}


def start(activity_arn: str, execution_input: dict, **task_fields) -> str:
    task = {"Type": "Task", "Resource": activity_arn, "End": True, **task_fields}
    definition = {"StartAt": "Work", "States": {"Work": task}}
    role = resources.ensure_role(
        resources.resource_name("activities-only"),
        "states.amazonaws.com",
        inline_policies={"deny-all": DENY_ALL},
    )
    machine = resources.ensure_state_machine(
        resources.resource_name(f"activity-machine-{uuid.uuid4().hex[:8]}"),
        definition,
        role,
        progress=lambda message: None,
    )
    sfn = boto3.client("stepfunctions")
    return sfn.start_execution(stateMachineArn=machine, input=json.dumps(execution_input))[
        "executionArn"
    ]


def poll(activity_arn: str, worker: str = "worker-1") -> dict:
    sfn = boto3.client("stepfunctions", config=WORKER_CONFIG)
    return sfn.get_activity_task(activityArn=activity_arn, workerName=worker)


def test_a_worker_takes_the_task_and_its_answer_ends_the_task(emulator):
    # AWS: the poll answers the task's token and input; the history shows ActivityScheduled,
    # ActivityStarted with the worker's name, then ActivitySucceeded with the worker's output.
    activity_arn = activity()
    execution = start(activity_arn, {"order": 7})
    task = poll(activity_arn, "packer-1")
    assert task["input"] == '{"order":7}'  # compact, as Step Functions writes state data
    boto3.client("stepfunctions").send_task_success(
        taskToken=task["taskToken"], output=json.dumps({"packed": True})
    )
    ended = executions.wait_for_execution(execution, timeout_s=60)
    assert ended["status"] == "SUCCEEDED" and json.loads(ended["output"]) == {"packed": True}
    events = executions.execution_history(execution)
    types = [event["type"] for event in events]
    assert types[2:5] == ["ActivityScheduled", "ActivityStarted", "ActivitySucceeded"]
    assert events[3]["activityStartedEventDetails"]["workerName"] == "packer-1"
    assert events[2]["activityScheduledEventDetails"]["resource"] == activity_arn
    assert events[2]["activityScheduledEventDetails"]["input"] == '{"order":7}'


def test_a_workers_failure_fails_the_task_with_its_error(emulator):
    activity_arn = activity()
    execution = start(activity_arn, {})
    task = poll(activity_arn)
    boto3.client("stepfunctions").send_task_failure(
        taskToken=task["taskToken"], error="OutOfBoxes", cause="no boxes left"
    )
    ended = executions.wait_for_execution(execution, timeout_s=60)
    assert (ended["status"], ended["error"], ended["cause"]) == (
        "FAILED",
        "OutOfBoxes",
        "no boxes left",
    )
    types = [event["type"] for event in executions.execution_history(execution)]
    assert "ActivityFailed" in types


def test_tasks_are_handed_out_oldest_first_one_to_a_worker(emulator):
    activity_arn = activity()
    first = start(activity_arn, {"n": 1})
    give_up = time.monotonic() + 60  # a deadlock guard
    scheduled = False  # the first Task is scheduled before the second execution starts
    while not scheduled and time.monotonic() < give_up:
        history = executions.execution_history(first)
        scheduled = any(event["type"] == "ActivityScheduled" for event in history)
        time.sleep(0 if scheduled else 0.05)
    assert scheduled
    second = start(activity_arn, {"n": 2})
    inputs = [json.loads(poll(activity_arn)["input"]) for _ in (first, second)]
    assert inputs == [{"n": 1}, {"n": 2}]


def test_a_poll_without_a_task_answers_no_token_after_60_seconds(emulator):
    # AWS: "If no task is available within 60 seconds, the poll returns a taskToken with a null
    # string." The emulator waits on its clock, which this test moves on instead of waiting.
    activity_arn, answers = activity(), []
    worker = threading.Thread(target=lambda: answers.append(poll(activity_arn)))
    worker.start()
    while worker.is_alive():
        server.request(clock.CLOCK_PATH, json.dumps({"advance_seconds": 61}).encode())
        worker.join(timeout=0.5)
    assert answers and "taskToken" not in answers[0]


def test_polling_an_activity_that_does_not_exist_is_refused(emulator):
    sfn = boto3.client("stepfunctions")
    missing = activity().rsplit(":", 1)[0] + ":no-such-activity"
    with pytest.raises(sfn.exceptions.ActivityDoesNotExist):
        sfn.get_activity_task(activityArn=missing)
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.get_activity_task(activityArn="not-an-arn")


def test_creating_an_activity_again_answers_the_same_activity(emulator):
    # AWS: "CreateActivity is an idempotent API ... based on the activity name"; the tags of a
    # second request are ignored.
    sfn = boto3.client("stepfunctions")
    name = resources.resource_name(f"activity-{uuid.uuid4().hex[:8]}")
    first = sfn.create_activity(name=name, tags=[{"key": "team", "value": "a"}])
    again = sfn.create_activity(name=name, tags=[{"key": "team", "value": "b"}])
    assert again["activityArn"] == first["activityArn"]
    assert again["creationDate"] == first["creationDate"]
    tags = sfn.list_tags_for_resource(resourceArn=first["activityArn"])["tags"]
    assert tags == [{"key": "team", "value": "a"}]
