"""The account-like stand-in itself (``emulator/account_like.py``), call by call: what a fresh
AWS account answers while a new role spreads, while a function is being created or updated,
and when control-plane calls come too fast, with AWS's error codes and messages."""

from __future__ import annotations

import json

import aws_stand_in
import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sfn_tutorial import resources
from sfn_tutorial.emulator import account_like


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory):
    """The account-like stand-in, and this process and its kernels pointed at it."""
    yield from aws_stand_in.running(tmp_path_factory)


def test_a_new_role_is_refused_then_the_function_is_pending(stand_in):
    """Lambda refuses a role seconds old ("cannot be assumed by Lambda"), then the function
    is Pending (Invoke: ResourceConflictException) until it becomes Active."""
    session = _session()
    iam, functions = session.client("iam"), session.client("lambda")
    name = "standin-probe"
    role_arn = iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps(resources.trust_policy("lambda.amazonaws.com")),
    )["Role"]["Arn"]
    create = {
        "FunctionName": name,
        "Runtime": resources.PYTHON_RUNTIME,
        "Role": role_arn,
        "Handler": "lambda_function.process_purchase",
        "Code": {"ZipFile": resources.lambda_zip("ProcessPurchase")},
    }
    with pytest.raises(functions.exceptions.InvalidParameterValueException) as refused:
        functions.create_function(**create)
    assert refused.value.response["Error"]["Message"] == account_like.LAMBDA_ROLE_MESSAGE

    resources.retry_while_iam_propagates(functions.create_function, progress=print, **create)
    state = functions.get_function(FunctionName=name)["Configuration"]
    assert (state["State"], state["StateReasonCode"]) == ("Pending", "Creating")
    with pytest.raises(functions.exceptions.ResourceConflictException) as conflict:
        functions.invoke(FunctionName=name, Payload=b"{}")
    assert "currently in the following state: Pending" in str(conflict.value)
    functions.get_waiter("function_active_v2").wait(FunctionName=name)
    assert functions.invoke(FunctionName=name, Payload=b"{}")["StatusCode"] == 200

    functions.delete_function(FunctionName=name)
    iam.delete_role(RoleName=name)
    counts = aws_stand_in.report()["counts"]
    assert counts["role-not-ready:lambda"] >= 1 and counts["function-pending:invoke"] == 1


def _session() -> boto3.Session:
    return boto3.Session(profile_name=aws_stand_in.PROFILE)


def test_step_functions_refuses_a_role_it_cannot_assume_yet(stand_in):
    """AWS answers AccessDeniedException with this message at CreateStateMachine while the
    new role has not spread; the tutorial's retry then succeeds."""
    session = _session()
    iam, sfn = session.client("iam"), session.client("stepfunctions")
    trust = json.dumps(resources.trust_policy("states.amazonaws.com"))
    role_arn = iam.create_role(RoleName="standin-states", AssumeRolePolicyDocument=trust)["Role"][
        "Arn"
    ]
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    create = {"name": "standin-machine", "definition": definition, "roleArn": role_arn}
    with pytest.raises(sfn.exceptions.ClientError) as refused:
        sfn.create_state_machine(**create)
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert refused.value.response["Error"]["Message"] == account_like.STATES_ROLE_MESSAGE
    arn = resources.retry_while_iam_propagates(
        sfn.create_state_machine, progress=lambda message: None, **create
    )["stateMachineArn"]
    sfn.delete_state_machine(stateMachineArn=arn)
    iam.delete_role(RoleName="standin-states")


def test_an_update_during_an_update_is_a_conflict(stand_in):
    """After UpdateFunctionConfiguration, LastUpdateStatus is InProgress for a moment; another
    update meanwhile answers ResourceConflictException, as Lambda does; the waiter waits it out."""
    session = _session()
    iam, functions = session.client("iam"), session.client("lambda")
    trust = json.dumps(resources.trust_policy("lambda.amazonaws.com"))
    role_arn = iam.create_role(RoleName="standin-updates", AssumeRolePolicyDocument=trust)["Role"][
        "Arn"
    ]
    name = "standin-updates"
    resources.retry_while_iam_propagates(
        functions.create_function,
        progress=lambda message: None,
        FunctionName=name,
        Runtime=resources.PYTHON_RUNTIME,
        Role=role_arn,
        Handler="lambda_function.process_purchase",
        Code={"ZipFile": resources.lambda_zip("ProcessPurchase")},
    )
    functions.get_waiter("function_active_v2").wait(FunctionName=name)
    functions.update_function_configuration(FunctionName=name, Timeout=10)
    assert functions.get_function(FunctionName=name)["Configuration"]["LastUpdateStatus"] == (
        "InProgress"
    )
    with pytest.raises(functions.exceptions.ResourceConflictException) as conflict:
        functions.update_function_configuration(FunctionName=name, Timeout=20)
    assert "An update is in progress for resource: arn:aws:lambda:" in str(conflict.value)
    functions.get_waiter("function_updated_v2").wait(FunctionName=name)
    functions.update_function_configuration(FunctionName=name, Timeout=20)
    functions.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert functions.get_function_configuration(FunctionName=name)["Timeout"] == 20
    functions.delete_function(FunctionName=name)
    iam.delete_role(RoleName="standin-updates")


THROTTLED_CALLS = {
    # service: (client name, a control-plane call, the error code, HTTP status)
    "iam": ("iam", lambda client: client.list_roles(), "Throttling", 400),
    "lambda": ("lambda", lambda client: client.list_functions(), "TooManyRequestsException", 429),
    "states": (
        "stepfunctions",
        lambda client: client.list_state_machines(),
        "ThrottlingException",
        400,
    ),
    "events": ("events", lambda client: client.list_rules(), "ThrottlingException", 400),
    "apigateway": (
        "apigateway",
        lambda client: client.get_rest_apis(),
        "TooManyRequestsException",
        429,
    ),
}


@pytest.mark.parametrize("service", sorted(THROTTLED_CALLS))
def test_every_nth_control_plane_call_is_throttled_with_the_services_error(stand_in, service):
    """Without retries, one call in every ``throttle_every`` fails with the service's own
    throttling error; botocore's default retries hide it."""
    name, call, code, status = THROTTLED_CALLS[service]
    every = aws_stand_in.report()["throttle_every"]
    bare = _session().client(name, config=Config(retries={"total_max_attempts": 1}))
    refused = []
    for _ in range(every):
        try:
            call(bare)
        except ClientError as error:
            refused.append(error.response)
    assert len(refused) == 1
    assert refused[0]["Error"]["Code"] == code
    assert refused[0]["ResponseMetadata"]["HTTPStatusCode"] == status
    retrying = _session().client(name)
    for _ in range(every + 1):
        call(retrying)  # one of them is throttled and retried
    assert aws_stand_in.report()["counts"][f"throttled:{service}"] >= 2


def test_data_plane_calls_are_never_throttled(stand_in):
    every = aws_stand_in.report()["throttle_every"]
    bare = _session().client("events", config=Config(retries={"total_max_attempts": 1}))
    entry = {"Source": "standin.test", "DetailType": "Probe", "Detail": "{}"}
    for _ in range(2 * every):
        assert bare.put_events(Entries=[entry])["FailedEntryCount"] == 0


def test_eventbridge_drops_an_event_for_a_role_that_has_not_spread(stand_in):
    """EventBridge cannot assume a role seconds old: the delivery fails with a 4xx, which it
    does not retry, so no execution starts (AWS counts a FailedInvocation)."""
    session = _session()
    iam, sfn, events = (session.client(name) for name in ("iam", "stepfunctions", "events"))
    states_trust = json.dumps(resources.trust_policy("states.amazonaws.com"))
    states_role = iam.create_role(
        RoleName="standin-rule-states", AssumeRolePolicyDocument=states_trust
    )
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    machine = resources.retry_while_iam_propagates(
        sfn.create_state_machine,
        progress=lambda message: None,
        name="standin-rule-target",
        definition=definition,
        roleArn=states_role["Role"]["Arn"],
    )["stateMachineArn"]
    events_trust = json.dumps(resources.trust_policy("events.amazonaws.com"))
    events_role = iam.create_role(
        RoleName="standin-rule-events", AssumeRolePolicyDocument=events_trust
    )
    iam.put_role_policy(
        RoleName="standin-rule-events",
        PolicyName="start",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "states:StartExecution", "Resource": machine}
                ],
            }
        ),
    )
    events.put_rule(Name="standin-rule", EventPattern=json.dumps({"source": ["standin.rule"]}))
    events.put_targets(
        Rule="standin-rule",
        Targets=[{"Id": "machine", "Arn": machine, "RoleArn": events_role["Role"]["Arn"]}],
    )
    before = aws_stand_in.report()["counts"].get("role-not-ready:events.amazonaws.com", 0)
    entry = {"Source": "standin.rule", "DetailType": "Probe", "Detail": "{}"}
    assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0  # accepted, then dropped
    assert sfn.list_executions(stateMachineArn=machine)["executions"] == []
    after = aws_stand_in.report()["counts"]["role-not-ready:events.amazonaws.com"]
    assert after == before + 1
    events.remove_targets(Rule="standin-rule", Ids=["machine"])
    events.delete_rule(Name="standin-rule")
    sfn.delete_state_machine(stateMachineArn=machine)
    iam.delete_role_policy(RoleName="standin-rule-events", PolicyName="start")
    for name in ("standin-rule-events", "standin-rule-states"):
        iam.delete_role(RoleName=name)
