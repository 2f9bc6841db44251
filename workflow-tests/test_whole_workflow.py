"""An integration test: the blog's whole workflow, deployed and run on the local emulator.

The unit tests check each state alone, with mocks. This one deploys the two Lambda functions
and the state machine, runs a purchase and a refund from the first state to the last, with the
real handler code, and deletes what it made. It runs on the local target only (boto3 pointed at
the emulator by ``AWS_ENDPOINT_URL``): on an account it would create real resources.
"""

from __future__ import annotations

import io
import json
import os
import time
import uuid
import zipfile
from pathlib import Path

import boto3
import definitions
import pytest

# The functions' code: lambdas/NAME/lambda_function.py (or WORKFLOW_FUNCTIONS/NAME/...)
FUNCTIONS = Path(os.environ.get("WORKFLOW_FUNCTIONS", definitions.HERE.parent / "lambdas"))
HANDLERS = {
    "ProcessPurchase": "lambda_function.process_purchase",
    "ProcessRefund": "lambda_function.process_refund",
}
TAGS = {"created-by": "workflow-tests"}
FINISH_WITHIN_S = 120  # a run of two cold functions takes seconds; this only bounds a hang

pytestmark = pytest.mark.skipif(
    not os.environ.get("AWS_ENDPOINT_URL"),
    reason="deploys resources: runs on the local emulator only (AWS_ENDPOINT_URL)",
)


def trusting(service: str) -> str:
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def zipped(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(folder / "lambda_function.py", "lambda_function.py")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def deployed():
    """The blog's workflow, deployed under names of its own; everything is deleted after."""
    iam, lam, sfn = boto3.client("iam"), boto3.client("lambda"), boto3.client("stepfunctions")
    prefix = f"workflow-it-{uuid.uuid4().hex[:8]}"
    made: list = []
    try:
        function_role = iam.create_role(
            RoleName=f"{prefix}-functions",
            AssumeRolePolicyDocument=trusting("lambda.amazonaws.com"),
        )["Role"]
        made.append(lambda: iam.delete_role(RoleName=function_role["RoleName"]))
        arns = {}
        for name, handler in HANDLERS.items():
            arns[name] = lam.create_function(
                FunctionName=f"{prefix}-{name}",
                Runtime="python3.12",
                Role=function_role["Arn"],
                Handler=handler,
                Code={"ZipFile": zipped(FUNCTIONS / name)},
                Tags=TAGS,
            )["FunctionArn"]
            made.append(lambda name=name: lam.delete_function(FunctionName=f"{prefix}-{name}"))
            lam.get_waiter("function_active_v2").wait(FunctionName=arns[name])
        machine_role = iam.create_role(
            RoleName=f"{prefix}-machine", AssumeRolePolicyDocument=trusting("states.amazonaws.com")
        )["Role"]
        made.append(lambda: iam.delete_role(RoleName=machine_role["RoleName"]))
        invoke = {
            "Effect": "Allow",
            "Action": "lambda:InvokeFunction",
            "Resource": list(arns.values()),
        }
        iam.put_role_policy(
            RoleName=machine_role["RoleName"],
            PolicyName="invoke-the-functions",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [invoke]}),
        )
        made.append(
            lambda: iam.delete_role_policy(
                RoleName=machine_role["RoleName"], PolicyName="invoke-the-functions"
            )
        )
        definition = definitions.load(
            "transactions",
            ProcessPurchaseFunctionArn=arns["ProcessPurchase"],
            ProcessRefundFunctionArn=arns["ProcessRefund"],
        )
        machine = sfn.create_state_machine(
            name=prefix,
            definition=json.dumps(definition),
            roleArn=machine_role["Arn"],
            tags=[{"key": key, "value": value} for key, value in TAGS.items()],
        )["stateMachineArn"]
        made.append(lambda: sfn.delete_state_machine(stateMachineArn=machine))
        yield machine
    finally:
        for undo in reversed(made):
            undo()


def run_to_the_end(machine: str, execution_input: dict) -> dict:
    """Start an execution and wait for it to end; its description."""
    sfn = boto3.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps(execution_input))[
        "executionArn"
    ]
    deadline = time.monotonic() + FINISH_WITHIN_S
    while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, f"{arn} still running after {FINISH_WITHIN_S} s"
        time.sleep(0.2)
    return described


@pytest.mark.parametrize(
    ("transaction_type", "greeting"),
    [
        ("PURCHASE", "Hello from lambda land inside the ProcessPurchase function"),
        ("REFUND", "Hello from Refund Processor!"),
    ],
)
def test_a_transaction_runs_through_its_function(deployed, transaction_type, greeting):
    described = run_to_the_end(deployed, {"TransactionType": transaction_type})
    assert described["status"] == "SUCCEEDED"
    output = json.loads(described["output"])  # what the function returned
    assert (output["TransactionType"], output["Message"]) == (transaction_type, greeting)
    assert set(output) == {"TransactionType", "Timestamp", "Message"}


def test_an_unknown_transaction_type_fails_the_execution(deployed):
    described = run_to_the_end(deployed, {"TransactionType": "EXCHANGE"})
    assert (described["status"], described["error"]) == ("FAILED", "States.NoChoiceMatched")
