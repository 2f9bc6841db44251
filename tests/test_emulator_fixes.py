"""The fixes that ``sfn_tutorial/emulator/fixes.py`` applies (managed policies, Step Functions' API,
Lambda's Invoke), checked against the running emulator.

Every test says what AWS does; the emulator must do the same.
"""

import base64
import json

import boto3
import botocore.exceptions
import broad_roles
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
        (
            '{"StartAt": "P", "States": {"P": {"Type": "Parallel", "Branches": [], "End": true}}}',
            "SCHEMA_VALIDATION_FAILED: Value cannot be empty at /States/P/Branches",
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


# ------------------------------------------------------------------ strictness, as AWS checks

ROLE = "arn:aws:iam::123456789012:role/tests-may-do-anything"  # see broad_roles
PASS_MACHINE = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}


def _create_machine(sfn, name: str, definition: dict, **settings) -> str:
    """The ARN of the state machine ``name`` of ``definition`` that ``sfn`` creates with the
    broad role and ``settings`` (``type``...)."""
    return sfn.create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=broad_roles.role(), **settings
    )["stateMachineArn"]


def _pass_machine_request(name: str) -> dict:
    """A CreateStateMachine request for PASS_MACHINE called ``name``, with the broad role."""
    return {"name": name, "definition": json.dumps(PASS_MACHINE), "roleArn": broad_roles.role()}


def _error(call, **kwargs) -> dict:
    """The error AWS (here the emulator) answers ``call(**kwargs)`` with."""
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]


def test_create_state_machine_twice_with_the_same_request_returns_the_first(emulator):
    # AWS (CreateStateMachine): "an idempotent API ... based on the state machine name,
    # definition, type, LoggingConfiguration, TracingConfiguration, and EncryptionConfiguration".
    sfn = boto3.client("stepfunctions")
    request = _pass_machine_request("same-twice")
    first = sfn.create_state_machine(**request)
    second = sfn.create_state_machine(**request)
    assert (second["stateMachineArn"], second["creationDate"]) == (
        first["stateMachineArn"],
        first["creationDate"],
    )


@pytest.mark.parametrize(
    "change",
    [
        {"definition": json.dumps({**PASS_MACHINE, "Comment": "edited"})},
        # recorded on AWS: the same JSON, indented, is another definition (compared as text)
        {"definition": json.dumps(PASS_MACHINE, indent=4)},
        {"type": "EXPRESS"},
        {"loggingConfiguration": {"level": "ALL", "includeExecutionData": True}},
        {"tracingConfiguration": {"enabled": True}},
    ],
    ids=["definition", "definition-indented", "type", "logging", "tracing"],
)
def test_create_state_machine_with_a_taken_name_and_another_request_is_refused(emulator, change):
    # AWS-recorded (LocalStack's test_sfn_api.snapshot.json, test_create_duplicate_sm_name):
    # StateMachineAlreadyExists, "State Machine Already Exists: '<arn>'"; the old one is kept.
    sfn = boto3.client("stepfunctions")
    request = _pass_machine_request("taken")
    arn = sfn.create_state_machine(**request)["stateMachineArn"]
    error = _error(sfn.create_state_machine, **{**request, **change})
    assert error["Code"] == "StateMachineAlreadyExists"
    assert error["Message"] == f"State Machine Already Exists: '{arn}'"
    assert sfn.describe_state_machine(stateMachineArn=arn)["definition"] == request["definition"]
    sfn.delete_state_machine(stateMachineArn=arn)


def test_create_state_machine_ignores_another_role_and_tags(emulator):
    # AWS (CreateStateMachine): "If a following request has a different roleArn or tags, Step
    # Functions will ignore these differences ... roleArn and tags will not be updated".
    sfn = boto3.client("stepfunctions")
    request = _pass_machine_request("other-role")
    arn = sfn.create_state_machine(**request)["stateMachineArn"]
    again = sfn.create_state_machine(
        **{**request, "roleArn": ROLE + "-2"}, tags=[{"key": "k", "value": "v"}]
    )
    assert again["stateMachineArn"] == arn
    assert sfn.describe_state_machine(stateMachineArn=arn)["roleArn"] == ROLE


INVALID_NAME_CHARACTERS = [
    " ", "\t", "<", ">", "{", "}", "[", "]", "?", "*", '"', "#", "%", "\\", "^", "|", "~", "`",
    "$", "&", ",", ";", ":", "/", "\u0000", "\u001f", "\u007f", "\u009f", "\ufffe",
]  # fmt: skip


@pytest.fixture(scope="module")
def pass_machine(emulator):
    sfn = boto3.client("stepfunctions")
    return _create_machine(sfn, "names", PASS_MACHINE)


@pytest.mark.parametrize("character", INVALID_NAME_CHARACTERS, ids=ascii)
def test_execution_names_with_a_forbidden_character_are_invalid_name(pass_machine, character):
    # AWS (StartExecution's name): "A name must not contain: white space; brackets < > { } [ ];
    # wildcard characters ? *; special characters " # % \ ^ | ~ ` $ & , ; : /; control characters
    # (U+0000-001F, U+007F-009F, U+FFFE-FFFF) ...". The error is InvalidName, "Invalid Name:
    # '<name>'": that wording is AWS-recorded for CreateActivity (LocalStack's
    # test_sfn_api_activities.snapshot.json); for StartExecution it is assumed, not recorded.
    name = f"run{character}1"
    error = _error(
        boto3.client("stepfunctions").start_execution, stateMachineArn=pass_machine, name=name
    )
    assert (error["Code"], error["Message"]) == ("InvalidName", f"Invalid Name: '{name}'")


def test_execution_names_longer_than_80_characters_are_a_validation_exception(pass_machine):
    # AWS (as quoted in wolfeidau/buildkite-serverless-agent#37 for StartExecution):
    # "ValidationException: 1 validation error detected: Value '...' at 'name' failed to satisfy
    # constraint: Member must have length less than or equal to 80".
    sfn = boto3.client("stepfunctions")
    error = _error(sfn.start_execution, stateMachineArn=pass_machine, name="n" * 81)
    assert error["Code"] == "ValidationException"
    assert error["Message"] == (
        f"1 validation error detected: Value '{'n' * 81}' at 'name' failed to satisfy "
        "constraint: Member must have length less than or equal to 80"
    )
    started = sfn.start_execution(stateMachineArn=pass_machine, name="n" * 80)
    assert started["executionArn"].endswith(":" + "n" * 80)


@pytest.mark.parametrize("name", ["with space", "tab\there", "x" * 81, "bad\ufffe"], ids=ascii)
def test_state_machine_names_are_checked_like_execution_names(emulator, name):
    # CreateStateMachine's name has the same rules (botocore's service model, Name shape).
    error = _error(
        boto3.client("stepfunctions").create_state_machine,
        name=name,
        definition=json.dumps(PASS_MACHINE),
        roleArn=broad_roles.role(),
    )
    assert error["Code"] == ("ValidationException" if len(name) > 80 else "InvalidName")


def test_execution_input_over_256_kb_is_refused_before_the_execution_starts(pass_machine):
    # AWS (StartExecution's input, botocore's service model): at most 262144, "Length constraints
    # apply to the payload size, and are expressed as bytes in UTF-8 encoding." The model lists
    # no error of its own for it: a broken length constraint is a ValidationException. AWS's
    # exact message for 'input' was not found recorded anywhere; this one is its usual wording
    # for a sensitive member (the value left out).
    sfn = boto3.client("stepfunctions")
    fits = json.dumps({"text": "x" * (262_144 - 12)})
    assert len(fits.encode()) == 262_144
    sfn.start_execution(stateMachineArn=pass_machine, input=fits)  # accepted: exactly the limit
    started = len(sfn.list_executions(stateMachineArn=pass_machine)["executions"])
    too_big = json.dumps({"text": "가" * 87_400}, ensure_ascii=False)  # 3 bytes a character
    assert len(too_big) < 262_144 < len(too_big.encode())
    error = _error(sfn.start_execution, stateMachineArn=pass_machine, input=too_big)
    assert error["Code"] == "ValidationException"
    assert error["Message"] == (
        "1 validation error detected: Value at 'input' failed to satisfy constraint: "
        "Member must have length less than or equal to 262144"
    )
    assert len(sfn.list_executions(stateMachineArn=pass_machine)["executions"]) == started


def test_start_sync_execution_checks_names_and_inputs_too(emulator):
    from botocore.config import Config

    sfn = boto3.client("stepfunctions", config=Config(inject_host_prefix=False))
    arn = _create_machine(sfn, "sync-names", PASS_MACHINE, type="EXPRESS")
    assert _error(sfn.start_sync_execution, stateMachineArn=arn, name="a b")["Code"] == (
        "InvalidName"
    )
    too_big = json.dumps({"text": "x" * 262_144})
    error = _error(sfn.start_sync_execution, stateMachineArn=arn, input=too_big)
    assert error["Code"] == "ValidationException"
    assert sfn.start_sync_execution(stateMachineArn=arn, name="ok")["status"] == "SUCCEEDED"


# Definitions AWS refuses, and the diagnostic it gives (code, message, location). Where each
# wording comes from is in sfn_tutorial/emulator/stepfunctions/validation.py, next to its check.
REFUSED_DEFINITIONS = {
    "neither-next-nor-end": (
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass"}}},
        # wording quoted from AWS by the cdk_preflight rules (pf-sfn-asl-next-end), not recorded
        [
            "SCHEMA_VALIDATION_FAILED",
            "This object should have only one of the following fields: [Next, End]",
            "/States/B",
        ],
    ),
    "next-and-end": (
        {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 1, "Next": "A", "End": True}}},
        [
            "SCHEMA_VALIDATION_FAILED",
            "There should only be one of the following fields: [Next, End]",
            "/States/A",
        ],
    ),
    "unreachable": (
        {
            "StartAt": "A",
            "States": {"A": {"Type": "Succeed"}, "B": {"Type": "Pass", "End": True}},
        },
        # as CloudFormation quotes AWS (aws-cloudformation/cfn-lint#4073)
        ["MISSING_TRANSITION_TARGET", 'State "B" is not reachable.', "/States/B"],
    ),
    "unreachable-in-a-map": (
        {
            "StartAt": "M",
            "States": {
                "M": {
                    "Type": "Map",
                    "End": True,
                    "ItemProcessor": {
                        "StartAt": "W",
                        "States": {
                            "W": {"Type": "Pass", "End": True},
                            "Ghost": {"Type": "Pass", "End": True},
                        },
                    },
                }
            },
        },
        # measured on AWS by floci (floci-io/floci#2786)
        [
            "MISSING_TRANSITION_TARGET",
            'State "Ghost" is not reachable.',
            "/States/M/ItemProcessor/States/Ghost",
        ],
    ),
    "no-terminal-state": (
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "A"}}},
        # measured on AWS by floci (floci-io/floci#2735): no location
        ["MISSING_END_STATE", "Workflow has no terminal state", None],
    ),
    "resource-not-an-arn": (
        {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "not-an-arn", "End": True}}},
        # as AWS answered deployments quoted in public issues; not recorded by this project
        ["SCHEMA_VALIDATION_FAILED", "Value is not a valid resource ARN", "/States/A/Resource"],
    ),
    "no-start-at-nor-states": (
        {},
        # AWS-recorded (ValidateStateMachineDefinition of {})
        ["SCHEMA_VALIDATION_FAILED", "These fields are required: [States, StartAt]", "/"],
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED_DEFINITIONS))
def test_validate_state_machine_definition_reports_what_aws_reports(emulator, case):
    definition, expected = REFUSED_DEFINITIONS[case]
    result = boto3.client("stepfunctions").validate_state_machine_definition(
        definition=json.dumps(definition)
    )
    assert result["result"] == "FAIL"
    found = [[d["code"], d["message"], d.get("location")] for d in result["diagnostics"]]
    assert found == [expected]


@pytest.mark.parametrize("case", sorted(REFUSED_DEFINITIONS))
def test_create_state_machine_refuses_the_same_definitions(emulator, case):
    # InvalidDefinition, "Invalid State Machine Definition: 'CODE: message at location'"; with no
    # location "at null" (measured on AWS by floci for MISSING_END_STATE).
    definition, (code, message, location) = REFUSED_DEFINITIONS[case]
    sfn = boto3.client("stepfunctions")
    error = _error(
        sfn.create_state_machine, name=f"refused-{case}", definition=json.dumps(definition),
        roleArn=broad_roles.role(),
    )  # fmt: skip
    assert error["Code"] == "InvalidDefinition"
    assert error["Message"] == (
        f"Invalid State Machine Definition: '{code}: {message} at {location or 'null'}'"
    )


def test_several_graph_problems_are_listed_in_awss_order(emulator):
    # As AWS answered (localstack/localstack#12487, quoting `aws stepfunctions
    # create-state-machine`): targets that name no state first, then unreachable states, ", "
    # between them.
    definition = {
        "StartAt": "pass1",
        "States": {
            "pass1": {"Type": "Pass", "Next": "pass3"},
            "pass2": {"Type": "Pass", "End": True},
        },
    }
    error = _error(
        boto3.client("stepfunctions").create_state_machine,
        name="several",
        definition=json.dumps(definition),
        roleArn=broad_roles.role(),
    )
    assert error["Message"] == (
        "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: "
        'pass3 at /States/pass1/Next, MISSING_TRANSITION_TARGET: State "pass2" is not '
        "reachable. at /States/pass2'"
    )


def waiting_for_a_token(name: str) -> tuple[str, str]:
    """Start an execution whose Task waits for a token sent through SQS; return its ARN and
    the token."""
    sqs, sfn = boto3.client("sqs"), boto3.client("stepfunctions")
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}},
        "End": True,
    }
    machine = _create_machine(sfn, name, {"StartAt": "Wait", "States": {"Wait": task}})
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    message = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=10)["Messages"][0]
    return arn, json.loads(message["Body"])["token"]


def test_send_task_failure_fails_the_waiting_task_with_its_error_and_cause(emulator):
    # AWS: the .waitForTaskToken Task fails with the error and the cause SendTaskFailure gave.
    sfn = boto3.client("stepfunctions")
    arn, token = waiting_for_a_token("send-task-failure-test")
    sfn.send_task_failure(taskToken=token, error="Declined", cause="card expired")
    description = executions.wait_for_execution(arn, timeout_s=30)
    assert (description["error"], description["cause"]) == ("Declined", "card expired")


def test_stop_execution_aborts_at_once_with_its_error_and_cause(emulator):
    # AWS: when StopExecution returns, the execution is ABORTED; DescribeExecution and its
    # ExecutionAborted event hold the error and cause StopExecution gave.
    sfn = boto3.client("stepfunctions")
    arn, _ = waiting_for_a_token("stop-execution-test")
    sfn.stop_execution(executionArn=arn, error="Cancelled", cause="the customer cancelled")
    described = sfn.describe_execution(executionArn=arn)
    assert (described["status"], described["error"], described["cause"]) == (
        "ABORTED",
        "Cancelled",
        "the customer cancelled",
    )
    last = sfn.get_execution_history(executionArn=arn, reverseOrder=True)["events"][0]
    assert last["type"] == "ExecutionAborted"
    assert last["executionAbortedEventDetails"] == {
        "error": "Cancelled",
        "cause": "the customer cancelled",
    }


@pytest.mark.parametrize(
    "answer",
    [
        lambda sfn, token: sfn.send_task_success(taskToken=token, output="{}"),
        lambda sfn, token: sfn.send_task_failure(taskToken=token, error="Late"),
        lambda sfn, token: sfn.send_task_heartbeat(taskToken=token),
    ],
    ids=["success", "failure", "heartbeat"],
)
def test_the_token_of_a_stopped_execution_has_timed_out(emulator, answer):
    # AWS: a token whose execution was stopped is gone: TaskTimedOut, "Task Timed Out:
    # 'Provided task does not exist anymore'", and the stopped execution's history is unchanged.
    sfn = boto3.client("stepfunctions")
    arn, token = waiting_for_a_token("stopped-token-test")
    sfn.stop_execution(executionArn=arn)
    assert not {"error", "cause"} & set(sfn.describe_execution(executionArn=arn))  # none given
    with pytest.raises(sfn.exceptions.TaskTimedOut) as raised:
        answer(sfn, token)
    assert raised.value.response["Error"]["Message"] == (
        "Task Timed Out: 'Provided task does not exist anymore'"
    )
    events = sfn.get_execution_history(executionArn=arn)["events"]
    assert events[-1]["type"] == "ExecutionAborted"
    assert not {"TaskSucceeded", "TaskFailed"} & {event["type"] for event in events}
    with pytest.raises(sfn.exceptions.InvalidToken):  # a token Step Functions never gave
        sfn.send_task_success(taskToken="not-a-token", output="{}")


def test_stop_execution_refuses_an_express_execution(emulator):
    # AWS: "This API action is not supported by EXPRESS state machines": an Express
    # execution's ARN is InvalidArn, as DescribeExecution answers it.
    sfn = boto3.client("stepfunctions")
    wait = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": True}}}
    machine = _create_machine(sfn, "stop-express-test", wait, type="EXPRESS")
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    with pytest.raises(sfn.exceptions.InvalidArn) as raised:
        sfn.stop_execution(executionArn=arn)
    assert raised.value.response["Error"]["Message"] == (
        "Invalid Arn: 'Resource type not valid in this context: express'"
    )


def test_describe_execution_shows_input_and_output_as_aws_does(emulator):
    # AWS: inputDetails {"included": true} with the input, as outputDetails with the output,
    # and the output as compact JSON text, as in the ExecutionSucceeded event.
    sfn = boto3.client("stepfunctions")
    machine = _create_machine(
        sfn, "input-details-test", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    )
    description = run(machine, {"a": 1, "b": [2]})
    assert description["output"] == '{"a":1,"b":[2]}'
    assert description["inputDetails"] == {"included": True}
    assert description["outputDetails"] == {"included": True}


def test_execution_history_is_paged_ordered_and_may_leave_out_data(stack):
    # AWS GetExecutionHistory: maxResults per page with a nextToken, reverseOrder for newest
    # first, includeExecutionData=False without inputs and outputs.
    sfn = boto3.client("stepfunctions")
    arn = run(stack.state_machine_arn, PURCHASE)["executionArn"]
    everything = sfn.get_execution_history(executionArn=arn)["events"]
    first = sfn.get_execution_history(executionArn=arn, maxResults=3)
    assert [event["id"] for event in first["events"]] == [1, 2, 3]
    rest = sfn.get_execution_history(executionArn=arn, maxResults=3, nextToken=first["nextToken"])
    assert rest["events"][0]["id"] == 4
    newest = sfn.get_execution_history(executionArn=arn, reverseOrder=True)["events"]
    assert [event["id"] for event in newest] == [event["id"] for event in reversed(everything)]
    bare = sfn.get_execution_history(executionArn=arn, includeExecutionData=False)["events"]
    started = bare[0]["executionStartedEventDetails"]
    assert "input" not in started and "roleArn" in started
