"""ECS tasks on the local target (sfn_tutorial/emulator/ecs/tasks.py), on the running emulator.

AWS (ECS API reference, DescribeTasks; "Amazon ECS task lifecycle"): a task whose essential
container exits is STOPPED with stopCode EssentialContainerExited, stoppedReason "Essential
container in task exited" and the container's exitCode; an image that cannot be pulled stops it
with TaskFailedToStart and CannotPullContainerError. The awslogs driver writes the container's
lines to stream PREFIX/CONTAINER/TASK_ID of awslogs-group.
"""

import json
import time
import uuid

import boto3
import policies
import pytest
from ecs_setup import python_job, subnet

from sfn_tutorial.emulator.ecs import tasks


def run(job: dict, **overrides) -> str:
    answer = boto3.client("ecs").run_task(
        cluster=job["cluster"],
        taskDefinition=job["family"],
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet()]}},
        **overrides,
    )
    return answer["tasks"][0]["taskArn"]


def stopped(job: dict, task_arn: str, timeout_s: float = 30) -> dict:
    ecs = boto3.client("ecs")
    give_up = time.monotonic() + timeout_s
    while time.monotonic() < give_up:
        task = ecs.describe_tasks(cluster=job["cluster"], tasks=[task_arn])["tasks"][0]
        if task["lastStatus"] == "STOPPED":
            return task
        time.sleep(0.2)
    pytest.fail(f"task {task_arn} did not stop")


@pytest.mark.parametrize(
    "image",
    ["python:3.12-slim", "python", "public.ecr.aws/docker/library/python:3.13", "library/python"],
)
def test_official_python_images_run_here(image):
    assert tasks.is_python_image(image)


@pytest.mark.parametrize("image", ["nginx", "myrepo/python:3.12", "python-app:1", ""])
def test_other_images_do_not(image):
    assert not tasks.is_python_image(image)


def test_a_python_task_runs_its_command_and_stops_with_its_exit_code(emulator):
    job = python_job()
    task = stopped(job, run(job))
    assert task["desiredStatus"] == "STOPPED"
    assert task["stopCode"] == "EssentialContainerExited"
    assert task["stoppedReason"] == "Essential container in task exited"
    assert task["containers"][0]["exitCode"] == 0
    assert task["containers"][0]["taskArn"] == task["taskArn"]


def test_its_output_is_in_cloudwatch_logs_under_the_awslogs_stream(emulator):
    job = python_job()
    task = stopped(job, run(job))
    stream = f"job/job/{task['taskArn'].split('/')[-1]}"
    events = boto3.client("logs").get_log_events(logGroupName=job["group"], logStreamName=stream)
    assert [e["message"] for e in events["events"]] == ["hello from the task definition"]


def test_container_overrides_replace_environment_and_command(emulator):
    job = python_job()
    overrides = {
        "containerOverrides": [
            {"name": "job", "environment": [{"name": "EXIT_CODE", "value": "3"}]}
        ]
    }
    task = stopped(job, run(job, overrides=overrides))
    assert task["containers"][0]["exitCode"] == 3
    command = ["python", "-c", "print('overridden')"]
    task = stopped(
        job, run(job, overrides={"containerOverrides": [{"name": "job", "command": command}]})
    )
    stream = f"job/job/{task['taskArn'].split('/')[-1]}"
    events = boto3.client("logs").get_log_events(logGroupName=job["group"], logStreamName=stream)
    assert [e["message"] for e in events["events"]] == ["overridden"]


def test_another_image_fails_to_start_saying_what_runs_here(emulator):
    job = python_job(image="nginx:latest")
    task = stopped(job, run(job))
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith("CannotPullContainerError: image 'nginx:latest'")
    assert "official Python images" in task["stoppedReason"]


def test_a_missing_log_group_stops_the_task(emulator):
    job = python_job()
    boto3.client("logs").delete_log_group(logGroupName=job["group"])
    task = stopped(job, run(job))
    assert task["stopCode"] == "TaskFailedToStart"
    assert "ResourceInitializationError" in task["stoppedReason"]


def test_stop_task_ends_the_process(emulator):
    job = python_job(command=["python", "-c", "import time; time.sleep(60)"])
    task_arn = run(job)
    running = boto3.client("ecs").describe_tasks(cluster=job["cluster"], tasks=[task_arn])
    assert running["tasks"][0]["lastStatus"] == "RUNNING"
    boto3.client("ecs").stop_task(cluster=job["cluster"], task=task_arn, reason="enough")
    task = stopped(job, task_arn)
    assert task["stopCode"] == "UserInitiated"
    assert task["stoppedReason"] == "enough"


def task_role(name: str, actions: list[str]) -> str:
    """A role ECS tasks may assume that allows ``actions`` on everything; its ARN."""
    iam = boto3.client("iam")
    trust = policies.trust("ecs-tasks.amazonaws.com")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=name, PolicyName="task", PolicyDocument=json.dumps(policies.allowing(actions))
    )
    return arn


def log_lines(job: dict, task_arn: str) -> list[str]:
    stream = f"job/job/{task_arn.split('/')[-1]}"
    events = boto3.client("logs").get_log_events(logGroupName=job["group"], logStreamName=stream)
    return [event["message"] for event in events["events"]]


WHO_AM_I = (
    "import boto3\n"
    "print(boto3.client('sts').get_caller_identity()['Arn'])\n"
    "boto3.client('sqs').create_queue(QueueName='made-by-an-ecs-task')\n"
    "try:\n"
    "    boto3.client('s3').list_buckets()\n"
    "except Exception as error:\n"
    "    print(getattr(error, 'response', {}).get('Error', {}).get('Code'))\n"
)


def test_boto3_in_the_command_signs_as_the_task_role(emulator):
    # AWS: the containers of a task get temporary credentials of its task role (the task
    # definition's taskRoleArn), in a session named after the task; IAM allows them what the
    # role allows.
    role = task_role(f"ecs-task-role-{uuid.uuid4().hex[:6]}", ["sqs:CreateQueue"])
    job = python_job(command=["python", "-c", WHO_AM_I], task_role_arn=role)
    task_arn = run(job)
    task = stopped(job, task_arn)
    lines = log_lines(job, task_arn)
    assert task["containers"][0]["exitCode"] == 0, lines
    role_name = role.split("/")[-1]
    assert lines[0].endswith(f":assumed-role/{role_name}/{task_arn.split('/')[-1]}")
    assert lines[1] == "AccessDenied"  # s3:ListBuckets: not the role's
    urls = boto3.client("sqs").list_queues(QueueNamePrefix="made-by-an-ecs-task")["QueueUrls"]
    assert len(urls) == 1


def test_run_task_overrides_choose_the_task_role(emulator):
    # AWS: overrides.taskRoleArn replaces the task definition's role for this task.
    defined = task_role(f"ecs-defined-{uuid.uuid4().hex[:6]}", ["sqs:CreateQueue"])
    chosen = task_role(f"ecs-chosen-{uuid.uuid4().hex[:6]}", ["sqs:CreateQueue"])
    job = python_job(command=["python", "-c", WHO_AM_I], task_role_arn=defined)
    task_arn = run(job, overrides={"taskRoleArn": chosen})
    stopped(job, task_arn)
    assert f":assumed-role/{chosen.split('/')[-1]}/" in log_lines(job, task_arn)[0]


def test_a_task_without_a_task_role_has_no_credentials(emulator):
    # AWS (Fargate): without a task role, the SDK in a container finds no credentials.
    program = (
        "import boto3, botocore.exceptions\n"
        "try:\n"
        "    boto3.client('sqs').list_queues()\n"
        "except botocore.exceptions.NoCredentialsError:\n"
        "    print('no credentials')\n"
    )
    job = python_job(command=["python", "-c", program])
    task_arn = run(job)
    assert stopped(job, task_arn)["containers"][0]["exitCode"] == 0
    assert log_lines(job, task_arn) == ["no credentials"]


def test_a_task_role_ecs_cannot_assume_is_refused(emulator):
    # AWS: RunTask with a task role whose trust policy does not name ecs-tasks.amazonaws.com
    # (or that does not exist) answers ClientException and starts nothing.
    iam = boto3.client("iam")
    name = f"not-for-ecs-{uuid.uuid4().hex[:6]}"
    trust = policies.trust("lambda.amazonaws.com")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    job = python_job()
    ecs = boto3.client("ecs")
    for arn in (role["Arn"], role["Arn"] + "-gone"):
        with pytest.raises(ecs.exceptions.ClientException) as raised:
            run(job, overrides={"taskRoleArn": arn})
        assert raised.value.response["Error"]["Message"].startswith(
            f"ECS was unable to assume the role '{arn}' that was provided for this task."
        )
    assert ecs.list_tasks(cluster=job["cluster"])["taskArns"] == []
