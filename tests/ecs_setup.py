"""A cluster, a log group and a Python task definition on the emulator, for the ECS tests."""

import uuid

import boto3

from sfn_tutorial import integrations

PROGRAM = (
    "import os, sys\n"
    "print('hello from', os.environ.get('WHO'))\n"
    "sys.exit(int(os.environ.get('EXIT_CODE', '0')))\n"
)


def subnet() -> str:
    """A subnet of the default VPC (a Fargate task needs one, on AWS as here)."""
    return integrations.default_subnets()[0]


def python_job(image: str = "python:3.12-slim", task_role_arn: str = "", **container) -> dict:
    """A cluster and a task definition whose container runs PROGRAM (with ``task_role_arn``,
    if given); their names and group."""
    suffix = uuid.uuid4().hex[:8]
    ecs, logs = boto3.client("ecs"), boto3.client("logs")
    group = f"/ecs/test-{suffix}"
    logs.create_log_group(logGroupName=group)
    cluster = ecs.create_cluster(clusterName=f"test-{suffix}")["cluster"]["clusterName"]
    definition = {
        "name": "job",
        "image": image,
        "command": ["python", "-c", PROGRAM],
        "environment": [{"name": "WHO", "value": "the task definition"}],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": group,
                "awslogs-region": boto3.session.Session().region_name,
                "awslogs-stream-prefix": "job",
            },
        },
        **container,
    }
    family = ecs.register_task_definition(
        family=f"test-{suffix}",
        containerDefinitions=[definition],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        **({"taskRoleArn": task_role_arn} if task_role_arn else {}),
    )["taskDefinition"]["family"]
    return {"cluster": cluster, "family": family, "group": group}
