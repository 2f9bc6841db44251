"""Step Functions' ecs:runTask(.sync) Task states (sfn_tutorial/emulator/ecs/run_task_state.py).

AWS (developer guide, "Run Amazon ECS or Fargate tasks with Step Functions"): runTask.sync's
result is the stopped task as DescribeTasks shows it, with the API's member names; a task whose
essential container exits with another code than 0, or that never starts, fails the state with
States.TaskFailed and that task description as the cause.
"""

import json

import machines
from ecs_setup import python_job, subnet


def run_state(emulator, job: dict, resource: str, overrides: dict | None = None) -> dict:
    parameters = {
        "Cluster": job["cluster"],
        "TaskDefinition": job["family"],
        "LaunchType": "FARGATE",
        "NetworkConfiguration": {"AwsvpcConfiguration": {"Subnets": [subnet()]}},
    }
    if overrides:
        parameters["Overrides"] = overrides
    definition = {
        "StartAt": "Job",
        "States": {
            "Job": {"Type": "Task", "Resource": resource, "Parameters": parameters, "End": True}
        },
    }
    return machines.run("ecs-test", definition, timeout_s=60)


def test_sync_waits_and_gives_the_stopped_task(emulator):
    job = python_job()
    description = run_state(emulator, job, "arn:aws:states:::ecs:runTask.sync")
    assert description["status"] == "SUCCEEDED", description.get("cause")
    task = json.loads(description["output"])
    assert task["LastStatus"] == "STOPPED"
    assert task["StopCode"] == "EssentialContainerExited"
    assert task["Containers"][0]["ExitCode"] == 0
    assert task["StartedBy"] == "AWS Step Functions"
    assert isinstance(task["StoppedAt"], int)


def test_a_failing_container_fails_the_state_with_the_task_as_cause(emulator):
    job = python_job()
    overrides = {
        "ContainerOverrides": [
            {"Name": "job", "Environment": [{"Name": "EXIT_CODE", "Value": "2"}]}
        ]
    }
    description = run_state(emulator, job, "arn:aws:states:::ecs:runTask.sync", overrides)
    assert description["status"] == "FAILED"
    assert description["error"] == "States.TaskFailed"
    cause = json.loads(description["cause"])
    assert cause["Containers"][0]["ExitCode"] == 2
    assert cause["StoppedReason"] == "Essential container in task exited"


def test_an_image_that_cannot_run_here_fails_the_state(emulator):
    job = python_job(image="nginx")
    description = run_state(emulator, job, "arn:aws:states:::ecs:runTask.sync")
    assert description["error"] == "States.TaskFailed"
    assert json.loads(description["cause"])["StopCode"] == "TaskFailedToStart"


def test_plain_run_task_ends_when_ecs_accepts_the_task(emulator):
    job = python_job()
    description = run_state(emulator, job, "arn:aws:states:::ecs:runTask")
    assert description["status"] == "SUCCEEDED", description.get("cause")
    output = json.loads(description["output"])
    assert output["Tasks"][0]["TaskDefinitionArn"].endswith(f"{job['family']}:1")
    assert output["SdkHttpMetadata"]["HttpStatusCode"] == 200
