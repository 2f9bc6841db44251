"""Express executions as AWS runs and hides them (sfn_tutorial/emulator/stepfunctions/
sync_executions.py); StartSyncExecution through API Gateway is tested in test_apigateway.py.

Each test says what AWS does (Step Functions API reference); the emulator must do the same.
"""

import json

import boto3
import pytest

from sfn_tutorial import resources
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
