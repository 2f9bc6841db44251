"""What notebook 10 builds around the purchase flow, on either target, named and tagged.

The services a state machine calls itself (a DynamoDB table, SQS queues, an SNS topic, an ECS
cluster and task definition, an event source mapping), each created or brought up to date by an
``ensure_*`` function that is safe to run again; and ``policy_statements``: the least-privilege
IAM statement each integration needs, which the notebook shows beside the state that needs it
and puts in the state machine's role.
"""

from __future__ import annotations

import json
import time

import boto3

from sfn_tutorial.resources import (
    LAMBDA_LOGS_POLICY,
    NAME_PREFIX,
    ensure_function,
    ensure_role,
    tags,
)

PURCHASES_TABLE = NAME_PREFIX + "Purchases"
MISSING_TABLE = NAME_PREFIX + "NoSuchTable"  # never created: notebook 10 shows the error
SHIPPING_QUEUE = NAME_PREFIX + "shipping"
WAREHOUSE_QUEUE = NAME_PREFIX + "warehouse"
APPROVALS_QUEUE = NAME_PREFIX + "approvals"
RECEIPTS_TOPIC = NAME_PREFIX + "receipts"
JOBS_CLUSTER = NAME_PREFIX + "jobs"
REPORT_FAMILY = NAME_PREFIX + "purchase-report"
REPORT_LOG_GROUP = "/ecs/" + REPORT_FAMILY
REPORT_IMAGE = "public.ecr.aws/docker/library/python:3.12-slim"
ECS_EXECUTION_ROLE = NAME_PREFIX + "ecs-execution-role"
#: The rules Step Functions creates in your account to hear when a job ends (``.sync``).
SYNC_RULES = {
    "states": "StepFunctionsGetEventsForStepFunctionsExecutionRule",
    "ecs": "StepFunctionsGetEventsForECSTaskRule",
}
MAPPING_READY_S = 60


class IntegrationSetupError(RuntimeError):
    """Something notebook 10 needs cannot be set up; the message says why and what to do."""


def account_and_region() -> tuple[str, str]:
    """The current target's account id and region."""
    region = boto3.session.Session().region_name
    return boto3.client("sts").get_caller_identity()["Account"], region


# ---------------------------------------------------------------- request-response services


def ensure_table(name: str = PURCHASES_TABLE) -> str:
    """DynamoDB table ``name`` keyed by the string ``PurchaseId``, on demand; its ARN."""
    dynamodb = boto3.client("dynamodb")
    try:
        dynamodb.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": "PurchaseId", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "PurchaseId", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
            Tags=tags("Key"),
        )
    except dynamodb.exceptions.ResourceInUseException:
        pass  # it exists
    dynamodb.get_waiter("table_exists").wait(TableName=name)
    return dynamodb.describe_table(TableName=name)["Table"]["TableArn"]


def ensure_queue(name: str, **attributes: str) -> tuple[str, str]:
    """SQS queue ``name`` (standard) with ``attributes``; ``(URL, ARN)``."""
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes, tags=tags())["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, arn["QueueArn"]


def ensure_topic(name: str = RECEIPTS_TOPIC) -> str:
    """SNS topic ``name``; its ARN (CreateTopic answers with the existing one)."""
    return boto3.client("sns").create_topic(Name=name, Tags=tags("Key"))["TopicArn"]


REPORT_FAILURES = "ReportBatchItemFailures"


def ensure_event_source_mapping(function_name: str, queue_arn: str, batch_size: int = 10) -> str:
    """Lambda reads ``queue_arn`` and runs ``function_name`` with its messages; the mapping's
    UUID, once it is ``Enabled`` (on AWS that takes a few seconds). The mapping reports batch
    item failures: Lambda reads the function's ``batchItemFailures`` and delivers only those
    messages again (without it, Lambda ignores that list)."""
    client = boto3.client("lambda")
    found = client.list_event_source_mappings(FunctionName=function_name, EventSourceArn=queue_arn)[
        "EventSourceMappings"
    ]
    for mapping in found:  # made by an earlier version of this tutorial without the setting
        if REPORT_FAILURES not in mapping.get("FunctionResponseTypes", []):
            client.update_event_source_mapping(
                UUID=mapping["UUID"], FunctionResponseTypes=[REPORT_FAILURES]
            )
    give_up = time.monotonic() + MAPPING_READY_S
    while not found:
        try:  # a new role needs a few seconds on AWS before Lambda sees its SQS permissions
            found = [
                client.create_event_source_mapping(
                    FunctionName=function_name,
                    EventSourceArn=queue_arn,
                    BatchSize=batch_size,
                    FunctionResponseTypes=[REPORT_FAILURES],
                )
            ]
        except client.exceptions.InvalidParameterValueException as error:
            if "permission" not in str(error) or time.monotonic() > give_up:
                raise
            time.sleep(5)
    uuid = found[0]["UUID"]
    while (state := client.get_event_source_mapping(UUID=uuid)["State"]) != "Enabled":
        if time.monotonic() > give_up:
            raise IntegrationSetupError(f"The event source mapping {uuid} is still {state}.")
        time.sleep(2)
    return uuid


WAREHOUSE_FUNCTION = "ReserveStock"
WAREHOUSE_ROLE = NAME_PREFIX + "warehouse-role"


def ensure_warehouse_function(queue_arn: str) -> str:
    """``lambdas/ReserveStock`` as ``sfn-tutorial-ReserveStock``, with a role allowed exactly
    what ``consumer_policy`` says (and to write its log), reading ``queue_arn`` through an
    event source mapping. Returns the function's ARN."""
    role_arn = ensure_role(
        WAREHOUSE_ROLE,
        "lambda.amazonaws.com",
        [LAMBDA_LOGS_POLICY],
        inline_policies={"read-queue-answer-executions": consumer_policy(queue_arn)},
    )
    function = ensure_function(
        WAREHOUSE_FUNCTION, "lambda_function.handler", role_arn, progress=lambda message: None
    )
    ensure_event_source_mapping(function["FunctionName"], queue_arn, batch_size=5)
    return function["FunctionArn"]


# ---------------------------------------------------------------- ECS


def default_subnets() -> list[str]:
    """The subnets of the region's default VPC: where a Fargate task runs with a public IP."""
    ec2 = boto3.client("ec2")
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])
    found = sorted(subnet["SubnetId"] for subnet in subnets["Subnets"])
    if not found:
        raise IntegrationSetupError(
            "This region has no default VPC, which the ECS example runs in. Create one with "
            "`aws ec2 create-default-vpc`, or use a region that has one."
        )
    return found


def ensure_cluster(name: str = JOBS_CLUSTER) -> str:
    """ECS cluster ``name`` (Fargate needs nothing more); its ARN."""
    ecs = boto3.client("ecs")
    return ecs.create_cluster(clusterName=name, tags=tags("key"))["cluster"]["clusterArn"]


def ensure_log_group(name: str) -> None:
    """CloudWatch Logs group ``name``, tagged."""
    logs = boto3.client("logs")
    try:
        logs.create_log_group(logGroupName=name, tags=tags())
    except logs.exceptions.ResourceAlreadyExistsException:
        pass


def execution_role_policy(log_group_arn: str) -> dict:
    """What ECS needs to start the report task: write its container's log (the image is public,
    so pulling it needs no permission)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{log_group_arn}:*",
            }
        ],
    }


def report_container(command: list[str]) -> dict:
    """The report task's one container: the Python image, ``command``, its log in
    ``REPORT_LOG_GROUP`` under the stream prefix ``report``."""
    return {
        "name": "report",
        "image": REPORT_IMAGE,
        "essential": True,
        "command": command,
        "environment": [{"name": "CURRENCY", "value": "KRW"}],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": REPORT_LOG_GROUP,
                "awslogs-region": boto3.session.Session().region_name,
                "awslogs-stream-prefix": "report",
            },
        },
    }


def ensure_task_definition(command: list[str], family: str = REPORT_FAMILY) -> str:
    """A Fargate task definition running ``command`` in the Python image; its ARN. A new
    revision is registered only when the container changed."""
    account, region = account_and_region()
    ensure_log_group(REPORT_LOG_GROUP)
    group_arn = f"arn:aws:logs:{region}:{account}:log-group:{REPORT_LOG_GROUP}"
    role_arn = ensure_role(
        ECS_EXECUTION_ROLE,
        "ecs-tasks.amazonaws.com",
        inline_policies={"write-report-logs": execution_role_policy(group_arn)},
    )
    container = report_container(command)
    ecs = boto3.client("ecs")
    try:
        latest = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    except ecs.exceptions.ClientException:
        latest = None
    if latest and latest.get("status") == "ACTIVE" and _same_container(latest, container):
        return latest["taskDefinitionArn"]
    return ecs.register_task_definition(
        family=family,
        containerDefinitions=[container],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        executionRoleArn=role_arn,
        tags=tags("key"),
    )["taskDefinition"]["taskDefinitionArn"]


def _same_container(task_definition: dict, container: dict) -> bool:
    registered = task_definition["containerDefinitions"][0]
    return all(registered.get(key) == value for key, value in container.items())


# ---------------------------------------------------------------- least privilege


def policy_statements(
    table_arn: str,
    queue_arns: list[str],
    topic_arn: str,
    child_machine_arn: str,
    task_definition_arn: str,
    cluster_arn: str,
    function_arn: str | None = None,
) -> dict[str, dict]:
    """The least-privilege IAM statement of each integration notebook 10 uses, by a short name:
    the state machines' shared role holds exactly these (and ``function_arn``'s, if given)."""
    account, region = account_and_region()
    family = task_definition_arn.rsplit(":", 1)[0]
    child_executions = child_machine_arn.replace(":stateMachine:", ":execution:") + ":*"
    cluster = cluster_arn.rsplit("/", 1)[1]

    def rule(name: str) -> str:
        return f"arn:aws:events:{region}:{account}:rule/{name}"

    statements = {
        "dynamodb": {
            "Effect": "Allow",
            "Action": ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"],
            "Resource": table_arn,
        },
        "dynamodb-missing-table": {
            "Effect": "Allow",
            "Action": "dynamodb:GetItem",
            "Resource": table_arn.rsplit("/", 1)[0] + "/" + MISSING_TABLE,
        },
        "sqs": {
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": list(queue_arns),
        },
        "sns": {"Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn},
        "events": {
            "Effect": "Allow",
            "Action": "events:PutEvents",
            "Resource": f"arn:aws:events:{region}:{account}:event-bus/default",
        },
        "nested": {
            "Effect": "Allow",
            "Action": "states:StartExecution",
            "Resource": child_machine_arn,
        },
        "nested-sync": {
            "Effect": "Allow",
            "Action": ["states:DescribeExecution", "states:StopExecution"],
            "Resource": child_executions,
        },
        "nested-sync-rule": {
            "Effect": "Allow",
            "Action": ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            "Resource": rule(SYNC_RULES["states"]),
        },
        "ecs": {
            "Effect": "Allow",
            "Action": "ecs:RunTask",
            "Resource": f"{family}:*",
        },
        "ecs-sync": {
            "Effect": "Allow",
            "Action": ["ecs:StopTask", "ecs:DescribeTasks"],
            "Resource": f"arn:aws:ecs:{region}:{account}:task/{cluster}/*",
        },
        "ecs-sync-rule": {
            "Effect": "Allow",
            "Action": ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            "Resource": rule(SYNC_RULES["ecs"]),
        },
        "ecs-pass-role": {
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": f"arn:aws:iam::{account}:role/{ECS_EXECUTION_ROLE}",
            "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        },
    }
    if function_arn:  # the function and its versions and aliases, as AWS's template has it
        statements["lambda"] = {
            "Effect": "Allow",
            "Action": "lambda:InvokeFunction",
            "Resource": [function_arn, f"{function_arn}:*"],
        }
    return statements


#: Which statements of ``policy_statements`` a Task needs, by its resource (without ``arn:...:``).
NEEDS = {
    "dynamodb:": ["dynamodb"],
    "aws-sdk:dynamodb:": ["dynamodb"],
    "sqs:sendMessage": ["sqs"],
    "sns:publish": ["sns"],
    "events:putEvents": ["events"],
    "states:startExecution.sync": ["nested", "nested-sync", "nested-sync-rule"],
    "states:startExecution": ["nested"],
    "ecs:runTask.sync": ["ecs", "ecs-sync", "ecs-sync-rule", "ecs-pass-role"],
    "ecs:runTask": ["ecs", "ecs-pass-role"],
    "lambda:invoke": ["lambda"],
}


def needed_statements(resource: str) -> list[str]:
    """The names (keys of ``policy_statements``) of the statements a Task with ``resource``
    needs; ``[]`` for one notebook 10 does not use."""
    call = resource.split(":::", 1)[-1]
    for prefix, names in NEEDS.items():
        if call.startswith(prefix):
            return names
    return []


def permissions_rows(definition: dict, statements: dict) -> list[list[str]]:
    """``[state, resource, actions, resource ARNs]`` for every statement each top-level Task
    state of ``definition`` needs."""
    rows = []
    for name, state in definition.get("States", {}).items():
        resource = state.get("Resource")
        if state.get("Type") != "Task" or not isinstance(resource, str):
            continue
        call = resource.split(":::", 1)[-1].split(".")[0].removeprefix("aws-sdk:")
        parameters = json.dumps(state.get("Parameters") or state.get("Arguments") or {})
        for needed in needed_statements(resource):
            statement = statements.get(needed)
            if statement is None:  # e.g. lambda:invoke when no function ARN was given
                continue
            actions = _listed(statement["Action"])
            targets = _listed(statement["Resource"])
            # a statement shared by several states: show the part this state uses
            actions = [a for a in actions if a.lower() == call.lower()] or actions
            targets = [t for t in targets if _named_in(t, parameters)] or targets
            rows.append(
                [
                    name,
                    resource.split(":::", 1)[-1] if resource else "",
                    ", ".join(actions),
                    ", ".join(targets),
                ]
            )
            name = ""  # the state's name and call once, on its first row
            resource = ""
    return rows


def _listed(value) -> list[str]:
    return value if isinstance(value, list) else [value]


def _named_in(arn: str, text: str) -> bool:
    """Whether the resource ``arn`` names (a queue, a table...) appears in ``text``."""
    name = arn.replace("/", ":").rsplit(":", 1)[-1]
    return bool(name) and name != "*" and name in text


def consumer_policy(queue_arn: str) -> dict:
    """The warehouse function's own permissions: read and delete its queue's messages (what
    the event source mapping does for it) and answer the waiting executions. IAM cannot scope
    ``SendTaskSuccess`` to the tokens of a service integration's Task (only an activity's), so
    its resource is ``*``: whoever holds a token may answer it."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                "Resource": queue_arn,
            },
            {
                "Effect": "Allow",
                "Action": ["states:SendTaskSuccess", "states:SendTaskFailure"],
                "Resource": "*",
            },
        ],
    }


def policy_document(statements) -> dict:
    """An IAM policy document holding ``statements``."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


def statement_json(statement: dict) -> str:
    """One statement as indented JSON, to show beside the state that needs it."""
    return json.dumps(statement, indent=2)
