"""IAM enforced on the local target (sfn_tutorial/emulator/iam/authorization.py), on the running
emulator.

Every test says what AWS does: a state machine acts as its role, a Lambda handler as its
function's role, and a call the role's policies do not allow is refused with IAM's message.
"""

import json
import re
import uuid

import boto3
import lambda_code
import pytest
from botocore.exceptions import ClientError

from sfn_tutorial import executions
from sfn_tutorial.emulator.iam import authorization, service_roles

ECHO = "def handler(event, context):\n    return event\n"
LIST_TABLES = """
import boto3
def handler(event, context):
    print("listing tables")
    try:
        return {"tables": boto3.client("dynamodb").list_tables()["TableNames"]}
    except Exception as error:
        return {"error": error.response["Error"]["Code"], "message": str(error)}
"""


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def trust(*services: str) -> str:
    statement = {"Effect": "Allow", "Principal": {"Service": list(services)}}
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{**statement, "Action": "sts:AssumeRole"}]}
    )


def allow(action, resource="*") -> dict:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    return {"Version": "2012-10-17", "Statement": [statement]}


def role(services=("states.amazonaws.com",), policy: dict | None = None, managed=()) -> str:
    """A new role that ``services`` may assume, with ``policy`` inline; its ARN."""
    iam = boto3.client("iam")
    name = unique("iam-test")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(*services))["Role"]["Arn"]
    if policy is not None:
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    for policy_arn in managed:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
    return arn


def function(source: str, role_arn: str) -> str:
    return lambda_code.python_function(unique("iam-test"), source, role_arn)


def run(definition: dict, role_arn: str, execution_input=None, name: str | None = None) -> dict:
    """Create a state machine (named ``name``, else a new name) with ``role_arn``, run it to
    its end; its description."""
    sfn = boto3.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=name or unique("iam-test"), definition=json.dumps(definition), roleArn=role_arn
    )["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps(execution_input or {}))[
        "executionArn"
    ]
    return executions.wait_for_execution(arn, timeout_s=60)


def task(resource: str, **fields) -> dict:
    return {
        "StartAt": "Call",
        "States": {"Call": {"Type": "Task", "Resource": resource, "End": True, **fields}},
    }


def failure(description: dict) -> tuple[str, str]:
    assert description["status"] == "FAILED", description
    return description["error"], description["cause"]


def refused(role_arn: str, action: str, resource: str, session: str = r"[A-Za-z]{32}") -> str:
    """IAM's message for a role session refused ``action`` on ``resource``, as a pattern."""
    principal = r"arn:aws:sts::\d{12}:assumed-role/" + re.escape(role_arn.split("/")[-1])
    action = re.escape(action)
    return (
        f"User: {principal}/{session} is not authorized to perform: {action} on resource: "
        f"{re.escape(resource)} because no identity-based policy allows the {action} action"
    )


@pytest.fixture(scope="module")
def lambda_role(emulator):
    return role(("lambda.amazonaws.com",), managed=[authorization_logs_policy()])


def authorization_logs_policy() -> str:
    return "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


@pytest.fixture(scope="module")
def echo(lambda_role):
    return function(ECHO, lambda_role)


# ---------------------------------------------------------------- creating a state machine


def test_a_role_that_does_not_exist_is_refused_at_create(emulator):
    # AWS: AccessDeniedException, "Neither the global service principal states.amazonaws.com,
    # nor the regional one is authorized to assume the provided role."
    missing = f"arn:aws:iam::{emulator.account_id}:role/{unique('no-such-role')}"
    with pytest.raises(ClientError) as raised:
        run({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, missing)
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    assert raised.value.response["Error"]["Message"] == authorization.CANNOT_ASSUME


def test_a_role_step_functions_may_not_assume_is_refused_at_create_and_update(emulator):
    lambda_only = role(("lambda.amazonaws.com",), allow("*"))
    sfn = boto3.client("stepfunctions")
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    with pytest.raises(sfn.exceptions.ClientError) as raised:
        sfn.create_state_machine(
            name=unique("iam-test"), definition=definition, roleArn=lambda_only
        )
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    machine = sfn.create_state_machine(
        name=unique("iam-test"), definition=definition, roleArn=role(policy=allow("*"))
    )["stateMachineArn"]
    with pytest.raises(ClientError) as raised:
        sfn.update_state_machine(stateMachineArn=machine, roleArn=lambda_only)
    assert raised.value.response["Error"]["Message"] == authorization.CANNOT_ASSUME


def test_a_regional_principal_is_trusted_too(emulator):
    regional = role((f"states.{boto3.session.Session().region_name}.amazonaws.com",))
    assert (
        run({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, regional)["status"]
        == "SUCCEEDED"
    )


# ---------------------------------------------------------------- Lambda tasks


def test_a_role_without_invoke_fails_a_lambda_invoke_task(echo):
    # AWS: Lambda.AWSLambdaException, cause "User: arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
    # is not authorized to perform: lambda:InvokeFunction on resource: ARN because no
    # identity-based policy allows the lambda:InvokeFunction action (Service: AWSLambda; Status
    # Code: 403; Error Code: AccessDeniedException; Request ID: ...; Proxy: null)"
    powerless = role(policy=allow("lambda:GetFunction"))
    definition = task("arn:aws:states:::lambda:invoke", Parameters={"FunctionName": echo})
    error, cause = failure(run(definition, powerless))
    assert error == "Lambda.AWSLambdaException"
    message = refused(powerless, "lambda:InvokeFunction", echo)
    pattern = message + r" \(Service: AWSLambda; Status Code: 403; Error Code: "
    pattern += r"AccessDeniedException; Request ID: [0-9a-f-]{36}; Proxy: null\)"
    assert re.fullmatch(pattern, cause), cause


def test_a_role_without_invoke_fails_a_bare_arn_task(echo):
    powerless = role()
    error, cause = failure(run(task(echo), powerless))
    assert error == "Lambda.AWSLambdaException"
    assert "is not authorized to perform: lambda:InvokeFunction on resource: " + echo in cause


def test_a_least_privilege_role_invokes_its_function_and_no_other(echo, lambda_role):
    other = function(ECHO, lambda_role)
    only_echo = role(policy=allow("lambda:InvokeFunction", [echo, echo + ":*"]))
    definition = task("arn:aws:states:::lambda:invoke", Parameters={"FunctionName": echo})
    assert run(definition, only_echo)["status"] == "SUCCEEDED"
    definition = task("arn:aws:states:::lambda:invoke", Parameters={"FunctionName": other})
    assert "lambda:InvokeFunction on resource: " + other in failure(run(definition, only_echo))[1]


def test_the_blogs_managed_policy_allows_every_function(echo):
    blog = role(managed=["arn:aws:iam::aws:policy/service-role/AWSLambdaRole"])
    assert run(task(echo), blog, {"n": 1})["output"] == '{"n":1}'


def test_an_explicit_deny_wins(echo):
    iam = boto3.client("iam")
    arn = role(policy=allow("lambda:InvokeFunction"))
    deny = {"Effect": "Deny", "Action": "lambda:*", "Resource": echo}
    iam.put_role_policy(
        RoleName=arn.split("/")[-1],
        PolicyName="deny",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [deny]}),
    )
    cause = failure(run(task(echo), arn))[1]
    assert "with an explicit deny in an identity-based policy" in cause


# ---------------------------------------------------------------- service integrations


def test_a_role_without_the_action_fails_a_dynamodb_task(emulator):
    dynamodb = boto3.client("dynamodb")
    table = unique("iam-test")
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    table_arn = dynamodb.describe_table(TableName=table)["Table"]["TableArn"]
    readonly = role(policy=allow("dynamodb:GetItem", table_arn))
    put = task(
        "arn:aws:states:::dynamodb:putItem",
        Parameters={"TableName": table, "Item": {"id": {"S": "1"}}},
    )
    error, cause = failure(run(put, readonly))
    # AWS: DynamoDB does not model AccessDeniedException: the SDK's generic exception
    assert error == "DynamoDB.AmazonDynamoDBException"
    assert re.match(refused(readonly, "dynamodb:PutItem", table_arn), cause), cause
    assert (
        "(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: AccessDeniedException;" in cause
    )
    writer = role(policy=allow("dynamodb:PutItem", table_arn))
    assert run(put, writer)["status"] == "SUCCEEDED"


def test_a_role_without_send_message_fails_an_sqs_task(emulator):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=unique("iam-test"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    send = task(
        "arn:aws:states:::sqs:sendMessage", Parameters={"QueueUrl": url, "MessageBody": "hi"}
    )
    error, cause = failure(run(send, role(policy=allow("sqs:ReceiveMessage", queue_arn))))
    assert error.startswith("SQS.")
    assert "is not authorized to perform: sqs:SendMessage on resource: " + queue_arn in cause
    assert run(send, role(policy=allow("sqs:SendMessage", queue_arn)))["status"] == "SUCCEEDED"


def test_a_role_without_publish_fails_an_sns_task_and_actions_ignore_case(emulator):
    # AWS: SNS refuses with AuthorizationError, its action spelled "SNS:Publish"; the SDK models
    # it as AuthorizationErrorException. IAM compares actions without regard to case.
    topic = boto3.client("sns").create_topic(Name=unique("iam-test"))["TopicArn"]
    publish = task("arn:aws:states:::sns:publish", Parameters={"TopicArn": topic, "Message": "hi"})
    error, cause = failure(run(publish, role(policy=allow("sns:Subscribe", topic))))
    assert error == "SNS.AuthorizationErrorException", (error, cause)
    assert "is not authorized to perform: SNS:Publish on resource: " + topic in cause
    assert "(Service: AmazonSNS; Status Code: 403; Error Code: AuthorizationError;" in cause
    assert run(publish, role(policy=allow("SNS:publish", topic)))["status"] == "SUCCEEDED"


def test_a_role_without_put_events_fails_an_eventbridge_task(emulator):
    put = task(
        "arn:aws:states:::events:putEvents",
        Parameters={"Entries": [{"Source": "tutorial.test", "DetailType": "t", "Detail": {}}]},
    )
    error, cause = failure(run(put, role(policy=allow("events:DescribeRule"))))
    assert error == "EventBridge.AccessDeniedException", (error, cause)
    bus = f"arn:aws:events:{boto3.session.Session().region_name}:{emulator.account_id}"
    assert f"events:PutEvents on resource: {bus}:event-bus/default because" in cause
    assert (
        "(Service: AmazonEventBridge; Status Code: 400; Error Code: AccessDeniedException;" in cause
    )
    assert run(put, role(policy=allow("events:PutEvents")))["status"] == "SUCCEEDED"


def test_an_aws_sdk_task_acts_as_the_role_too(emulator):
    list_tables = task("arn:aws:states:::aws-sdk:dynamodb:listTables", Parameters={})
    cause = failure(run(list_tables, role(policy=allow("dynamodb:DescribeTable"))))[1]
    assert "is not authorized to perform: dynamodb:ListTables" in cause
    assert run(list_tables, role(policy=allow("dynamodb:ListTables")))["status"] == "SUCCEEDED"


def test_a_schedule_is_authorised_in_its_group(emulator, echo):
    # AWS: scheduler:CreateSchedule is checked against
    # arn:aws:scheduler:REGION:ACCOUNT:schedule/GROUP/NAME; GroupName travels in the request's
    # JSON body, the name in its path.
    group = unique("iam-test")
    boto3.client("scheduler").create_schedule_group(Name=group)
    parameters = {
        "Name": "nightly",
        "GroupName": group,
        "ScheduleExpression": "rate(1 day)",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": {"Arn": echo, "RoleArn": role(("scheduler.amazonaws.com",))},
    }
    create = task("arn:aws:states:::aws-sdk:scheduler:createSchedule", Parameters=parameters)
    schedules = f"arn:aws:scheduler:{emulator.region}:{emulator.account_id}:schedule"
    cause = failure(
        run(create, role(policy=allow("scheduler:CreateSchedule", f"{schedules}/default/*")))
    )[1]
    assert f"scheduler:CreateSchedule on resource: {schedules}/{group}/nightly " in cause
    in_group = role(policy=allow("scheduler:CreateSchedule", f"{schedules}/{group}/*"))
    assert run(create, in_group)["status"] == "SUCCEEDED"


def test_start_execution_sync_needs_start_and_describe(emulator):
    child = run({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, role())
    child_machine = child["stateMachineArn"]
    sync = task(
        "arn:aws:states:::states:startExecution.sync", Parameters={"StateMachineArn": child_machine}
    )
    error, cause = failure(run(sync, role()))
    assert error == "StepFunctions.AWSStepFunctionsException", (error, cause)
    assert "states:StartExecution on resource: " + child_machine in cause
    executions_arn = child_machine.replace(":stateMachine:", ":execution:") + ":*"
    both = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "states:StartExecution", "Resource": child_machine},
            {
                "Effect": "Allow",
                "Action": ["states:DescribeExecution", "states:StopExecution"],
                "Resource": executions_arn,
            },
        ],
    }
    assert run(sync, role(policy=both))["status"] == "SUCCEEDED"


# ---------------------------------------------------------------- Distributed Map


def distributed_map(items_from_s3: dict | None = None) -> dict:
    processor = {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "End": True}},
    }
    state = {"Type": "Map", "ItemProcessor": processor, "End": True}
    if items_from_s3:
        state["ItemReader"] = items_from_s3
    return {"StartAt": "Map", "States": {"Map": state}}


def test_a_distributed_map_needs_start_execution_on_its_state_machine(emulator):
    # AWS ("IAM policies for using Distributed Map states"): states:StartExecution on the
    # state machine's own ARN, not on the map's labelled one (stateMachine:NAME/Map).
    name = unique("iam-test")
    machine = f"arn:aws:states:{emulator.region}:{emulator.account_id}:stateMachine:{name}"
    error, cause = failure(run(distributed_map(), role(), [1, 2]))
    assert error == "States.Runtime"
    assert "is not authorized to perform: states:StartExecution on resource: " in cause
    allowed = role(policy=allow("states:StartExecution", machine))
    assert run(distributed_map(), allowed, [1, 2], name=name)["output"] == "[1,2]"


def test_a_distributed_map_reads_s3_only_if_its_role_may(emulator):
    s3 = boto3.client("s3")
    bucket = unique("iam-test")
    s3.create_bucket(
        Bucket=bucket,
        CreateBucketConfiguration={"LocationConstraint": boto3.session.Session().region_name},
    )
    s3.put_object(Bucket=bucket, Key="items.json", Body=b"[1, 2, 3]")
    reader = {
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSON"},
        "Parameters": {"Bucket": bucket, "Key": "items.json"},
    }
    starts = {"Effect": "Allow", "Action": "states:StartExecution", "Resource": "*"}
    only_starts = role(policy={"Version": "2012-10-17", "Statement": [starts]})
    error, cause = failure(run(distributed_map(reader), only_starts))
    assert f's3:GetObject on resource: "arn:aws:s3:::{bucket}/items.json"' in cause or (
        f"s3:GetObject on resource: arn:aws:s3:::{bucket}/items.json" in cause
    ), (error, cause)
    reads = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
    both = role(policy={"Version": "2012-10-17", "Statement": [starts, reads]})
    assert run(distributed_map(reader), both)["output"] == "[1,2,3]"


# ---------------------------------------------------------------- a handler's own calls


def test_a_handler_acts_as_its_functions_role(emulator):
    logs_only = role(("lambda.amazonaws.com",), managed=[authorization_logs_policy()])
    lister = function(LIST_TABLES, logs_only)
    answer = json.loads(boto3.client("lambda").invoke(FunctionName=lister)["Payload"].read())
    assert answer["error"] == "AccessDeniedException"
    name = lister.split(":")[-1]
    pattern = refused(logs_only, "dynamodb:ListTables", "*", session=name).replace("\\*", r"\*")
    assert re.search(pattern, answer["message"]), answer
    may_list = role(("lambda.amazonaws.com",), allow("dynamodb:ListTables"))
    lister = function(LIST_TABLES, may_list)
    answer = json.loads(boto3.client("lambda").invoke(FunctionName=lister)["Payload"].read())
    assert "tables" in answer


def test_a_handler_whose_role_may_not_log_writes_no_log(emulator):
    logs = boto3.client("logs")
    silent = function(LIST_TABLES, role(("lambda.amazonaws.com",), allow("dynamodb:ListTables")))
    logged = function(
        LIST_TABLES, role(("lambda.amazonaws.com",), managed=[authorization_logs_policy()])
    )
    for arn in (silent, logged):
        boto3.client("lambda").invoke(FunctionName=arn)

    def events(arn: str) -> list:
        group = "/aws/lambda/" + arn.split(":")[-1]
        found = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
        return logs.filter_log_events(logGroupName=group)["events"] if found else []

    assert any("listing tables" in event["message"] for event in events(logged))
    assert events(silent) == []


def test_role_sessions_are_refused_with_a_wrong_token(emulator, lambda_role):
    session = boto3.client("sts").assume_role(RoleArn=lambda_role, RoleSessionName="me")[
        "Credentials"
    ]
    forged = boto3.client(
        "lambda",
        aws_access_key_id=session["AccessKeyId"],
        aws_secret_access_key=session["SecretAccessKey"],
        aws_session_token="not-the-token",
    )
    with pytest.raises(ClientError) as raised:
        forged.list_functions()
    assert raised.value.response["Error"]["Code"] == "UnrecognizedClientException"


def assumed(role_arn: str, service: str):
    """A ``service`` client acting as a session of ``role_arn`` (which anyone may assume)."""
    boto3.client("iam").update_assume_role_policy(
        RoleName=role_arn.split("/")[-1],
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )
    keys = boto3.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="me")["Credentials"]
    return boto3.client(
        service,
        aws_access_key_id=keys["AccessKeyId"],
        aws_secret_access_key=keys["SecretAccessKey"],
        aws_session_token=keys["SessionToken"],
    )


def test_an_assumed_roles_calls_are_authorised_against_it(emulator, echo):
    may_invoke = role(("lambda.amazonaws.com",), allow("lambda:InvokeFunction", echo))
    client = assumed(may_invoke, "lambda")
    assert client.invoke(FunctionName=echo, Payload=b"{}")["StatusCode"] == 200
    with pytest.raises(client.exceptions.ClientError) as raised:
        client.list_functions()
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    assert raised.value.response["Error"]["Message"].startswith(
        f"User: arn:aws:sts::{emulator.account_id}:assumed-role/{may_invoke.split('/')[-1]}/me "
        "is not authorized to perform: lambda:ListFunctions"
    )


def test_actions_carry_iams_prefix_not_the_signatures_service_name(emulator):
    # AWS: the Resource Groups Tagging API signs as "tagging" but its actions are "tag:...".
    tagging = assumed(
        role(("lambda.amazonaws.com",), allow("tag:GetResources")), "resourcegroupstaggingapi"
    )
    assert tagging.get_resources()["ResourceTagMappingList"] is not None
    cloudwatch = assumed(role(("lambda.amazonaws.com",), allow("tag:GetResources")), "cloudwatch")
    with pytest.raises(ClientError) as raised:
        cloudwatch.list_metrics()
    assert "is not authorized to perform: cloudwatch:ListMetrics" in str(raised.value)


def test_task_token_answers_are_authorised_against_the_tokens_state_machine(emulator):
    # AWS: SendTaskSuccess/Failure/Heartbeat are checked against the state machine whose
    # execution waits on the token (the CDK's grantTaskResponse grants them on its ARN).
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=unique("iam-test"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    parameters = {"QueueUrl": url, "MessageBody": {"token.$": "$$.Task.Token"}}
    waits = task("arn:aws:states:::sqs:sendMessage.waitForTaskToken", Parameters=parameters)
    sfn = boto3.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=unique("iam-test"),
        definition=json.dumps(waits),
        roleArn=role(policy=allow("sqs:SendMessage", queue_arn)),
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    message = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)["Messages"][0]
    token = json.loads(message["Body"])["token"]

    other_machine = machine.replace(machine.rsplit(":", 1)[-1], "another-machine")
    elsewhere = assumed(
        role(policy=allow("states:SendTaskSuccess", other_machine)), "stepfunctions"
    )
    with pytest.raises(ClientError) as raised:
        elsewhere.send_task_success(taskToken=token, output="{}")
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    assert f"states:SendTaskSuccess on resource: {machine} " in str(raised.value)

    worker = assumed(role(policy=allow("states:SendTaskSuccess", machine)), "stepfunctions")
    worker.send_task_success(taskToken=token, output='{"done": true}')
    assert executions.wait_for_execution(execution, timeout_s=60)["status"] == "SUCCEEDED"


# ---------------------------------------------------------------- the policy simulator


def test_simulate_principal_policy_answers_for_a_role(echo):
    only_echo = role(policy=allow("lambda:InvokeFunction", echo))
    other = echo + "-other"
    results = boto3.client("iam").simulate_principal_policy(
        PolicySourceArn=only_echo, ActionNames=["lambda:InvokeFunction"], ResourceArns=[echo, other]
    )["EvaluationResults"]
    assert [(r["EvalResourceName"], r["EvalDecision"]) for r in results] == [
        (echo, "allowed"),
        (other, "implicitDeny"),
    ]
    assert results[0]["MatchedStatements"][0]["SourcePolicyId"] == "p"


def test_simulate_principal_policy_names_a_missing_role(emulator):
    iam = boto3.client("iam")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.simulate_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{emulator.account_id}:role/{unique('missing')}",
            ActionNames=["lambda:InvokeFunction"],
        )


def _team_only(resource: str) -> dict:
    policy = allow("states:StartExecution", resource)
    policy["Statement"][0]["Condition"] = {"StringEquals": {"aws:PrincipalTag/team": "blue"}}
    return policy


def test_the_policy_simulator_reads_context_entries(emulator):
    # IAM: ContextEntries give the simulated request the condition keys it carries; a key a
    # deciding statement reads that the request lacks is listed in MissingContextValues, under
    # ResourceSpecificResults when resources are named.
    machine = f"arn:aws:states:{emulator.region}:{emulator.account_id}:stateMachine:m"
    arn, iam = role(policy=_team_only(machine)), boto3.client("iam")
    blue = [{"ContextKeyName": "aws:PrincipalTag/team", "ContextKeyValues": ["blue"]}]
    blue[0]["ContextKeyType"] = "string"
    (without,) = iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["states:StartExecution"], ResourceArns=[machine]
    )["EvaluationResults"]
    assert without["EvalDecision"] == "implicitDeny"
    assert without["ResourceSpecificResults"][0]["MissingContextValues"] == [
        "aws:PrincipalTag/team"
    ]
    (given,) = iam.simulate_principal_policy(
        PolicySourceArn=arn,
        ActionNames=["states:StartExecution"],
        ResourceArns=[machine],
        ContextEntries=blue,
    )["EvaluationResults"]
    assert given["EvalDecision"] == "allowed"
    assert given["ResourceSpecificResults"][0]["MissingContextValues"] == []


def test_the_policy_simulator_lists_missing_keys_for_any_resource(emulator):
    arn, iam = role(policy=_team_only("*")), boto3.client("iam")
    (result,) = iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["states:StartExecution"]
    )["EvaluationResults"]
    assert (result["EvalResourceName"], result["EvalDecision"]) == ("*", "implicitDeny")
    assert result["MissingContextValues"] == ["aws:PrincipalTag/team"]
    assert "ResourceSpecificResults" not in result


def test_a_list_context_entry_is_a_multivalued_key(emulator):
    policy = allow("states:StartExecution")
    policy["Statement"][0]["Condition"] = {
        "ForAllValues:StringEquals": {"aws:TagKeys": ["team", "cost-centre"]}
    }
    arn, iam = role(policy=policy), boto3.client("iam")

    def decision(keys):
        entry = {"ContextKeyName": "aws:TagKeys", "ContextKeyValues": keys}
        entry["ContextKeyType"] = "stringList"
        (result,) = iam.simulate_principal_policy(
            PolicySourceArn=arn, ActionNames=["states:StartExecution"], ContextEntries=[entry]
        )["EvaluationResults"]
        return result["EvalDecision"]

    assert decision(["team", "cost-centre"]) == "allowed"
    assert decision(["team", "owner"]) == "implicitDeny"


# ---------------------------------------------------------------- without an emulator


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("f", "arn:aws:lambda:eu-west-1:111122223333:function:f"),
        ("f:live", "arn:aws:lambda:eu-west-1:111122223333:function:f:live"),
        ("111122223333:function:f", "arn:aws:lambda:eu-west-1:111122223333:function:f"),
        (
            "arn:aws:lambda:us-east-1:444455556666:function:g",
            "arn:aws:lambda:us-east-1:444455556666:function:g",
        ),
    ],
)
def test_function_arns_are_read_as_lambda_reads_them(name, expected):
    assert authorization.function_arn(name, None, "eu-west-1", "111122223333") == expected


def test_refusal_messages_are_iams():
    principal = "arn:aws:sts::1:assumed-role/r/s"
    assert authorization.refusal_message(principal, "a:B", "x", "implicitDeny") == (
        "User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: a:B on resource: x "
        "because no identity-based policy allows the a:B action"
    )
    assert authorization.refusal_message(principal, "a:B", "x", "explicitDeny").endswith(
        "on resource: x with an explicit deny in an identity-based policy"
    )


def test_a_role_may_not_use_the_emulators_own_endpoints(emulator, lambda_role):
    import urllib.error
    import urllib.request

    from sfn_tutorial.emulator import auth

    keys = boto3.client("sts").assume_role(RoleArn=lambda_role, RoleSessionName="me")["Credentials"]
    url = boto3.client("sts").meta.endpoint_url + "/moto-api/reset"
    credentials = auth.Credentials(keys["AccessKeyId"], keys["SecretAccessKey"])
    headers = auth.sign(
        credentials,
        "POST",
        url,
        b"",
        {"X-Amz-Security-Token": keys["SessionToken"]},
        service="sts",
    )
    request = urllib.request.Request(url, data=b"", headers=headers, method="POST")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    assert raised.value.code == 403
    assert b"not a role's" in raised.value.read()
    assert boto3.client("iam").get_role(RoleName=lambda_role.split("/")[-1])  # not reset


def test_logging_to_cloudwatch_needs_the_log_delivery_actions(emulator):
    # AWS: AccessDeniedException, "The state machine IAM Role is not authorized to access the
    # Log Destination", at create and at an update that turns logging on.
    logs = boto3.client("logs")
    group = unique("/aws/vendedlogs/states/iam-test")
    logs.create_log_group(logGroupName=group)
    group_arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["arn"]
    configuration = {
        "level": "ALL",
        "includeExecutionData": True,
        "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group_arn}}],
    }
    sfn = boto3.client("stepfunctions")
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    no_logs = role()
    with pytest.raises(ClientError) as raised:
        sfn.create_state_machine(
            name=unique("iam-test"),
            definition=definition,
            roleArn=no_logs,
            loggingConfiguration=configuration,
        )
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    assert raised.value.response["Error"]["Message"] == authorization.CANNOT_LOG
    machine = sfn.create_state_machine(
        name=unique("iam-test"), definition=definition, roleArn=no_logs
    )
    with pytest.raises(ClientError) as raised:
        sfn.update_state_machine(
            stateMachineArn=machine["stateMachineArn"], loggingConfiguration=configuration
        )
    assert raised.value.response["Error"]["Message"] == authorization.CANNOT_LOG
    may_log = role(policy=allow(list(authorization.LOG_DELIVERY_ACTIONS)))
    sfn.create_state_machine(
        name=unique("iam-test"),
        definition=definition,
        roleArn=may_log,
        loggingConfiguration=configuration,
    )


def test_ecs_calls_are_authorised_on_the_task_definition_and_the_task():
    def resource(operation, params):
        return authorization.ecs_resource(operation, params, "eu-west-1", "111122223333")

    assert resource("RunTask", {"cluster": "c", "taskDefinition": "report:3"}) == (
        "arn:aws:ecs:eu-west-1:111122223333:task-definition/report:3"
    )
    assert resource("DescribeTasks", {"cluster": "jobs", "tasks": ["abc"]}) == (
        "arn:aws:ecs:eu-west-1:111122223333:task/jobs/abc"
    )


def test_a_statement_with_a_condition_is_not_applied_without_its_context_key():
    # IAM applies a statement only when its condition holds; without iam:PassedToService in the
    # request, a conditioned Allow allows nothing and a conditioned Deny denies nothing.
    from moto.iam.access_control import PermissionResult

    conditioned = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": effect,
                "Action": "iam:PassRole",
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
            }
            for effect in ("Allow", "Deny")
        ],
    }
    result = service_roles.evaluate(
        json.dumps(conditioned), "iam:PassRole", "arn:aws:iam::1:role/r"
    )
    assert result == PermissionResult.NEUTRAL


def test_a_service_acting_with_a_role_is_allowed_actions_in_any_case():
    # IAM compares actions without regard to case: a role allowing "states:startExecution"
    # lets EventBridge Scheduler start the machine, as it would on AWS.
    from moto.iam.access_control import PermissionResult

    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "states:startExecution", "Resource": "*"}],
    }
    result = service_roles.evaluate(json.dumps(policy), "states:StartExecution", "arn:x")
    assert result == PermissionResult.PERMITTED


# ---------------------------------------------------------------- handing a role to a service


def test_lambda_refuses_a_role_it_may_not_assume_at_create_and_update(emulator, lambda_role):
    # AWS: InvalidParameterValueException, "The role defined for the function cannot be assumed
    # by Lambda." for a role whose trust policy does not name lambda.amazonaws.com
    states_only = role(("states.amazonaws.com",))
    with pytest.raises(ClientError) as raised:
        function(ECHO, states_only)
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert raised.value.response["Error"]["Message"] == authorization.LAMBDA_CANNOT_ASSUME
    name = function(ECHO, lambda_role).split(":")[-1]
    with pytest.raises(ClientError) as raised:
        boto3.client("lambda").update_function_configuration(FunctionName=name, Role=states_only)
    assert raised.value.response["Error"]["Message"] == authorization.LAMBDA_CANNOT_ASSUME


def pass_role(role_arn: str, to: str) -> dict:
    condition = {"StringEquals": {"iam:PassedToService": to}}
    statement = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": role_arn}
    return {**statement, "Condition": condition}


def test_creating_a_state_machine_as_a_role_needs_iam_pass_role_for_step_functions(emulator):
    # AWS: the caller of CreateStateMachine needs iam:PassRole on the machine's role (with
    # iam:PassedToService states.amazonaws.com when the policy says so). The learner's own
    # user on the local target may do everything; a role session is checked.
    states_role = role(policy=allow("*"))
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    create = {"Effect": "Allow", "Action": "states:CreateStateMachine", "Resource": "*"}
    for passes, allowed_to_pass in (
        ([], False),
        ([pass_role(states_role, "lambda.amazonaws.com")], False),
        ([pass_role(states_role, "states.amazonaws.com")], True),
    ):
        deployer = role(
            ("lambda.amazonaws.com",), {"Version": "2012-10-17", "Statement": [create, *passes]}
        )
        sfn = assumed(deployer, "stepfunctions")
        name = unique("iam-test")
        if allowed_to_pass:
            sfn.create_state_machine(name=name, definition=definition, roleArn=states_role)
            continue
        with pytest.raises(ClientError) as raised:
            sfn.create_state_machine(name=name, definition=definition, roleArn=states_role)
        assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
        assert (
            f"is not authorized to perform: iam:PassRole on resource: {states_role}"
            in raised.value.response["Error"]["Message"]
        )


def test_creating_a_function_as_a_role_needs_iam_pass_role(emulator, lambda_role):
    # AWS: the caller of CreateFunction needs iam:PassRole on the function's execution role
    create = {"Effect": "Allow", "Action": "lambda:CreateFunction", "Resource": "*"}
    deployer = role(("lambda.amazonaws.com",), {"Version": "2012-10-17", "Statement": [create]})
    client = assumed(deployer, "lambda")
    with pytest.raises(ClientError) as raised:
        lambda_code.python_function(unique("iam-test"), ECHO, lambda_role, client=client)
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    assert f"iam:PassRole on resource: {lambda_role}" in raised.value.response["Error"]["Message"]
