"""One policy evaluator for every role a service acts with (sfn_tutorial/emulator/iam/
service_roles.py, conditions.py): conditions decided as IAM decides them, and trust policies
evaluated with the context keys the service sends when it acts for one of your resources
(``aws:SourceArn``, ``aws:SourceAccount``).

Each test says what AWS does (IAM User Guide: "Condition operators", "Conditions with multiple
context keys or values", "The confused deputy problem"); the evaluator must agree.
"""

import json
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from sfn_tutorial.emulator.iam import authorization, conditions, service_roles

ACCOUNT = "111122223333"
OTHER = "444455556666"
REGION = "eu-west-1"
MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:orders"
RULE = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/nightly"
GROUP = f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/default"
METHOD = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:a1b2c3/prod/POST/orders"


# ---------------------------------------------------------------- conditions


def holds(block, **context):
    return conditions.holds(block, {key.replace("_", ":", 1): v for key, v in context.items()})


def test_string_and_arn_operators_match_as_iam_documents():
    assert holds({"StringEquals": {"aws:SourceAccount": ACCOUNT}}, aws_SourceAccount=ACCOUNT)
    assert not holds({"StringEquals": {"aws:SourceAccount": ACCOUNT}}, aws_SourceAccount=OTHER)
    # several values for one key are alternatives
    assert holds(
        {"StringEquals": {"aws:SourceAccount": [OTHER, ACCOUNT]}}, aws_SourceAccount=ACCOUNT
    )
    assert holds({"StringLike": {"aws:SourceArn": "*:stateMachine:ord?rs"}}, aws_SourceArn=MACHINE)
    # "." is not a wildcard in IAM
    assert not holds({"StringLike": {"aws:SourceArn": "arn.aws*"}}, aws_SourceArn=MACHINE)
    wildcard = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:*"
    assert holds({"ArnLike": {"aws:SourceArn": wildcard}}, aws_SourceArn=MACHINE)
    assert holds({"ArnEquals": {"aws:SourceArn": MACHINE}}, aws_SourceArn=MACHINE)
    # ARNs are compared part by part: the account part must match
    other = f"arn:aws:states:{REGION}:{OTHER}:stateMachine:*"
    assert not holds({"ArnLike": {"aws:SourceArn": other}}, aws_SourceArn=MACHINE)
    assert not holds({"ArnLike": {"aws:SourceArn": "arn:aws:states:*"}}, aws_SourceArn=MACHINE)
    # context key names compare without regard to case
    assert holds({"StringEquals": {"AWS:sourceaccount": ACCOUNT}}, aws_SourceAccount=ACCOUNT)


def test_every_operator_and_key_must_hold():
    block = {
        "ArnLike": {"aws:SourceArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:*"},
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
    }
    assert holds(block, aws_SourceArn=MACHINE, aws_SourceAccount=ACCOUNT)
    assert not holds(block, aws_SourceArn=MACHINE, aws_SourceAccount=OTHER)


def test_a_missing_key_fails_a_positive_operator_and_meets_a_negated_one():
    assert not holds({"StringEquals": {"aws:SourceArn": MACHINE}})
    assert holds({"StringEqualsIfExists": {"aws:SourceArn": MACHINE}})
    assert not holds({"StringEqualsIfExists": {"aws:SourceArn": MACHINE}}, aws_SourceArn=RULE)
    assert holds({"StringNotEquals": {"aws:SourceArn": MACHINE}})
    assert not holds({"StringNotEquals": {"aws:SourceArn": [RULE, MACHINE]}}, aws_SourceArn=RULE)
    assert holds({"Null": {"aws:SourceArn": "true"}})
    assert not holds({"Null": {"aws:SourceArn": "true"}}, aws_SourceArn=MACHINE)


def test_set_operators_on_a_multivalued_key():
    tags = {"aws:TagKeys": ["team", "cost-centre"]}
    assert conditions.holds({"ForAnyValue:StringEquals": {"aws:TagKeys": "team"}}, tags)
    assert not conditions.holds({"ForAllValues:StringEquals": {"aws:TagKeys": "team"}}, tags)
    allowed = {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "cost-centre", "owner"]}}
    assert conditions.holds(allowed, tags)
    # ForAllValues holds when the request has no such key; ForAnyValue never does
    assert conditions.holds({"ForAllValues:StringEquals": {"aws:TagKeys": "team"}}, {})
    assert not conditions.holds({"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "x"}}, {})


def test_an_unknown_operator_never_holds():
    assert not holds(
        {"StringSoundsLike": {"aws:SourceAccount": ACCOUNT}}, aws_SourceAccount=ACCOUNT
    )


# ---------------------------------------------------------------- one evaluator


def evaluate(statements, action, resource="*", **context):
    document = json.dumps({"Version": "2012-10-17", "Statement": statements})
    return service_roles.evaluate(document, action, resource, context).name


def test_a_statement_applies_only_when_its_condition_holds():
    # an unmet condition neither allows nor denies (moto's own evaluator reads it as a deny)
    passed = {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
    allow = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": passed}
    deny = {**allow, "Effect": "Deny"}
    role_arn = "arn:aws:iam::1:role/r"
    assert evaluate([allow, deny], "iam:PassRole", role_arn) == "NEUTRAL"
    assert (
        evaluate(
            [allow], "iam:PassRole", role_arn, **{"iam:PassedToService": "ecs-tasks.amazonaws.com"}
        )
        == "PERMITTED"
    )
    assert (
        evaluate(
            [allow, deny],
            "iam:PassRole",
            role_arn,
            **{"iam:PassedToService": "ecs-tasks.amazonaws.com"},
        )
        == "DENIED"
    )


def test_actions_compare_without_case_and_resources_with_iams_wildcards():
    allow = {
        "Effect": "Allow",
        "Action": "States:startExecution",
        "Resource": "arn:aws:states:*:*:stateMachine:ord*",
    }
    assert evaluate([allow], "states:StartExecution", MACHINE) == "PERMITTED"
    assert (
        evaluate([allow], "states:StartExecution", MACHINE.replace("orders", "refunds"))
        == "NEUTRAL"
    )
    not_resource = {"Effect": "Deny", "Action": "*", "NotResource": MACHINE}
    assert evaluate([allow, not_resource], "states:StartExecution", MACHINE) == "PERMITTED"


# ---------------------------------------------------------------- what each trigger accepts


@pytest.fixture
def make_role():
    """Roles in moto's IAM backend of this process (where ``service_roles`` looks them up)."""
    from moto.iam.models import iam_backends

    backend = iam_backends[ACCOUNT]["aws"]
    made = []

    def make(service, condition=None, action="states:StartExecution"):
        statement = {
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
        }
        if condition:
            statement["Condition"] = condition
        name = f"conditions-{uuid.uuid4().hex[:8]}"
        role = backend.create_role(
            role_name=name,
            assume_role_policy_document=json.dumps(
                {"Version": "2012-10-17", "Statement": [statement]}
            ),
            path="/",
            permissions_boundary=None,
            description="",
            tags=[],
            max_session_duration="3600",
        )
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}],
        }
        backend.put_role_policy(name, "p", json.dumps(policy))
        made.append(name)
        return role.arn

    yield make
    for name in made:
        backend.delete_role_policy(name, "p")
        backend.delete_role(name)


def source(arn):
    return {"ArnLike": {"aws:SourceArn": arn}, "StringEquals": {"aws:SourceAccount": ACCOUNT}}


@pytest.mark.parametrize(
    ("service", "own", "another"),
    [
        ("events.amazonaws.com", RULE, RULE.replace("nightly", "hourly")),
        ("scheduler.amazonaws.com", GROUP, GROUP.replace("default", "reports")),
        ("apigateway.amazonaws.com", METHOD, METHOD.replace("a1b2c3", "z9y8x7")),
    ],
)
def test_a_trigger_assumes_a_role_only_for_the_resource_its_trust_names(
    make_role, service, own, another
):
    role_arn = make_role(service, source(own))
    assert service_roles.refusal(role_arn, service, "states:StartExecution", MACHINE, own) is None
    refused = service_roles.refusal(role_arn, service, "states:StartExecution", MACHINE, another)
    assert refused == f"{service} is not authorized to assume the role {role_arn}."
    # a role without conditions is assumed for any resource, as before
    plain = make_role(service)
    assert service_roles.refusal(plain, service, "states:StartExecution", MACHINE, another) is None


def test_a_trigger_role_still_needs_the_permission(make_role):
    role_arn = make_role("events.amazonaws.com", source(RULE), action="lambda:InvokeFunction")
    refused = service_roles.refusal(
        role_arn, "events.amazonaws.com", "states:StartExecution", MACHINE, RULE
    )
    assert refused.startswith("User: arn:aws:sts::111122223333:assumed-role/")


def test_step_functions_assumes_a_role_only_for_the_machines_its_trust_names(make_role):
    # AWS's recommended trust policy for Step Functions: any machine of this account and Region
    every_machine = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:*"
    role_arn = make_role("states.amazonaws.com", source(every_machine))
    assert authorization.assumable_by_step_functions(role_arn, MACHINE)
    other_region = MACHINE.replace(REGION, "us-east-1")
    assert not authorization.assumable_by_step_functions(role_arn, other_region)
    only_refunds = make_role("states.amazonaws.com", source(MACHINE.replace("orders", "refunds")))
    assert not authorization.assumable_by_step_functions(only_refunds, MACHINE)


def test_create_state_machine_refuses_a_role_whose_trust_names_another_machine(emulator):
    iam, sfn = boto3.client("iam"), boto3.client("stepfunctions")
    region = sfn.meta.region_name
    name = f"conditions-{uuid.uuid4().hex[:8]}"
    machine = f"arn:aws:states:{region}:{emulator.account_id}:stateMachine:{name}"
    trust = {
        "Effect": "Allow",
        "Principal": {"Service": "states.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {
            "ArnLike": {"aws:SourceArn": machine},
            "StringEquals": {"aws:SourceAccount": emulator.account_id},
        },
    }
    role_arn = iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [trust]}),
    )["Role"]["Arn"]
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    with pytest.raises(ClientError) as raised:
        sfn.create_state_machine(name=name + "-other", definition=definition, roleArn=role_arn)
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    assert raised.value.response["Error"]["Message"] == authorization.CANNOT_ASSUME
    created = sfn.create_state_machine(name=name, definition=definition, roleArn=role_arn)
    assert created["stateMachineArn"] == machine
