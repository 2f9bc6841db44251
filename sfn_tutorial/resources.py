"""Idempotent create, update and clean-up of everything the tutorial makes, on either target.

Every resource gets the name prefix ``sfn-tutorial-`` and the tag ``created-by=sfn-tutorial``;
clean-up finds resources by that tag, so it never touches anything else in an account.
"""

from __future__ import annotations

import io
import json
import os
import re
import time
import urllib.parse
import zipfile
from dataclasses import dataclass
from pathlib import Path

import boto3

from sfn_tutorial.i18n import t
from sfn_tutorial.tables import padded

NAME_PREFIX = "sfn-tutorial-"
TAG_KEY = "created-by"
TAG_VALUE = "sfn-tutorial"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
LAMBDAS_DIR = PROJECT_ROOT / "lambdas"
BLOG_DEFINITION_FILE = PROJECT_ROOT / "statemachine" / "transactions.asl.json"
PYTHON_RUNTIME = "python3.12"
IAM_PROPAGATION_TIMEOUT_S = 120
ROLE_SETTLE_S = 10  # what IAM usually needs to spread a new role through AWS

# The blog's two functions: the folder under lambdas/ and the handler, "file.function".
BLOG_FUNCTIONS = {
    "ProcessPurchase": "lambda_function.process_purchase",
    "ProcessRefund": "lambda_function.process_refund",
}
LAMBDA_ROLE = NAME_PREFIX + "lambda-role"
STATES_ROLE = NAME_PREFIX + "states-role"
WORKFLOWS_ROLE = NAME_PREFIX + "workflows-role"
STATE_MACHINE = NAME_PREFIX + "Transactions"
BLOG_STACK = NAME_PREFIX + "blog-stack"  # notebook 12's CloudFormation stack
LAMBDA_LOGS_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
BLOG_STATES_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaRole"
INVOKE_POLICY_NAME = "invoke-tutorial-functions"
STATES_LOG_GROUP_PREFIX = "/aws/vendedlogs/states/"


def resource_name(short_name: str) -> str:
    """The tutorial's name for a resource: ``sfn-tutorial-`` + ``short_name``."""
    return short_name if short_name.startswith(NAME_PREFIX) else NAME_PREFIX + short_name


def tags(style: str = "dict"):
    """The tutorial's tag in the shape each API wants: ``dict`` (Lambda), ``Key`` (IAM) or
    ``key`` (Step Functions)."""
    if style == "Key":
        return [{"Key": TAG_KEY, "Value": TAG_VALUE}]
    if style == "key":
        return [{"key": TAG_KEY, "value": TAG_VALUE}]
    return {TAG_KEY: TAG_VALUE}


# ---------------------------------------------------------------- packaging and policies


def lambda_zip(folder: str) -> bytes:
    """Zip ``lambdas/<folder>`` into a deployment package.

    Files get a fixed timestamp, so the same code always gives the same zip and the same
    ``CodeSha256``: an unchanged function is not redeployed.
    """
    source = LAMBDAS_DIR / folder
    if not source.is_dir():
        raise FileNotFoundError(f"No Lambda code folder {source}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(source.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                info = zipfile.ZipInfo(
                    str(path.relative_to(source)), date_time=(2020, 1, 1, 0, 0, 0)
                )
                info.external_attr = 0o644 << 16
                archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def trust_policy(service: str) -> dict:
    """A role trust policy that lets one AWS service (e.g. ``states.amazonaws.com``) assume it."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }


def invoke_policy(function_arns: list[str]) -> dict:
    """Least privilege for the state machine: invoke these functions (any version), nothing else."""
    resources = [
        arn for function_arn in function_arns for arn in (function_arn, function_arn + ":*")
    ]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": resources}
        ],
    }


def blog_definition(purchase_arn: str, refund_arn: str) -> dict:
    """The blog's state machine, from its one source ``statemachine/transactions.asl.json``
    (the file notebook 12's SAM template deploys): a Choice on ``$.TransactionType`` and one
    Task per function, whose ``${ProcessPurchaseFunctionArn}`` and
    ``${ProcessRefundFunctionArn}`` are filled in as ``DefinitionSubstitutions`` fill them."""
    return substitute(
        BLOG_DEFINITION_FILE.read_text(),
        {"ProcessPurchaseFunctionArn": purchase_arn, "ProcessRefundFunctionArn": refund_arn},
    )


def substitute(definition_text: str, values: dict) -> dict:
    """An ASL file's text with each ``${name}`` of ``values`` replaced by its value, as a state
    machine's ``DefinitionSubstitutions`` replace them, parsed. Other ``${...}`` stay."""

    def replace(match: re.Match) -> str:
        return str(values.get(match.group(1), match.group(0)))

    return json.loads(re.sub(r"\$\{([^}]+)\}", replace, definition_text))


# ---------------------------------------------------------------- waiting for IAM


def retry_while_iam_propagates(call, *args, progress=print, **kwargs):
    """Call ``call(*args, **kwargs)``, retrying while AWS has not yet spread a new role.

    A role is usable by other services only seconds after ``CreateRole`` returns: until then
    Lambda answers "The role defined for the function cannot be assumed by Lambda" and Step
    Functions "Neither the global service principal ... is authorized to assume the provided
    role". Those answers are retried with backoff for up to two minutes; anything else is raised.
    """
    deadline = time.monotonic() + IAM_PROPAGATION_TIMEOUT_S
    delay = 2.0
    while True:
        try:
            return call(*args, **kwargs)
        except Exception as error:  # botocore ClientError, from any client
            if not _is_iam_propagation_error(error) or time.monotonic() > deadline:
                raise
            progress(
                t(
                    "  waiting {delay:.0f} s: the new IAM role is not usable everywhere in AWS yet "
                    "(this is normal right after creating it)",
                    delay=delay,
                )
            )
            time.sleep(delay)
            delay = min(delay * 1.5, 15)


def _is_iam_propagation_error(error: Exception) -> bool:
    message = str(error)
    return "cannot be assumed" in message or "is authorized to assume the provided role" in message


# ---------------------------------------------------------------- ensure (create or update)


def ensure_role(name: str, service: str, managed_policies=(), inline_policies=None) -> str:
    """Create role ``name`` trusted by ``service`` (or bring it up to date); return its ARN."""
    return _ensure_role(name, service, managed_policies, inline_policies)[0]


def _ensure_role(name, service, managed_policies=(), inline_policies=None) -> tuple[str, bool]:
    """``ensure_role``, also saying whether the role is new or its trust policy changed: AWS
    needs a few seconds to spread such a change before services can assume the role."""
    iam = boto3.client("iam")
    wanted = trust_policy(service)
    try:
        arn = iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(wanted),
            Description="Created by the AWS Step Functions tutorial",
            Tags=tags("Key"),
        )["Role"]["Arn"]
        changed = True
    except iam.exceptions.EntityAlreadyExistsException:
        role = iam.get_role(RoleName=name)["Role"]
        arn, current = role["Arn"], role["AssumeRolePolicyDocument"]
        current = json.loads(urllib.parse.unquote(current)) if isinstance(current, str) else current
        changed = current != wanted
        if changed:  # an unchanged trust policy is left alone: no new wait for IAM to spread it
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(wanted))
    for policy_arn in managed_policies:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
    for policy_name, policy in (inline_policies or {}).items():
        iam.put_role_policy(
            RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(policy)
        )
    return arn, changed


def ensure_service_role(name: str, service: str, policy: dict, progress=print) -> str:
    """Create (or update) role ``name`` that ``service`` may assume with ``policy`` as its only
    permissions; return its ARN.

    For services that use the role later, on their own (EventBridge delivering an event, API
    Gateway calling an integration), nothing answers "not yet" as Lambda and Step Functions do
    (``retry_while_iam_propagates``): until the new role has spread through AWS, their calls
    fail quietly and the event is lost. So on the aws target a new role, or one whose trust
    policy changed, is given ``ROLE_SETTLE_S`` seconds first.
    """
    arn, changed = _ensure_role(name, service, inline_policies={"tutorial-permissions": policy})
    if changed and on_aws():
        progress(
            t(
                "  waiting {seconds} s: the new IAM role {name} must spread through AWS before "
                "{service} can use it (this is normal right after creating it)",
                seconds=ROLE_SETTLE_S,
                name=name,
                service=service,
            )
        )
        time.sleep(ROLE_SETTLE_S)
    return arn


def on_aws() -> bool:
    """Whether the notebooks target AWS (``TUTORIAL_TARGET=aws``) rather than the emulator."""
    return (os.environ.get("TUTORIAL_TARGET") or "local").strip().lower() == "aws"


def ensure_function(folder: str, handler: str, role_arn: str, progress=print, **settings) -> dict:
    """Deploy ``lambdas/<folder>`` as function ``sfn-tutorial-<folder>``; wait until Active.

    Creates it, or updates its code and settings if it exists. ``settings`` are extra
    ``CreateFunction`` parameters such as ``Timeout``, ``MemorySize`` or ``Environment``.
    Returns the function's configuration.
    """
    client = boto3.client("lambda")
    name = resource_name(folder)
    code = lambda_zip(folder)
    config = {"Role": role_arn, "Handler": handler, "Runtime": PYTHON_RUNTIME, **settings}
    try:
        retry_while_iam_propagates(
            client.create_function,
            FunctionName=name,
            Code={"ZipFile": code},
            Tags=tags(),
            progress=progress,
            **config,
        )
    except client.exceptions.ResourceConflictException:
        client.update_function_code(FunctionName=name, ZipFile=code)
        client.get_waiter("function_updated_v2").wait(FunctionName=name)
        retry_while_iam_propagates(
            client.update_function_configuration, FunctionName=name, progress=progress, **config
        )
        client.get_waiter("function_updated_v2").wait(FunctionName=name)
    client.get_waiter("function_active_v2").wait(FunctionName=name)
    return client.get_function_configuration(FunctionName=name)


def ensure_log_group(short_name: str, retention_days: int = 7) -> str:
    """A tagged log group for a state machine's logs, ``/aws/vendedlogs/states/sfn-tutorial-
    <short_name>`` (the prefix AWS recommends, which keeps CloudWatch Logs' resource policy
    small); return the ARN a ``loggingConfiguration`` names (ending ``:*``)."""
    logs = boto3.client("logs")
    name = STATES_LOG_GROUP_PREFIX + resource_name(short_name)
    try:
        logs.create_log_group(logGroupName=name, tags=tags())
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    logs.put_retention_policy(logGroupName=name, retentionInDays=retention_days)
    groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    arn = next(group["arn"] for group in groups if group["logGroupName"] == name)
    return arn if arn.endswith(":*") else arn + ":*"


def find_state_machine_arn(name: str) -> str | None:
    """The ARN of the state machine called ``name``, or ``None``."""
    paginator = boto3.client("stepfunctions").get_paginator("list_state_machines")
    for page in paginator.paginate():
        for machine in page["stateMachines"]:
            if machine["name"] == name:
                return machine["stateMachineArn"]
    return None


def ensure_state_machine(
    name: str, definition: dict, role_arn: str, progress=print, **settings
) -> str:
    """Create state machine ``name`` (or update its definition and role); return its ARN.

    ``settings`` are more ``CreateStateMachine`` fields, such as ``type="EXPRESS"`` and a
    ``loggingConfiguration`` (an update applies the logging configuration; the type of a
    machine cannot change, so a different one is a clear error)."""
    sfn = boto3.client("stepfunctions")
    arn = find_state_machine_arn(name)
    if arn:
        wanted = settings.get("type", "STANDARD")
        found = sfn.describe_state_machine(stateMachineArn=arn)["type"]
        if found != wanted:
            raise ValueError(
                f"State machine {name} exists as {found}, and a machine's type cannot change: "
                f"delete it (or run 99_clean_up) to create it as {wanted}."
            )
        updates = {key: settings[key] for key in ("loggingConfiguration",) if key in settings}
        retry_while_iam_propagates(
            sfn.update_state_machine,
            stateMachineArn=arn,
            definition=json.dumps(definition),
            roleArn=role_arn,
            progress=progress,
            **updates,
        )
        return arn
    return retry_while_iam_propagates(
        sfn.create_state_machine,
        name=name,
        definition=json.dumps(definition),
        roleArn=role_arn,
        tags=tags("key"),
        progress=progress,
        **settings,
    )["stateMachineArn"]


@dataclass(frozen=True)
class BlogStack:
    """The ARNs of what notebooks 01-03 create."""

    lambda_role_arn: str
    purchase_arn: str
    refund_arn: str
    states_role_arn: str
    state_machine_arn: str
    definition: dict


def ensure_blog_functions(progress=print) -> dict[str, str]:
    """Notebook 01's work: the functions' role and both functions. Returns ``{folder: ARN}``."""
    lambda_role = ensure_role(LAMBDA_ROLE, "lambda.amazonaws.com", [LAMBDA_LOGS_POLICY])
    return {
        folder: ensure_function(folder, handler, lambda_role, progress=progress)["FunctionArn"]
        for folder, handler in BLOG_FUNCTIONS.items()
    }


def ensure_states_role(function_arns: list[str]) -> str:
    """Notebook 02's work: the state machine's role, allowed to invoke these functions only."""
    return ensure_role(
        STATES_ROLE,
        "states.amazonaws.com",
        inline_policies={INVOKE_POLICY_NAME: invoke_policy(function_arns)},
    )


def workflows_policy(region: str, account_id: str) -> dict:
    """What the state machines of notebooks 06-08 may do, scoped to the tutorial's own names:
    invoke ``sfn-tutorial-*`` functions, read and write ``sfn-tutorial-*`` buckets, and run
    the child executions of a Distributed Map of an ``sfn-tutorial-*`` state machine."""
    functions = f"arn:aws:lambda:{region}:{account_id}:function:{NAME_PREFIX}*"
    machines = f"arn:aws:states:{region}:{account_id}:stateMachine:{NAME_PREFIX}*"
    executions = f"arn:aws:states:{region}:{account_id}:execution:{NAME_PREFIX}*"
    buckets = f"arn:aws:s3:::{NAME_PREFIX}*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "lambda:InvokeFunction",
                "Resource": [functions, functions + ":*"],
            },
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                "Resource": [buckets, buckets + "/*"],
            },
            {
                "Effect": "Allow",
                "Action": [
                    "states:StartExecution",
                    "states:DescribeExecution",
                    "states:StopExecution",
                ],
                "Resource": [machines, executions + ":*"],
            },
        ],
    }


def ensure_workflows_role() -> str:
    """The role of notebooks 06-08's state machines (see ``workflows_policy``); return its ARN."""
    session = boto3.session.Session()
    account_id = boto3.client("sts").get_caller_identity()["Account"]
    policy = workflows_policy(session.region_name, account_id)
    return ensure_role(
        WORKFLOWS_ROLE, "states.amazonaws.com", inline_policies={"tutorial-workflows": policy}
    )


def ensure_blog_stack(progress=print) -> BlogStack:
    """Everything notebooks 01-03 create, created or updated so a later notebook can run alone."""
    functions = ensure_blog_functions(progress)
    arns = [functions["ProcessPurchase"], functions["ProcessRefund"]]
    states_role = ensure_states_role(arns)
    definition = blog_definition(*arns)
    machine = ensure_state_machine(STATE_MACHINE, definition, states_role, progress=progress)
    lambda_role = boto3.client("iam").get_role(RoleName=LAMBDA_ROLE)["Role"]["Arn"]
    return BlogStack(lambda_role, *arns, states_role, machine, definition)


# ---------------------------------------------------------------- find and clean up


# What clean-up finds and deletes, by kind (in English: ``i18n.t`` translates a kind for display)
KINDS = (
    "CloudFormation stack",
    "event source mapping",
    "EventBridge rule",
    "REST API",
    "HTTP API",
    "state machine alias",
    "state machine version",
    "state machine",
    "activity",
    "Lambda function",
    "CloudWatch alarm",
    "SQS queue",
    "SNS subscription",
    "SNS topic",
    "DynamoDB table",
    "ECS cluster",
    "ECS task definition",
    "log group",
    "S3 bucket",
    "IAM role",
)


@dataclass(frozen=True)
class Resource:
    """One thing the tutorial created."""

    kind: str  # one of KINDS
    name: str
    arn: str


def find_tutorial_resources() -> list[Resource]:
    """Everything on the current target that carries the tutorial's tag (stacks first: what a
    stack made is deleted with it)."""
    return [
        *_stacks(),
        *_event_source_mappings(),
        *_event_rules(),
        *_rest_apis(),
        *_http_apis(),
        *_aliases_and_versions(),
        *_state_machines(),
        *_activities(),
        *_functions(),
        *_alarms(),
        *_queues(),
        *_subscriptions(),
        *_topics(),
        *_tables(),
        *_ecs_clusters(),
        *_task_definitions(),
        *_log_groups(),
        *_buckets(),
        *_roles(),
    ]


def _tagged(tag_map: dict) -> bool:
    return tag_map.get(TAG_KEY) == TAG_VALUE


def _stacks():
    """CloudFormation stacks tagged as the tutorial's (their tags are on what they made too)."""
    cloudformation = boto3.client("cloudformation")
    for page in cloudformation.get_paginator("describe_stacks").paginate():
        for stack in page["Stacks"]:
            found = {tag["Key"]: tag["Value"] for tag in stack.get("Tags", [])}
            if stack["StackStatus"] != "DELETE_COMPLETE" and _tagged(found):
                yield Resource("CloudFormation stack", stack["StackName"], stack["StackId"])


def _state_machines():
    return _tagged_in_step_functions(
        "state machine", "list_state_machines", "stateMachines", "stateMachineArn"
    )


def _activities():
    return _tagged_in_step_functions("activity", "list_activities", "activities", "activityArn")


def _tagged_in_step_functions(kind: str, operation: str, key: str, arn_key: str):
    """The tutorial's items in one Step Functions listing (``operation``'s pages, items under
    ``key``, each's ARN under ``arn_key``), as ``kind`` resources."""
    sfn = boto3.client("stepfunctions")
    for page in sfn.get_paginator(operation).paginate():
        for item in page[key]:
            arn = item[arn_key]
            found = sfn.list_tags_for_resource(resourceArn=arn)["tags"]
            if _tagged({tag["key"]: tag["value"] for tag in found}):
                yield Resource(kind, item["name"], arn)


def _aliases_and_versions():
    """The aliases, then the versions, of the tutorial's state machines: deleting a machine
    deletes them too, but listed they show what clean-up removes (aliases first: a version an
    alias routes to cannot be deleted)."""
    sfn = boto3.client("stepfunctions")
    machines = list(_state_machines())
    for kind, action, key, item_key in (
        (
            "state machine alias",
            "list_state_machine_aliases",
            "stateMachineAliases",
            "stateMachineAliasArn",
        ),
        (
            "state machine version",
            "list_state_machine_versions",
            "stateMachineVersions",
            "stateMachineVersionArn",
        ),
    ):
        for machine in machines:
            token: dict = {}
            while True:  # botocore has no paginators for these two
                page = getattr(sfn, action)(stateMachineArn=machine.arn, **token)
                for item in page[key]:
                    arn = item[item_key]
                    yield Resource(kind, f"{machine.name}:{arn.rsplit(':', 1)[1]}", arn)
                if not page.get("nextToken"):
                    break
                token = {"nextToken": page["nextToken"]}


def _alarms():
    cloudwatch = boto3.client("cloudwatch")
    for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmNamePrefix=NAME_PREFIX):
        for alarm in page["MetricAlarms"] + page.get("CompositeAlarms", []):
            found = cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]
            if _tagged({tag["Key"]: tag["Value"] for tag in found}):
                yield Resource("CloudWatch alarm", alarm["AlarmName"], alarm["AlarmArn"])


def _subscriptions():
    """The subscriptions of the tutorial's topics (deleting a topic deletes them too; one still
    waiting for its confirmation, such as an e-mail address, has no ARN and goes with it)."""
    sns = boto3.client("sns")
    for topic in list(_topics()):
        pages = sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic.arn)
        for page in pages:
            for subscription in page["Subscriptions"]:
                arn = subscription["SubscriptionArn"]
                if arn.startswith("arn:"):
                    endpoint = subscription["Endpoint"].split(":")[-1]
                    name = f"{topic.name} -> {subscription['Protocol']}:{endpoint}"
                    yield Resource("SNS subscription", name, arn)


def _functions():
    client = boto3.client("lambda")
    for page in client.get_paginator("list_functions").paginate():
        for function in page["Functions"]:
            arn = function["FunctionArn"]
            if _tagged(client.list_tags(Resource=arn).get("Tags", {})):
                yield Resource("Lambda function", function["FunctionName"], arn)


#: Where the tutorial's log groups live: Lambda's own (untagged, made by Lambda, found by the
#: prefix), and, tagged, the state machines' and the ECS tasks' (``/ecs/sfn-tutorial-...``).
LAMBDA_LOG_GROUP_PREFIX = "/aws/lambda/" + NAME_PREFIX
TAGGED_LOG_GROUP_PREFIXES = (STATES_LOG_GROUP_PREFIX + NAME_PREFIX, "/ecs/" + NAME_PREFIX)


def _log_groups():
    """Lambda creates its log groups itself, untagged: they are found by the name prefix. The
    groups state machines log to (``ensure_log_group``) and ECS tasks write to carry the tag
    as well."""
    logs = boto3.client("logs")
    paginator = logs.get_paginator("describe_log_groups")
    for page in paginator.paginate(logGroupNamePrefix=LAMBDA_LOG_GROUP_PREFIX):
        for group in page["logGroups"]:
            yield Resource("log group", group["logGroupName"], group["arn"])
    for prefix in TAGGED_LOG_GROUP_PREFIXES:
        for page in paginator.paginate(logGroupNamePrefix=prefix):
            for group in page["logGroups"]:
                arn = group["arn"].removesuffix(":*")
                if _tagged(logs.list_tags_for_resource(resourceArn=arn).get("tags", {})):
                    yield Resource("log group", group["logGroupName"], group["arn"])


def _event_source_mappings():
    """Event source mappings of the tutorial's functions (found by the function's name)."""
    client = boto3.client("lambda")
    for page in client.get_paginator("list_event_source_mappings").paginate():
        for mapping in page["EventSourceMappings"]:
            function = mapping.get("FunctionArn", "").split(":")[6:7]
            if function and function[0].startswith(NAME_PREFIX):
                name = f"{function[0]} <- {mapping.get('EventSourceArn', '').split(':')[-1]}"
                arn = mapping.get("EventSourceMappingArn") or mapping["UUID"]
                yield Resource("event source mapping", name, arn + "#" + mapping["UUID"])


def _queues():
    sqs = boto3.client("sqs")
    for page in sqs.get_paginator("list_queues").paginate(QueueNamePrefix=NAME_PREFIX):
        for url in page.get("QueueUrls", []):
            if _tagged(sqs.list_queue_tags(QueueUrl=url).get("Tags", {})):
                yield Resource("SQS queue", url.rsplit("/", 1)[1], url)


def _topics():
    sns = boto3.client("sns")
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page["Topics"]:
            arn = topic["TopicArn"]
            if not arn.split(":")[-1].startswith(NAME_PREFIX):
                continue
            found = sns.list_tags_for_resource(ResourceArn=arn)["Tags"]
            if _tagged({tag["Key"]: tag["Value"] for tag in found}):
                yield Resource("SNS topic", arn.split(":")[-1], arn)


def _tables():
    dynamodb = boto3.client("dynamodb")
    for page in dynamodb.get_paginator("list_tables").paginate():
        for name in page["TableNames"]:
            if not name.startswith(NAME_PREFIX):
                continue
            arn = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
            found = dynamodb.list_tags_of_resource(ResourceArn=arn).get("Tags", [])
            if _tagged({tag["Key"]: tag["Value"] for tag in found}):
                yield Resource("DynamoDB table", name, arn)


def _ecs_clusters():
    ecs = boto3.client("ecs")
    arns = [
        arn for page in ecs.get_paginator("list_clusters").paginate() for arn in page["clusterArns"]
    ]
    for start in range(0, len(arns), 100):
        described = ecs.describe_clusters(clusters=arns[start : start + 100], include=["TAGS"])
        for cluster in described["clusters"]:
            found = {tag["key"]: tag["value"] for tag in cluster.get("tags", [])}
            if cluster["status"] == "ACTIVE" and _tagged(found):
                yield Resource("ECS cluster", cluster["clusterName"], cluster["clusterArn"])


def _task_definitions():
    """Every revision of the tutorial's ECS task definitions (active or not yet deleted)."""
    ecs = boto3.client("ecs")
    families = ecs.get_paginator("list_task_definition_families")
    names = [
        family
        for page in families.paginate(familyPrefix=NAME_PREFIX, status="ALL")
        for family in page["families"]
    ]
    for family, status in [
        (family, status) for family in names for status in ("ACTIVE", "INACTIVE")
    ]:
        paginator = ecs.get_paginator("list_task_definitions")  # familyPrefix: a whole family
        for page in paginator.paginate(familyPrefix=family, status=status):
            for arn in page["taskDefinitionArns"]:
                found = ecs.list_tags_for_resource(resourceArn=arn).get("tags", [])
                if _tagged({tag["key"]: tag["value"] for tag in found}):
                    name = arn.rsplit("/", 1)[1]
                    yield Resource("ECS task definition", name, arn)


def _event_rules():
    """Rules on the default event bus (their targets go with them)."""
    events = boto3.client("events")
    for page in events.get_paginator("list_rules").paginate():
        for rule in page["Rules"]:
            found = events.list_tags_for_resource(ResourceARN=rule["Arn"])["Tags"]
            if _tagged({tag["Key"]: tag["Value"] for tag in found}):
                yield Resource("EventBridge rule", rule["Name"], rule["Arn"])


def _rest_apis():
    client = boto3.client("apigateway")
    for page in client.get_paginator("get_rest_apis").paginate():
        for api in page["items"]:
            if _tagged(api.get("tags", {})):
                arn = f"arn:aws:apigateway:{client.meta.region_name}::/restapis/{api['id']}"
                yield Resource("REST API", api["name"], arn)


def _http_apis():
    client = boto3.client("apigatewayv2")
    for page in client.get_paginator("get_apis").paginate():
        for api in page["Items"]:
            if _tagged(api.get("Tags", {})):
                arn = f"arn:aws:apigateway:{client.meta.region_name}::/apis/{api['ApiId']}"
                yield Resource("HTTP API", api["Name"], arn)


def _roles():
    iam = boto3.client("iam")
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            if not role["RoleName"].startswith(NAME_PREFIX):
                continue  # saves a call per role in accounts with many roles
            found = iam.list_role_tags(RoleName=role["RoleName"])["Tags"]
            if _tagged({tag["Key"]: tag["Value"] for tag in found}):
                yield Resource("IAM role", role["RoleName"], role["Arn"])


def _buckets():
    """S3 buckets named ``sfn-tutorial-...`` that carry the tag (listing buckets shows no tags)."""
    s3 = boto3.client("s3")
    for bucket in s3.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        if not name.startswith(NAME_PREFIX):
            continue
        try:
            found = s3.get_bucket_tagging(Bucket=name)["TagSet"]
        except s3.exceptions.ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchTagSet", "NoSuchBucket"):
                continue  # untagged: not the tutorial's
            raise
        if _tagged({tag["Key"]: tag["Value"] for tag in found}):
            yield Resource("S3 bucket", name, f"arn:aws:s3:::{name}")


def _delete_bucket(name: str) -> None:
    """S3 deletes only empty buckets: every object version and delete marker goes first."""
    s3 = boto3.client("s3")
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
        doomed = [
            {"Key": entry["Key"], "VersionId": entry["VersionId"]}
            for entry in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if doomed:
            s3.delete_objects(Bucket=name, Delete={"Objects": doomed, "Quiet": True})
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        doomed = [{"Key": entry["Key"]} for entry in page.get("Contents", [])]
        if doomed:
            s3.delete_objects(Bucket=name, Delete={"Objects": doomed, "Quiet": True})
    s3.delete_bucket(Bucket=name)


def delete_resource(resource: Resource) -> None:
    """Delete one tutorial resource (a role loses its policies first, as IAM requires; a bucket
    its objects and their versions, as S3 requires): the deleter of its kind in ``DELETERS``."""
    deleter = DELETERS.get(resource.kind)
    if deleter is None:
        raise ValueError(f"Unknown resource kind {resource.kind!r}")
    deleter(resource)


STACK_WAIT = {"Delay": 3, "MaxAttempts": 400}  # CloudFormation works in minutes: up to 20


def _delete_stack(stack_id: str) -> None:
    """Delete a stack and wait until CloudFormation has deleted everything it made; a resource
    it could not delete is named in the error."""
    cloudformation = boto3.client("cloudformation")
    cloudformation.delete_stack(StackName=stack_id)
    try:
        cloudformation.get_waiter("stack_delete_complete").wait(
            StackName=stack_id, WaiterConfig=STACK_WAIT
        )
    except Exception as error:
        events = cloudformation.describe_stack_events(StackName=stack_id)["StackEvents"]
        failed = [
            f"{event['LogicalResourceId']}: {event.get('ResourceStatusReason', '')}"
            for event in events
            if event["ResourceStatus"] == "DELETE_FAILED"
        ]
        raise RuntimeError(f"Stack {stack_id} was not deleted: {failed or error}") from None


def _delete_rule(name: str) -> None:
    """A rule's targets must be removed before the rule can be deleted."""
    events = boto3.client("events")
    for page in events.get_paginator("list_targets_by_rule").paginate(Rule=name):
        if page["Targets"]:
            events.remove_targets(Rule=name, Ids=[target["Id"] for target in page["Targets"]])
    events.delete_rule(Name=name)


def _delete_cluster(arn: str) -> None:
    """ECS deletes only a cluster without tasks: running ones are stopped first."""
    ecs = boto3.client("ecs")
    for page in ecs.get_paginator("list_tasks").paginate(cluster=arn, desiredStatus="RUNNING"):
        for task in page["taskArns"]:
            ecs.stop_task(cluster=arn, task=task, reason="sfn-tutorial clean-up")
    ecs.delete_cluster(cluster=arn)


def _delete_task_definition(arn: str) -> None:
    """A task definition is deregistered (INACTIVE), then deleted."""
    ecs = boto3.client("ecs")
    if ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]["status"] == "ACTIVE":
        ecs.deregister_task_definition(taskDefinition=arn)
    ecs.delete_task_definitions(taskDefinitions=[arn])


def _delete_role(name: str) -> None:
    iam = boto3.client("iam")
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
        for policy in page["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
        for policy_name in page["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
    iam.delete_role(RoleName=name)


def _last_part(arn: str, separator: str) -> str:
    return arn.rsplit(separator, 1)[1]


# How each kind in KINDS is deleted; each deleter takes the Resource (its arn or its name, as the
# service's delete call asks) and creates its client when it runs, on the target of that moment.
DELETERS = {
    "CloudFormation stack": lambda r: _delete_stack(r.arn),
    "event source mapping": lambda r: boto3.client("lambda").delete_event_source_mapping(
        UUID=_last_part(r.arn, "#")
    ),
    "EventBridge rule": lambda r: _delete_rule(r.name),
    "REST API": lambda r: boto3.client("apigateway").delete_rest_api(
        restApiId=_last_part(r.arn, "/")
    ),
    "HTTP API": lambda r: boto3.client("apigatewayv2").delete_api(ApiId=_last_part(r.arn, "/")),
    "state machine alias": lambda r: boto3.client("stepfunctions").delete_state_machine_alias(
        stateMachineAliasArn=r.arn
    ),
    "state machine version": lambda r: boto3.client("stepfunctions").delete_state_machine_version(
        stateMachineVersionArn=r.arn
    ),
    "state machine": lambda r: boto3.client("stepfunctions").delete_state_machine(
        stateMachineArn=r.arn
    ),
    "activity": lambda r: boto3.client("stepfunctions").delete_activity(activityArn=r.arn),
    "Lambda function": lambda r: boto3.client("lambda").delete_function(FunctionName=r.name),
    "CloudWatch alarm": lambda r: boto3.client("cloudwatch").delete_alarms(AlarmNames=[r.name]),
    "SQS queue": lambda r: boto3.client("sqs").delete_queue(QueueUrl=r.arn),
    "SNS subscription": lambda r: boto3.client("sns").unsubscribe(SubscriptionArn=r.arn),
    "SNS topic": lambda r: boto3.client("sns").delete_topic(TopicArn=r.arn),
    "DynamoDB table": lambda r: boto3.client("dynamodb").delete_table(TableName=r.name),
    "ECS cluster": lambda r: _delete_cluster(r.arn),
    "ECS task definition": lambda r: _delete_task_definition(r.arn),
    "log group": lambda r: boto3.client("logs").delete_log_group(logGroupName=r.name),
    "S3 bucket": lambda r: _delete_bucket(r.name),
    "IAM role": lambda r: _delete_role(r.name),
}


def clean_up(progress=print) -> list[Resource]:
    """Delete every tutorial resource on the current target; return what was deleted.

    Stacks go first, each with everything it made (deleting those one by one would leave the
    stack unable to delete them itself); then whatever else carries the tag."""
    deleted = []
    for stack in list(_stacks()):
        delete_resource(stack)
        progress(
            t(
                "deleted {kind} {name} (and what it made)",
                kind=padded(t(stack.kind), 15),
                name=stack.name,
            )
        )
        deleted.append(stack)
    for resource in find_tutorial_resources():
        delete_resource(resource)
        kind = padded(t(resource.kind), 15)
        progress(t("deleted {kind} {name}", kind=kind, name=resource.name))
        deleted.append(resource)
    return deleted
