"""The fixes that ``sfn_tutorial/emulator/fixes.py`` applies (managed policies, Step Functions' API,
Lambda's Invoke), checked against the running emulator.

Every test says what AWS does; the emulator must do the same.
"""

import base64
import json

import boto3
import pytest

from sfn_tutorial import executions, resources

PURCHASE = {"TransactionType": "PURCHASE"}


@pytest.fixture
def stack(blog_stack):
    return blog_stack


def run(state_machine_arn, execution_input, **kwargs):
    sfn = boto3.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=state_machine_arn, input=json.dumps(execution_input), **kwargs
    )["executionArn"]
    return executions.wait_for_execution(arn, timeout_s=60)


def test_managed_policies_exist_like_in_aws(emulator):
    # AWS: every account can attach AWS managed policies such as AWSLambdaRole.
    policy = boto3.client("iam").get_policy(PolicyArn=resources.BLOG_STATES_POLICY)["Policy"]
    assert policy["PolicyName"] == "AWSLambdaRole"


def test_task_state_runs_the_real_handler_on_this_servers_port(stack, emulator):
    # The emulator is not on moto's default port 5000, yet the Task reaches its Lambda.
    assert not emulator.endpoint_url.endswith(":5000")
    description = run(stack.state_machine_arn, PURCHASE)
    assert description["status"] == "SUCCEEDED"
    output = json.loads(description["output"])
    assert output["Message"] == "Hello from lambda land inside the ProcessPurchase function"


def test_unnamed_executions_get_distinct_uuid_names(stack):
    # AWS: StartExecution without a name generates a UUID for it.
    first = run(stack.state_machine_arn, PURCHASE)
    second = run(stack.state_machine_arn, PURCHASE)
    assert first["name"] != second["name"]
    assert len(first["name"]) == 36 and first["name"].count("-") == 4
    assert second["status"] == "SUCCEEDED"


def test_named_execution_keeps_its_name(stack):
    assert run(stack.state_machine_arn, PURCHASE, name="my-run")["name"] == "my-run"


def test_no_matching_choice_fails_with_states_no_choice_matched(stack):
    # ASL: a Choice with no matching rule and no Default fails with States.NoChoiceMatched.
    description = run(stack.state_machine_arn, {"TransactionType": "EXCHANGE"})
    assert description["status"] == "FAILED"
    assert description["error"] == "States.NoChoiceMatched"
    assert "ProcessTransaction" in description["cause"]


def test_direct_invoke_runs_the_handler_and_returns_its_log_tail(stack):
    response = boto3.client("lambda").invoke(
        FunctionName=stack.purchase_arn, Payload=json.dumps(PURCHASE), LogType="Tail"
    )
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    payload = json.loads(response["Payload"].read())
    assert payload["Message"] == "Hello from lambda land inside the ProcessPurchase function"
    log = base64.b64decode(response["LogResult"]).decode()
    assert "Received message from Step Functions:" in log
    assert "{'TransactionType': 'PURCHASE'}" in log


def test_handler_exception_is_reported_as_lambda_does(stack):
    # Lambda: FunctionError "Unhandled", and a payload with errorMessage/errorType/stackTrace.
    response = boto3.client("lambda").invoke(FunctionName=stack.purchase_arn, Payload=b"{}")
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "KeyError"
    assert error["errorMessage"] == "'TransactionType'"
    assert any("lambda_function.py" in frame for frame in error["stackTrace"])


def test_task_state_fails_with_the_handlers_error(stack):
    # Step Functions: a Lambda Task whose handler raises fails with the exception's type as error.
    definition = {
        "StartAt": "Call",
        "States": {"Call": {"Type": "Task", "Resource": stack.purchase_arn, "End": True}},
    }
    arn = resources.ensure_state_machine(
        resources.resource_name("raw-call"), definition, stack.states_role_arn
    )
    description = run(arn, {})
    assert description["status"] == "FAILED"
    assert description["error"] == "KeyError"
    assert json.loads(description["cause"])["errorMessage"] == "'TransactionType'"
    events = executions.execution_history(description["executionArn"])
    assert "LambdaFunctionFailed" in [event["type"] for event in events]


def test_handler_output_goes_to_cloudwatch_logs(stack):
    boto3.client("lambda").invoke(
        FunctionName=stack.refund_arn, Payload=b'{"TransactionType": "REFUND"}'
    )
    logs = boto3.client("logs")
    group = "/aws/lambda/" + resources.resource_name("ProcessRefund")
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert streams and streams[0]["logStreamName"].count("/") == 3  # YYYY/MM/DD/[version]id
    messages = [
        event["message"]
        for stream in streams
        for event in logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"])[
            "events"
        ]
    ]
    assert messages[0].startswith("START RequestId: ")
    assert "Received message from Step Function:" in messages
    assert any(message.startswith("REPORT RequestId: ") for message in messages)


def test_event_invocation_returns_202_at_once(stack):
    response = boto3.client("lambda").invoke(
        FunctionName=stack.refund_arn,
        InvocationType="Event",
        Payload=b'{"TransactionType": "REFUND"}',
    )
    assert response["StatusCode"] == 202


def test_dry_run_returns_204(stack):
    response = boto3.client("lambda").invoke(FunctionName=stack.refund_arn, InvocationType="DryRun")
    assert response["StatusCode"] == 204


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        (
            '{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}',
            "MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Next",
        ),
        ('{"StartAt": "A"', "INVALID_JSON_DESCRIPTION: Expecting ',' delimiter"),
        (
            '{"StartAt": "A", "States": {"A": {"Type": "Passs", "End": true}}}',
            "SCHEMA_VALIDATION_FAILED",
        ),
    ],
)
def test_invalid_definitions_are_invalid_definition_errors(emulator, definition, expected):
    # AWS: CreateStateMachine answers InvalidDefinition, "Invalid State Machine Definition: '...'".
    sfn = boto3.client("stepfunctions")
    role = "arn:aws:iam::123456789012:role/any"
    with pytest.raises(sfn.exceptions.InvalidDefinition) as raised:
        sfn.create_state_machine(name="bad", definition=definition, roleArn=role)
    message = raised.value.response["Error"]["Message"]
    assert message.startswith("Invalid State Machine Definition: '")
    assert expected in message


def test_missing_targets_are_found_inside_parallel_branches(emulator):
    definition = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "End": True,
                "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Y"}}}],
            }
        },
    }
    result = boto3.client("stepfunctions").validate_state_machine_definition(
        definition=json.dumps(definition)
    )
    assert result["result"] == "FAIL"
    (found,) = result["diagnostics"]
    assert found["code"] == "MISSING_TRANSITION_TARGET"
    assert found["location"] == "/States/P/Branches[0]/States/X/Next"


def test_validate_state_machine_definition_accepts_the_blogs_machine(stack):
    definition = resources.blog_definition(stack.purchase_arn, stack.refund_arn)
    result = boto3.client("stepfunctions").validate_state_machine_definition(
        definition=json.dumps(definition), type="STANDARD"
    )
    assert (result["result"], result["diagnostics"]) == ("OK", [])


def test_input_that_is_not_json_is_invalid_execution_input(stack):
    # AWS: StartExecution with malformed JSON input fails with InvalidExecutionInput.
    sfn = boto3.client("stepfunctions")
    with pytest.raises(sfn.exceptions.InvalidExecutionInput):
        sfn.start_execution(stateMachineArn=stack.state_machine_arn, input="{TransactionType: X}")


def test_unknown_execution_is_execution_does_not_exist(stack):
    sfn = boto3.client("stepfunctions")
    missing = stack.state_machine_arn.replace(":stateMachine:", ":execution:") + ":nope"
    with pytest.raises(sfn.exceptions.ExecutionDoesNotExist):
        sfn.describe_execution(executionArn=missing)


def test_send_task_failure_fails_the_waiting_task_with_its_error_and_cause(emulator):
    # AWS: the .waitForTaskToken Task fails with the error and the cause SendTaskFailure gave.
    sqs, sfn = boto3.client("sqs"), boto3.client("stepfunctions")
    queue = sqs.create_queue(QueueName="send-task-failure-test")["QueueUrl"]
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}},
        "End": True,
    }
    machine = sfn.create_state_machine(
        name="send-task-failure-test",
        definition=json.dumps({"StartAt": "Wait", "States": {"Wait": task}}),
        roleArn=f"arn:aws:iam::{emulator.account_id}:role/send-task-failure-test",
    )["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    message = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=10)["Messages"][0]
    token = json.loads(message["Body"])["token"]
    sfn.send_task_failure(taskToken=token, error="Declined", cause="card expired")
    description = executions.wait_for_execution(arn, timeout_s=30)
    assert (description["error"], description["cause"]) == ("Declined", "card expired")


def test_describe_execution_shows_input_and_output_as_aws_does(emulator):
    # AWS: inputDetails {"included": true} with the input, as outputDetails with the output,
    # and the output as compact JSON text, as in the ExecutionSucceeded event.
    sfn = boto3.client("stepfunctions")
    machine = sfn.create_state_machine(
        name="input-details-test",
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        roleArn=f"arn:aws:iam::{emulator.account_id}:role/input-details-test",
    )["stateMachineArn"]
    description = run(machine, {"a": 1, "b": [2]})
    assert description["output"] == '{"a":1,"b":[2]}'
    assert description["inputDetails"] == {"included": True}
    assert description["outputDetails"] == {"included": True}
