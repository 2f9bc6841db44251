"""Express executions as AWS runs and hides them (sfn_tutorial/emulator/stepfunctions/
sync_executions.py); StartSyncExecution through API Gateway is tested in test_apigateway.py.

Each test says what AWS does (Step Functions API reference); the emulator must do the same.
"""

import json
import uuid

import boto3
import pytest

from sfn_tutorial import executions, resources
from sfn_tutorial.emulator.stepfunctions import sync_executions

ECHO = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}


@pytest.fixture(scope="module")
def express(emulator):
    role = resources.ensure_role(resources.resource_name("express-role"), "states.amazonaws.com")
    return boto3.client("stepfunctions").create_state_machine(
        name=resources.resource_name("express-echo"),
        definition=json.dumps(ECHO),
        roleArn=role,
        type="EXPRESS",
        tags=resources.tags("key"),
    )["stateMachineArn"]


def test_start_execution_answers_an_express_arn(express):
    # AWS: arn:aws:states:REGION:ACCOUNT:express:MACHINE:NAME:ID
    answer = boto3.client("stepfunctions").start_execution(stateMachineArn=express, name="one")
    machine = express.split(":")[6]
    assert answer["executionArn"].startswith(express.replace(":stateMachine:", ":express:"))
    assert answer["executionArn"].split(":")[5:8] == ["express", machine, "one"]


def test_sync_execution_arn_is_express_too(express):
    answer = boto3.client("stepfunctions").start_sync_execution(stateMachineArn=express)
    assert sync_executions.is_express_arn(answer["executionArn"])
    assert answer["status"] == "SUCCEEDED"


@pytest.mark.parametrize("action", ["describe_execution", "get_execution_history"])
def test_express_executions_have_no_description_or_history(express, action):
    # AWS: InvalidArn, "Invalid Arn: 'Resource type not valid in this context: express'".
    sfn = boto3.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=express)["executionArn"]
    with pytest.raises(sfn.exceptions.InvalidArn) as raised:
        getattr(sfn, action)(executionArn=execution)
    assert raised.value.response["Error"]["Message"] == sync_executions.NOT_FOR_EXPRESS


def test_express_machines_list_no_executions(express):
    # AWS: ListExecutions of an EXPRESS machine answers StateMachineTypeNotSupported.
    sfn = boto3.client("stepfunctions")
    with pytest.raises(sfn.exceptions.StateMachineTypeNotSupported):
        sfn.list_executions(stateMachineArn=express)


def test_start_execution_checks_the_input_of_express_machines(express):
    sfn = boto3.client("stepfunctions")
    with pytest.raises(sfn.exceptions.InvalidExecutionInput):
        sfn.start_execution(stateMachineArn=express, input="{not json")


def test_standard_machines_keep_their_executions(blog_stack):
    # AWS: StartSyncExecution of a STANDARD machine answers StateMachineTypeNotSupported.
    sfn = boto3.client("stepfunctions")
    with pytest.raises(sfn.exceptions.StateMachineTypeNotSupported):
        sfn.start_sync_execution(stateMachineArn=blog_stack.state_machine_arn)


# An EXPRESS machine runs Request Response integrations only (AWS's developer guide, "Integrating
# optimized services": "Express Workflows only support Request Response integrations"), so a
# parent that waits for a child (.sync, .sync:2) or for a callback must be STANDARD. AWS's words
# below are those AWS answered (../shared/conformance/localstack_validation_cases.jsonl,
# test_sfn_api_express and test_sfn_api_validation, aws_recorded).
def _waits_for(resource: str) -> str:
    return json.dumps(
        {
            "StartAt": "Child",
            "States": {
                "Child": {
                    "Type": "Task",
                    "Resource": resource,
                    "Arguments": {"StateMachineArn": "arn:aws:states:us-east-1:1:stateMachine:c"},
                    "QueryLanguage": "JSONata",
                    "End": True,
                }
            },
        }
    )


def _create(definition: str, machine_type: str) -> str:
    role = resources.ensure_role(resources.resource_name("express-role"), "states.amazonaws.com")
    return boto3.client("stepfunctions").create_state_machine(
        name=resources.resource_name(f"parent-{machine_type.lower()}"),
        definition=definition,
        roleArn=role,
        type=machine_type,
        tags=resources.tags("key"),
    )["stateMachineArn"]


@pytest.mark.parametrize(
    "resource, words",
    [
        (
            "arn:aws:states:::states:startExecution.sync",
            "Express state machine does not support '.sync' service integration",
        ),
        (
            "arn:aws:states:::states:startExecution.sync:2",
            "Express state machine does not support '.sync' service integration",
        ),
        (
            "arn:aws:states:::states:startExecution.waitForTaskToken",
            "Express state machine does not support '.waitForTaskToken' service integration ",
        ),
    ],
)
def test_an_express_parent_cannot_wait_for_its_child(emulator, resource, words):
    sfn = boto3.client("stepfunctions")
    with pytest.raises(sfn.exceptions.InvalidDefinition) as refused:
        _create(_waits_for(resource), "EXPRESS")
    assert refused.value.response["Error"]["Message"] == (
        f"Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: {words} "
        "at /States/Child/Resource'"
    )


def test_a_standard_parent_may_wait_for_its_child(emulator):
    arn = _create(_waits_for("arn:aws:states:::states:startExecution.sync:2"), "STANDARD")
    assert boto3.client("stepfunctions").describe_state_machine(stateMachineArn=arn)["type"] == (
        "STANDARD"
    )


def test_an_express_parent_may_start_its_child_without_waiting(emulator):
    arn = _create(_waits_for("arn:aws:states:::states:startExecution"), "EXPRESS")
    assert boto3.client("stepfunctions").describe_state_machine(stateMachineArn=arn)["type"] == (
        "EXPRESS"
    )


def test_an_express_machine_cannot_be_updated_to_wait(emulator):
    sfn = boto3.client("stepfunctions")
    arn = _create(_waits_for("arn:aws:states:::states:startExecution"), "EXPRESS")
    waiting = _waits_for("arn:aws:states:::states:startExecution.sync")
    with pytest.raises(sfn.exceptions.InvalidDefinition):
        sfn.update_state_machine(stateMachineArn=arn, definition=waiting)


def test_validation_of_an_express_definition_names_the_pattern(emulator):
    sfn = boto3.client("stepfunctions")
    definition = _waits_for("arn:aws:states:::sqs:sendMessage.waitForTaskToken")
    express = sfn.validate_state_machine_definition(definition=definition, type="EXPRESS")
    standard = sfn.validate_state_machine_definition(definition=definition, type="STANDARD")
    assert express["result"] == "FAIL"
    assert express["diagnostics"] == [
        {
            "severity": "ERROR",
            "code": "SCHEMA_VALIDATION_FAILED",
            "message": "Express state machine does not support '.waitForTaskToken' service "
            "integration ",
            "location": "/States/Child/Resource",
        }
    ]
    assert standard["result"] == "OK"


def test_an_express_machine_cannot_use_an_activity(emulator):
    sfn = boto3.client("stepfunctions")
    definition = json.dumps(
        {
            "StartAt": "Work",
            "States": {
                "Work": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:us-east-1:123456789012:activity:work",
                    "End": True,
                }
            },
        }
    )
    with pytest.raises(sfn.exceptions.InvalidDefinition) as refused:
        _create(definition, "EXPRESS")
    assert "does not support Activity ARN at /States/Work/Resource" in str(refused.value)


# A Standard parent may wait for an Express child: AWS's developer guide names it the first
# cost-optimisation tip, and its selective-checkpointing sample's Standard parent calls
# startExecution.sync on an Express child. The Task's result is the child's description, as for
# a Standard child (Status, Output...), and a failed child fails the Task with States.TaskFailed.
CHILD_FAILS = {
    "StartAt": "Fail",
    "States": {"Fail": {"Type": "Fail", "Error": "Refused", "Cause": "no stock"}},
}


# The parent's role, as the selective-checkpointing sample grants it.
PARENT_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["states:StartExecution", "states:DescribeExecution", "states:StopExecution"],
            "Resource": "*",
        }
    ],
}


def _machine(definition: dict, machine_type: str) -> str:
    role = resources.ensure_role(
        resources.resource_name("parent-role"),
        "states.amazonaws.com",
        inline_policies={"children": PARENT_POLICY},
    )
    return boto3.client("stepfunctions").create_state_machine(
        name=resources.resource_name(f"{machine_type.lower()}-{uuid.uuid4().hex[:8]}"),
        definition=json.dumps(definition),
        roleArn=role,
        type=machine_type,
        tags=resources.tags("key"),
    )["stateMachineArn"]


def _run_parent(resource: str, child: str) -> dict:
    parent = {
        "StartAt": "Child",
        "States": {
            "Child": {
                "Type": "Task",
                "Resource": resource,
                "Parameters": {"StateMachineArn": child, "Input": {"order": 7}},
                "End": True,
            }
        },
    }
    sfn = boto3.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=_machine(parent, "STANDARD"))["executionArn"]
    return executions.wait_for_execution(arn)


@pytest.mark.parametrize(
    "resource, output",
    [
        ("arn:aws:states:::states:startExecution.sync", '{"order":7}'),
        ("arn:aws:states:::states:startExecution.sync:2", {"order": 7}),
    ],
)
def test_a_standard_parent_waits_for_an_express_child(express, resource, output):
    ended = _run_parent(resource, express)
    assert ended["status"] == "SUCCEEDED", (ended.get("error"), ended.get("cause"))
    result = json.loads(ended["output"])
    assert result["Status"] == "SUCCEEDED"
    assert result["Output"] == output
    assert sync_executions.is_express_arn(result["ExecutionArn"])
    assert result["StateMachineArn"] == express
    assert {"StartDate", "StopDate", "Input", "InputDetails", "OutputDetails"} <= set(result)


def test_a_failed_express_child_fails_the_waiting_task(emulator):
    ended = _run_parent(
        "arn:aws:states:::states:startExecution.sync:2", _machine(CHILD_FAILS, "EXPRESS")
    )
    assert ended["status"] == "FAILED"
    assert ended["error"] == "States.TaskFailed", ended.get("cause")
    cause = json.loads(ended["cause"])
    assert (cause["Status"], cause["Error"], cause["Cause"]) == ("FAILED", "Refused", "no stock")
