"""EventBridge starts executions: event rules and schedules (sfn_tutorial/emulator/events/rules.py).

Each test says what AWS does; the emulator must do the same.
"""

import datetime
import json
import time

import boto3
import policies
import pytest

from sfn_tutorial import executions, resources
from sfn_tutorial.emulator import clock, server
from sfn_tutorial.emulator.events import rules

ECHO = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}
SHOP_PATTERN = {"source": ["tutorial.shop"], "detail-type": ["Transaction"]}


def start_policy(machine_arns):
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "states:StartExecution", "Resource": machine_arns}
        ],
    }


@pytest.fixture(scope="module")
def stack(blog_stack):
    echo = resources.ensure_state_machine(
        resources.resource_name("echo"), ECHO, blog_stack.states_role_arn
    )
    machines = [blog_stack.state_machine_arn, echo]
    role = resources.ensure_role(
        resources.resource_name("events-role"),
        "events.amazonaws.com",
        inline_policies={"start-tutorial-machines": start_policy(machines)},
    )
    return {"blog": blog_stack.state_machine_arn, "echo": echo, "role": role}


@pytest.fixture(autouse=True)
def no_rules_left(request):
    """Every test starts and ends with no rules on the default bus, even when it fails."""
    yield
    if "stack" in request.fixturenames:
        for rule in boto3.client("events").list_rules()["Rules"]:
            delete_rule(rule["Name"])


def rule_to(name, machine_arn, role_arn, pattern=SHOP_PATTERN, **target):
    """A rule on the default bus whose one target is the state machine."""
    events = boto3.client("events")
    events.put_rule(
        Name=resources.resource_name(name),
        EventPattern=json.dumps(pattern),
        Tags=resources.tags("Key"),
    )
    events.put_targets(
        Rule=resources.resource_name(name),
        Targets=[{"Id": "machine", "Arn": machine_arn, "RoleArn": role_arn, **target}],
    )
    return resources.resource_name(name)


def put_transaction(detail, detail_type="Transaction"):
    response = boto3.client("events").put_events(
        Entries=[
            {"Source": "tutorial.shop", "DetailType": detail_type, "Detail": json.dumps(detail)}
        ]
    )
    assert response["FailedEntryCount"] == 0
    return response["Entries"][0]["EventId"]


def executions_of(machine_arn):
    sfn = boto3.client("stepfunctions")
    return sfn.list_executions(stateMachineArn=machine_arn)["executions"]


def started_by_a_transaction(machine_arn, detail_type="Transaction"):
    """How many executions of the machine a PURCHASE transaction (of ``detail_type``) starts."""
    before = len(executions_of(machine_arn))
    put_transaction({"TransactionType": "PURCHASE"}, detail_type=detail_type)
    return len(executions_of(machine_arn)) - before


def inputs_of(machine_arn):
    """The inputs of the machine's executions, oldest first."""
    sfn = boto3.client("stepfunctions")
    found = sorted(executions_of(machine_arn), key=lambda execution: execution["startDate"])
    return [
        json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"]) for e in found
    ]


def delete_rule(name):
    events = boto3.client("events")
    targets = events.list_targets_by_rule(Rule=name)["Targets"]
    events.remove_targets(Rule=name, Ids=[target["Id"] for target in targets])
    events.delete_rule(Name=name)


def advance_clock(seconds):
    """Move the emulator's schedule clock forward; what fired."""
    body = json.dumps({"advance_seconds": seconds}).encode()
    return json.loads(server.request(clock.CLOCK_PATH, body))["fired"]


def test_matching_event_starts_an_execution_with_the_event_as_input(stack):
    # AWS: a rule whose pattern matches the event starts an execution of its Step Functions
    # target; the execution's input is the event as EventBridge delivers it.
    rule = rule_to("echo-events", stack["echo"], stack["role"])
    event_id = put_transaction({"TransactionType": "PURCHASE"})
    (execution,) = executions_of(stack["echo"])
    description = executions.wait_for_execution(execution["executionArn"], timeout_s=60)
    assert description["status"] == "SUCCEEDED"
    delivered = json.loads(description["input"])
    assert delivered["id"] == event_id
    assert delivered["source"] == "tutorial.shop"
    assert delivered["detail-type"] == "Transaction"
    assert delivered["detail"] == {"TransactionType": "PURCHASE"}
    assert delivered["account"] == "123456789012" and delivered["resources"] == []
    assert datetime.datetime.strptime(delivered["time"], "%Y-%m-%dT%H:%M:%SZ")
    delete_rule(rule)


def test_blogs_machine_runs_on_the_events_detail(stack):
    # The blog's Choice reads $.TransactionType: InputPath "$.detail" hands it the detail.
    rule = rule_to("shop-transactions", stack["blog"], stack["role"], InputPath="$.detail")
    put_transaction({"TransactionType": "REFUND"})
    (execution,) = executions_of(stack["blog"])
    description = executions.wait_for_execution(execution["executionArn"], timeout_s=60)
    assert description["status"] == "SUCCEEDED"
    assert json.loads(description["output"])["Message"] == "Hello from Refund Processor!"
    delete_rule(rule)


def test_event_that_does_not_match_starts_nothing(stack):
    rule = rule_to("echo-transactions", stack["echo"], stack["role"])
    assert started_by_a_transaction(stack["echo"], detail_type="Something else") == 0
    delete_rule(rule)


def test_input_path_and_constant_input(stack):
    # AWS: InputPath sends the part of the event it selects; Input sends that JSON text as is.
    first = rule_to("echo-detail", stack["echo"], stack["role"], InputPath="$.detail")
    second = rule_to("echo-constant", stack["echo"], stack["role"], Input='{"fixed": true}')
    before = len(executions_of(stack["echo"]))
    put_transaction({"TransactionType": "REFUND", "amount": 5})
    delivered = inputs_of(stack["echo"])
    assert len(delivered) == before + 2
    assert {"TransactionType": "REFUND", "amount": 5} in delivered
    assert {"fixed": True} in delivered
    delete_rule(first)
    delete_rule(second)


def test_input_transformer_fills_its_template(stack):
    # AWS ("Amazon EventBridge input transformation"): a placeholder outside quotes gets the
    # value as JSON, inside a JSON string its text; predefined variables name the rule.
    template = (
        '{"TransactionType": <type>, "note": "<amount> won by <aws.events.rule-name>", '
        '"event": <aws.events.event>}'
    )
    rule = rule_to(
        "echo-transformed",
        stack["echo"],
        stack["role"],
        InputTransformer={
            "InputPathsMap": {"type": "$.detail.TransactionType", "amount": "$.detail.amount"},
            "InputTemplate": template,
        },
    )
    put_transaction({"TransactionType": "PURCHASE", "amount": 30})
    delivered = inputs_of(stack["echo"])[-1]
    assert delivered["TransactionType"] == "PURCHASE"
    assert delivered["note"] == f"30 won by {rule}"
    assert delivered["event"]["source"] == "tutorial.shop" and "detail" not in delivered["event"]
    delete_rule(rule)


def test_role_events_cannot_assume_delivers_nothing(stack):
    # AWS: the target's role must trust events.amazonaws.com; otherwise the invocation fails
    # (FailedInvocations) and no execution starts.
    lambda_role = boto3.client("iam").get_role(RoleName=resources.LAMBDA_ROLE)["Role"]["Arn"]
    rule = rule_to("echo-wrong-role", stack["echo"], lambda_role)
    assert started_by_a_transaction(stack["echo"]) == 0
    delete_rule(rule)


def test_role_without_start_execution_on_the_machine_delivers_nothing(stack):
    # AWS: the role's policy must allow states:StartExecution on that state machine.
    role = resources.ensure_role(
        resources.resource_name("events-other-role"),
        "events.amazonaws.com",
        inline_policies={"start-blog-only": start_policy([stack["blog"]])},
    )
    rule = rule_to("echo-not-allowed", stack["echo"], role)
    assert started_by_a_transaction(stack["echo"]) == 0
    delete_rule(rule)


def test_a_role_whose_trust_names_another_rule_delivers_nothing(stack):
    # AWS: EventBridge assumes the target's role with the rule's ARN as aws:SourceArn and its
    # account as aws:SourceAccount; a trust policy whose conditions name another rule does not
    # let it (the confused-deputy conditions AWS recommends).
    _, _, _, region, account, *_ = stack["echo"].split(":")
    guarded = resources.resource_name("echo-guarded")
    condition = {
        "ArnLike": {"aws:SourceArn": f"arn:aws:events:{region}:{account}:rule/{guarded}"},
        "StringEquals": {"aws:SourceAccount": account},
    }
    trust = policies.trust("events.amazonaws.com", condition=condition)
    iam = boto3.client("iam")
    name = resources.resource_name("events-guarded-role")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(
        RoleName=name, PolicyName="start", PolicyDocument=json.dumps(start_policy([stack["echo"]]))
    )
    other = rule_to("echo-other-rule", stack["echo"], role["Arn"])
    assert started_by_a_transaction(stack["echo"]) == 0
    delete_rule(other)
    rule = rule_to("echo-guarded", stack["echo"], role["Arn"])
    assert started_by_a_transaction(stack["echo"]) == 1
    delete_rule(rule)


def test_disabled_rule_delivers_nothing(stack):
    rule = rule_to("echo-disabled", stack["echo"], stack["role"])
    boto3.client("events").disable_rule(Name=rule)
    assert started_by_a_transaction(stack["echo"]) == 0
    delete_rule(rule)


def scheduled_rule(name, expression, stack):
    events = boto3.client("events")
    events.put_rule(Name=name, ScheduleExpression=expression, Tags=resources.tags("Key"))
    events.put_targets(
        Rule=name, Targets=[{"Id": "machine", "Arn": stack["echo"], "RoleArn": stack["role"]}]
    )
    return name


def test_rate_schedule_fires_every_period(stack):
    # AWS: rate(5 minutes) starts the target every 5 minutes with a "Scheduled Event" from
    # aws.events whose resources name the rule. The emulator's clock is advanced instead of
    # waiting; events from PutEvents never reach a schedule-only rule.
    rule = scheduled_rule(resources.resource_name("every-5-minutes"), "rate(5 minutes)", stack)
    before = len(executions_of(stack["echo"]))
    put_transaction({"TransactionType": "PURCHASE"})
    assert advance_clock(290) == []
    fired = advance_clock(20)
    assert [entry["rule"].endswith(rule) for entry in fired] == [True]
    assert len(advance_clock(600)) == 2
    assert len(executions_of(stack["echo"])) == before + 3
    delivered = inputs_of(stack["echo"])[-1]
    assert (delivered["source"], delivered["detail-type"]) == ("aws.events", "Scheduled Event")
    assert delivered["resources"][0].endswith(f":rule/{rule}")
    delete_rule(rule)


def test_other_targets_keep_moto_delivery(stack):
    # AWS: one rule can have targets of several kinds; an SQS queue beside the state machine
    # receives the same event, from PutEvents and from a schedule alike.
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName=resources.resource_name("events-copy"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    rule = scheduled_rule(resources.resource_name("hourly"), "rate(1 hour)", stack)
    boto3.client("events").put_targets(
        Rule=rule, Targets=[{"Id": "queue", "Arn": queue_arn["Attributes"]["QueueArn"]}]
    )
    before = len(executions_of(stack["echo"]))
    assert len(advance_clock(3600)) == 1
    assert len(executions_of(stack["echo"])) == before + 1
    (message,) = sqs.receive_message(QueueUrl=queue_url)["Messages"]
    assert json.loads(message["Body"])["detail-type"] == "Scheduled Event"
    sqs.delete_queue(QueueUrl=queue_url)


def test_cron_schedule_fires_once_a_day(stack):
    # AWS: cron(0 12 * * ? *) fires at 12:00 UTC every day.
    rule = scheduled_rule(resources.resource_name("daily-noon"), "cron(0 12 * * ? *)", stack)
    fired = advance_clock(24 * 3600)
    assert len(fired) == 1
    assert fired[0]["time"].endswith("T12:00:00Z")
    delete_rule(rule)


def test_cron_fields_follow_aws_syntax():
    # AWS cron: minutes hours day-of-month month day-of-week(1 = SUN) year.
    schedule = rules.Schedule("cron(15 10 ? * MON-FRI *)")
    saturday = datetime.datetime(2024, 6, 1, 0, 0, tzinfo=datetime.timezone.utc)
    assert schedule.next_after(saturday) == saturday.replace(day=3, hour=10, minute=15)
    every_10 = rules.Schedule("cron(0/10 * * * ? *)")
    assert every_10.next_after(saturday).minute == 10
    with pytest.raises(ValueError):
        rules.Schedule("cron(0 12 L * ? *)")


def test_template_placeholders_inside_and_outside_strings():
    values = {"name": 'say "hi"', "n": 3, "tags": ["a"]}
    filled = rules.fill_template('{"a": <name>, "b": "<name>!", "c": <n>, "d": <tags>}', values)
    assert json.loads(filled) == {"a": 'say "hi"', "b": 'say "hi"!', "c": 3, "d": ["a"]}
    assert rules.fill_template("<n> items", values) == "3 items"


def test_a_lambda_target_is_invoked_with_the_event(stack, blog_stack):
    # EventBridge invokes a function target asynchronously, with the event (here its detail,
    # by InputPath); PutEvents answers at once, and the handler's log shows the input.
    events = boto3.client("events")
    name = resources.resource_name("lambda-target")
    events.put_rule(Name=name, EventPattern=json.dumps(SHOP_PATTERN), Tags=resources.tags("Key"))
    events.put_targets(
        Rule=name,
        Targets=[{"Id": "function", "Arn": blog_stack.purchase_arn, "InputPath": "$.detail"}],
    )
    put_transaction({"TransactionType": "PURCHASE", "Marker": "from-eventbridge"})
    logs = boto3.client("logs")
    group = "/aws/lambda/" + blog_stack.purchase_arn.rsplit(":", 1)[1]
    deadline = datetime.datetime.now() + datetime.timedelta(seconds=20)
    seen = []
    while datetime.datetime.now() < deadline and not any("from-eventbridge" in m for m in seen):
        try:
            found = logs.filter_log_events(logGroupName=group).get("events", [])
        except logs.exceptions.ResourceNotFoundException:  # Lambda makes it on the first call
            found = []
        seen = [event["message"] for event in found]
        time.sleep(0.1)
    assert any("from-eventbridge" in message for message in seen)


def test_a_target_the_emulator_cannot_deliver_to_fails_quietly_as_a_failed_invocation(stack):
    # A target EventBridge would invoke but the emulator does not (an ECS cluster here) counts
    # as a failed invocation: PutEvents still answers that it accepted the event.
    events = boto3.client("events")
    name = resources.resource_name("ecs-target")
    events.put_rule(Name=name, EventPattern=json.dumps(SHOP_PATTERN), Tags=resources.tags("Key"))
    events.put_targets(
        Rule=name,
        Targets=[{"Id": "ecs", "Arn": "arn:aws:ecs:ap-northeast-2:123456789012:cluster/none"}],
    )
    put_transaction({"TransactionType": "REFUND"})  # asserts FailedEntryCount == 0
