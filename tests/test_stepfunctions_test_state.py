"""``TestState`` on the local target (emulator/stepfunctions/test_state.py, test_state_checks.py).

Every test calls the emulator's TestState and says what AWS answers. The AWS-recorded cases are
in tests/test_conformance_test_state.py; these are the main paths, readable on their own.
"""

import json
import time
import uuid

import boto3
import lambda_code
import policies
import pytest

TRUST = policies.trust("lambda.amazonaws.com", "states.amazonaws.com")
DOUBLER = "def handler(event, context):\n    return {'doubled': event['n'] * 2}\n"
SLEEPER = (
    "import time\n\ndef handler(event, context):\n"
    "    time.sleep(event['seconds'])\n    return {'slept': event['seconds']}\n"
)
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"


@pytest.fixture(scope="module")
def sfn(emulator):
    return boto3.client("stepfunctions")


@pytest.fixture(scope="module")
def role_arn(emulator) -> str:
    iam = boto3.client("iam")
    name = f"test-state-{uuid.uuid4().hex[:8]}"
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    policy = policies.allowing("lambda:InvokeFunction")  # TestState calls as the role
    iam.put_role_policy(RoleName=name, PolicyName="invoke", PolicyDocument=json.dumps(policy))
    return arn


@pytest.fixture(scope="module")
def doubler(role_arn) -> str:
    """A Lambda function that answers ``{"doubled": n * 2}``; its ARN."""
    return lambda_code.python_function(f"test-state-{uuid.uuid4().hex[:8]}", DOUBLER, role_arn)


def answer_of(sfn, state: dict, **request) -> dict:
    """TestState's answer for ``state`` (a dict), with JSON strings read back as values."""
    for name in ("input", "variables", "context"):
        if name in request and not isinstance(request[name], str):
            request[name] = json.dumps(request[name])
    answer = sfn.test_state(definition=json.dumps(state), **request)
    answer.pop("ResponseMetadata")
    if "output" in answer:
        answer["output"] = json.loads(answer["output"])
    for key, value in answer.get("inspectionData", {}).items():
        if isinstance(value, str):
            answer["inspectionData"][key] = json.loads(value)
    return answer


def refusal(sfn, state: dict, error: str, **request) -> str:
    """The message of the error TestState answers with (``error``, HTTP 400)."""
    with pytest.raises(sfn.exceptions.ClientError) as raised:
        sfn.test_state(definition=json.dumps(state), **request)
    response = raised.value.response
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == (
        error,
        400,
    )
    return response["Error"]["Message"]


# ---------------------------------------------------------------- inspection levels


IO_PASS = {
    "Type": "Pass",
    "InputPath": "$.order",
    "Parameters": {"item.$": "$.item", "fixed": 1},
    "ResultPath": "$.picked",
    "End": True,
}
ORDER = {"order": {"item": "book", "note": "gift"}, "customer": "ada"}


def test_a_pass_state_at_debug_shows_each_processing_step(sfn):
    # AWS: DEBUG adds inspectionData: the input, and the data after InputPath, Parameters,
    # ResultSelector (none here: the result) and ResultPath.
    answer = answer_of(sfn, IO_PASS, input=ORDER, inspectionLevel="DEBUG")
    assert answer["status"] == "SUCCEEDED"
    assert answer["output"] == {**ORDER, "picked": {"item": "book", "fixed": 1}}
    assert answer["inspectionData"] == {
        "input": ORDER,
        "afterInputPath": {"item": "book", "note": "gift"},
        "afterParameters": {"item": "book", "fixed": 1},
        "afterResultSelector": {"item": "book", "fixed": 1},
        "afterResultPath": {**ORDER, "picked": {"item": "book", "fixed": 1}},
    }
    assert "nextState" not in answer  # an End state


def test_info_is_the_default_and_has_no_inspection_data(sfn):
    answer = answer_of(sfn, IO_PASS, input=ORDER)
    assert answer["status"] == "SUCCEEDED" and "inspectionData" not in answer


def test_a_jsonata_state_shows_its_input_only(sfn):
    # AWS: a JSONata Pass state has no JSONPath steps to show.
    state = {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input.n + 1 %}"}
    answer = answer_of(sfn, {**state, "End": True}, input={"n": 1}, inspectionLevel="TRACE")
    assert (answer["output"], answer["inspectionData"]) == (2, {"input": {"n": 1}})


# ---------------------------------------------------------------- Task states


def test_a_task_calls_the_real_lambda_handler(sfn, role_arn, doubler):
    # AWS: without a mock, the Task calls its service: here the function's handler runs.
    state = {"Type": "Task", "Resource": doubler, "Next": "Ship"}
    answer = answer_of(sfn, state, input={"n": 21}, roleArn=role_arn, inspectionLevel="DEBUG")
    assert (answer["status"], answer["output"]) == ("SUCCEEDED", {"doubled": 42})
    assert answer["nextState"] == "Ship"
    assert answer["inspectionData"]["result"] == {"doubled": 42}
    assert answer["inspectionData"]["afterParameters"] == {"n": 21}


def test_a_lambda_invoke_task_gets_lambdas_response(sfn, role_arn, doubler):
    state = {
        "Type": "Task",
        "Resource": LAMBDA_INVOKE,
        "Parameters": {"FunctionName": doubler, "Payload": {"n.$": "$.n"}},
        "ResultSelector": {"answer.$": "$.Payload.doubled", "status.$": "$.StatusCode"},
        "End": True,
    }
    answer = answer_of(sfn, state, input={"n": 4}, roleArn=role_arn, inspectionLevel="TRACE")
    assert answer["output"] == {"answer": 8, "status": 200}
    data = answer["inspectionData"]
    assert data["afterParameters"] == {"FunctionName": doubler, "Payload": {"n": 4}}
    assert data["result"]["Payload"] == {"doubled": 8}
    assert data["afterResultSelector"] == {"answer": 8, "status": 200}


def test_a_task_given_timeout_seconds_times_out(sfn, role_arn):
    # AWS: a Task that runs longer than its TimeoutSeconds fails with States.Timeout.
    sleeper = lambda_code.python_function(
        f"test-state-{uuid.uuid4().hex[:8]}", SLEEPER, role_arn, Timeout=30
    )
    state = {"Type": "Task", "Resource": sleeper, "TimeoutSeconds": 1, "End": True}
    answer = answer_of(sfn, state, input={"seconds": 5}, roleArn=role_arn)
    assert (answer["status"], answer["error"]) == ("FAILED", "States.Timeout")
    answer = answer_of(sfn, state, input={"seconds": 0}, roleArn=role_arn)
    assert (answer["status"], answer["output"]) == ("SUCCEEDED", {"slept": 0})


def test_a_mocked_task_with_a_timeout_takes_a_partial_context(sfn):
    # A context object may hold only some of its fields: here just the task's token.
    state = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
        "TimeoutSeconds": 60,
        "End": True,
    }
    answer = answer_of(
        sfn,
        state,
        mock={"result": '{"ok": true}'},
        context={"Task": {"Token": "t-1"}},
        inspectionLevel="DEBUG",
    )
    assert answer["output"] == {"ok": True}
    assert answer["inspectionData"]["afterParameters"]["MessageBody"] == {"token": "t-1"}


def test_a_task_that_would_call_its_service_needs_a_role(sfn, doubler):
    state = {"Type": "Task", "Resource": doubler, "End": True}
    message = refusal(sfn, state, "ValidationException")
    assert message == "RoleArn must be specified when testing a Task state"


# ---------------------------------------------------------------- Choice and nextState


def test_a_choice_state_reports_the_state_it_chose(sfn):
    state = {
        "Type": "Choice",
        "Choices": [{"Variable": "$.amount", "NumericGreaterThan": 100, "Next": "Approve"}],
        "Default": "AutoApprove",
    }
    assert answer_of(sfn, state, input={"amount": 250})["nextState"] == "Approve"
    answer = answer_of(sfn, state, input={"amount": 5})
    assert (answer["status"], answer["nextState"], answer["output"]) == (
        "SUCCEEDED",
        "AutoApprove",
        {"amount": 5},
    )


def test_state_name_tests_one_state_of_a_machine(sfn):
    # AWS: with stateName, the definition is a whole machine; its QueryLanguage applies.
    machine = {
        "QueryLanguage": "JSONata",
        "StartAt": "Total",
        "States": {
            "Total": {"Type": "Pass", "Output": "{% $sum($states.input) %}", "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }
    answer = answer_of(sfn, machine, stateName="Total", input=[1, 2, 3])
    assert (answer["output"], answer["nextState"]) == (6, "Done")
    message = refusal(sfn, machine, "ValidationException", stateName="Missing")
    assert message == "State not found in definition"


ORDERS = {
    "QueryLanguage": "JSONata",
    "StartAt": "Each",
    "States": {
        "Each": {
            "Type": "Map",
            "Items": "{% $states.input.orders %}",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Price",
                "States": {
                    "Price": {
                        "Type": "Pass",
                        "Output": "{% $states.input.n * 10 %}",
                        "Next": "Both",
                    },
                    "Both": {
                        "Type": "Parallel",
                        "Branches": [
                            {
                                "StartAt": "Tax",
                                "States": {
                                    "Tax": {
                                        "Type": "Pass",
                                        "Output": "{% $states.input * 2 %}",
                                        "End": True,
                                    }
                                },
                            }
                        ],
                        "End": True,
                    },
                },
            },
            "End": True,
        }
    },
}


@pytest.mark.parametrize(
    ("name", "state_input", "output", "next_state"),
    [
        ("Price", {"n": 3}, 30, "Both"),  # in a Map's ItemProcessor
        ("Tax", 30, 60, None),  # in a Parallel branch inside it
    ],
)
def test_state_name_reaches_states_inside_maps_and_parallels(
    sfn, name, state_input, output, next_state
):
    # AWS: stateName may name a state at any depth; it runs with the machine's QueryLanguage.
    answer = answer_of(sfn, ORDERS, stateName=name, input=state_input, inspectionLevel="DEBUG")
    assert (answer["status"], answer["output"]) == ("SUCCEEDED", output)
    assert answer.get("nextState") == next_state
    assert answer["inspectionData"] == {"input": state_input}


def test_a_jsonpath_state_inside_a_map_shows_its_processing_steps(sfn):
    machine = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.orders",
                "ItemProcessor": {
                    "StartAt": "Label",
                    "States": {
                        "Label": {
                            "Type": "Pass",
                            "Parameters": {"label.$": "States.Format('#{}', $.id)"},
                            "ResultPath": "$.shown",
                            "End": True,
                        }
                    },
                },
                "End": True,
            }
        },
    }
    answer = answer_of(sfn, machine, stateName="Label", input={"id": 7}, inspectionLevel="DEBUG")
    assert answer["output"] == {"id": 7, "shown": {"label": "#7"}}
    assert answer["inspectionData"]["afterParameters"] == {"label": "#7"}
    assert set(answer["inspectionData"]) == {
        "input",
        "afterInputPath",
        "afterParameters",
        "afterResultSelector",
        "afterResultPath",
    }


def test_an_unknown_state_type_is_refused_with_awss_words(sfn):
    # AWS-recorded (LocalStack's TestState snapshot test_state_name_invalid_state_definition):
    # a whole machine is validated as CreateStateMachine validates it, and so is a lone state.
    machine = {"StartAt": "Odd", "States": {"Odd": {"Type": "Teleport", "End": True}}}
    allowed = "[Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]"
    expected = (
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The field 'Type' should "
        f"have one of these values: {allowed} at /States/{{}}/Type'"
    )
    message = refusal(sfn, machine, "InvalidDefinition", stateName="Odd")
    assert message == expected.format("Odd")
    message = refusal(sfn, {"Type": "Teleport", "End": True}, "InvalidDefinition")
    assert message == expected.format("StateName")


# ---------------------------------------------------------------- mocks, retriers, catchers


CHARGE = {
    "Type": "Task",
    "Resource": LAMBDA_INVOKE,
    "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
    "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 2}],
    "Catch": [
        {"ErrorEquals": ["Declined"], "ResultPath": "$.error", "Next": "Apologise"},
        {"ErrorEquals": ["States.ALL"], "Next": "Alert"},
    ],
    "Next": "Ship",
}


def test_a_mocked_result_stands_in_for_the_service(sfn):
    answer = answer_of(
        sfn, CHARGE, input={"id": 7}, mock={"result": json.dumps({"Payload": {"ok": True}})}
    )
    assert (answer["status"], answer["nextState"]) == ("SUCCEEDED", "Ship")
    assert answer["output"] == {"Payload": {"ok": True}}


def test_a_mocked_error_caught_is_caught_error_with_the_catchers_next_state(sfn):
    # AWS: the first catcher that matches: status CAUGHT_ERROR, its index, output and Next.
    mock = {"errorOutput": {"error": "Declined", "cause": "card expired"}}
    answer = answer_of(sfn, CHARGE, input={"id": 7}, mock=mock, inspectionLevel="DEBUG")
    assert answer["status"] == "CAUGHT_ERROR"
    assert (answer["error"], answer["cause"]) == ("Declined", "card expired")
    assert answer["nextState"] == "Apologise"
    assert answer["output"] == {"id": 7, "error": {"Error": "Declined", "Cause": "card expired"}}
    assert answer["inspectionData"]["errorDetails"] == {"catchIndex": 0}


def test_a_mocked_error_a_retrier_would_retry_is_retriable(sfn):
    # AWS: the state is not retried; RETRIABLE says which retrier and how long it would wait:
    # IntervalSeconds * BackoffRate ** retries so far (retrierRetryCount).
    mock = {"errorOutput": {"error": "Busy", "cause": "try later"}}

    def after_retries(count: int) -> dict:
        configuration = {"retrierRetryCount": count}
        return answer_of(
            sfn, CHARGE, mock=mock, inspectionLevel="DEBUG", stateConfiguration=configuration
        )

    answer = after_retries(1)
    assert (answer["status"], answer["error"]) == ("RETRIABLE", "Busy")
    assert "output" not in answer and "nextState" not in answer
    details = answer["inspectionData"]["errorDetails"]
    assert details == {"retryIndex": 0, "retryBackoffIntervalSeconds": 6}
    # With its attempts used up, the catchers decide: States.ALL sends it to Alert.
    answer = after_retries(2)
    assert (answer["status"], answer["nextState"]) == ("CAUGHT_ERROR", "Alert")
    assert answer["inspectionData"]["errorDetails"] == {"retryIndex": 0, "catchIndex": 1}


def test_a_mocked_result_is_checked_against_the_services_answer(sfn):
    # AWS: fieldValidationMode STRICT (the default) checks the result against the API's output
    # shape, with Step Functions' capitalised field names; NONE checks nothing.
    state = {**CHARGE, "Retry": [], "Catch": []}
    mock = {"result": json.dumps({"StatusCode": "200"})}
    message = refusal(sfn, state, "ValidationException", mock=mock)
    assert message == "Mock result schema validation error: Field 'StatusCode' must be a number"
    answer = answer_of(sfn, state, mock={**mock, "fieldValidationMode": "NONE"})
    assert answer["output"] == {"StatusCode": "200"}


@pytest.mark.parametrize(
    ("state", "mock", "error", "message"),
    [
        (
            {"Type": "Pass", "End": True},
            {"result": "{}"},
            "ValidationException",
            "State type 'Pass' is not supported when a mock is specified",
        ),
        (
            CHARGE,
            {"result": "{}", "errorOutput": {"error": "E", "cause": "C"}},
            "ValidationException",
            "A test mock should have only one of the following fields: [result, errorOutput].",
        ),
        (CHARGE, {"result": "not JSON"}, "ValidationException", "Mocked result must be valid JSON"),
        (
            {
                "Type": "Parallel",
                "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}],
                "End": True,
            },
            None,
            "InvalidDefinition",
            "TestState API does not support Map or Parallel states. Supported state types "
            "include: [Task, Wait, Pass, Succeed, Fail, Choice]",
        ),
        (
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
                "End": True,
            },
            None,
            "InvalidDefinition",
            "TestState API does not support Activity tasks, .sync or .waitForTaskToken service "
            "integration patterns unless a mock is specified",
        ),
    ],
)
def test_requests_aws_refuses(sfn, state, mock, error, message):
    request = {"mock": mock} if mock else {}
    assert refusal(sfn, state, error, **request) == message


def test_a_mocked_map_fails_beyond_its_tolerated_failures(sfn):
    # AWS: a Map state needs a mock; mapIterationFailureCount failed items beyond
    # ToleratedFailureCount fail it with States.ExceedToleratedFailureThreshold.
    state = {
        "Type": "Map",
        "ItemsPath": "$.items",
        "ToleratedFailureCount": 1,
        "ItemProcessor": {"StartAt": "Each", "States": {"Each": {"Type": "Pass", "End": True}}},
        "End": True,
    }
    request = {"input": {"items": [1, 2, 3]}, "mock": {"result": "[1, 2, 3]"}}
    answer = answer_of(sfn, state, inspectionLevel="DEBUG", **request)
    assert answer["output"] == [1, 2, 3]
    data = answer["inspectionData"]
    assert (data["afterItemsPath"], data["toleratedFailureCount"]) == ([1, 2, 3], 1)
    answer = answer_of(sfn, state, stateConfiguration={"mapIterationFailureCount": 2}, **request)
    assert (answer["status"], answer["error"]) == (
        "FAILED",
        "States.ExceedToleratedFailureThreshold",
    )


def test_a_parallel_state_takes_one_mocked_result_per_branch(sfn):
    # AWS-recorded (LocalStack's TestState snapshots, test_state_mock_validation).
    branch = {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}
    state = {"Type": "Parallel", "Branches": [branch, branch], "ResultPath": "$.both", "End": True}
    answer = answer_of(sfn, state, input={"a": 1}, mock={"result": '["x", "y"]'})
    assert answer["output"] == {"a": 1, "both": ["x", "y"]}
    message = refusal(sfn, state, "ValidationException", mock={"result": '["x"]'})
    assert message == (
        "Mocked result must contain the same number of items as number of Parallel branches."
    )
    message = refusal(sfn, state, "ValidationException", mock={"result": '{"x": 1}'})
    assert message == "Mocked result must be an array."


def test_a_map_cannot_have_more_failed_iterations_than_mocked_results(sfn):
    # AWS-recorded (LocalStack's TestState snapshots, test_state_mock_validation).
    state = {
        "Type": "Map",
        "ItemProcessor": {"StartAt": "Each", "States": {"Each": {"Type": "Pass", "End": True}}},
        "End": True,
    }
    mock = {"result": "[1, 2]"}
    message = refusal(
        sfn,
        state,
        "ValidationException",
        input="[1, 2]",
        mock=mock,
        stateConfiguration={"mapIterationFailureCount": 3},
    )
    assert message == (
        "Map iteration failure count must be less than or equal to the number of Map iterations"
    )
    # As many failed as there were iterations: without a tolerance, AWS's Map succeeds.
    configuration = {"mapIterationFailureCount": 2}
    answer = answer_of(sfn, state, input=[1, 2], mock=mock, stateConfiguration=configuration)
    assert (answer["status"], answer["output"]) == ("SUCCEEDED", [1, 2])


def test_a_map_shows_each_iterations_input_after_its_selector_and_batcher(sfn):
    # AWS (InspectionData): afterItemSelector is "an array containing the inputs for each Map
    # iteration, transformed by the ItemSelector"; afterItemBatcher the input after ItemBatcher.
    state = {
        "Type": "Map",
        "ItemsPath": "$.lines",
        "ItemSelector": {
            "order.$": "$.order",
            "line.$": "$$.Map.Item.Value",
            "at.$": "$$.Map.Item.Index",
        },
        "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"batch": True}},
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Each",
            "States": {"Each": {"Type": "Pass", "End": True}},
        },
        "End": True,
    }
    request = {"input": {"order": 7, "lines": ["a", "b", "c"]}, "mock": {"result": "[1, 2]"}}
    data = answer_of(sfn, state, inspectionLevel="DEBUG", **request)["inspectionData"]
    selected = [{"order": 7, "line": line, "at": at} for at, line in enumerate("abc")]
    assert data["afterItemSelector"] == selected
    assert data["afterItemBatcher"] == [
        {"BatchInput": {"batch": True}, "Items": selected[:2]},
        {"BatchInput": {"batch": True}, "Items": selected[2:]},
    ]


def test_a_map_counts_the_items_its_reader_would_read(sfn):
    # AWS: mapItemReaderData is "the data read by ItemReader ... as found in its original
    # source": here CSV, three rows after its header. One failed row of three is above 30 %.
    state = {
        "Type": "Map",
        "ItemReader": {
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
            "Parameters": {"Bucket": "orders", "Key": "today.csv"},
        },
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Each",
            "States": {"Each": {"Type": "Pass", "End": True}},
        },
        "ToleratedFailurePercentage": 30,
        "End": True,
    }
    rows = "id,item\n1,book\n2,pen\n3,lamp\n"
    configuration = {"mapItemReaderData": rows, "mapIterationFailureCount": 1}
    answer = answer_of(sfn, state, mock={"result": "[1, 2, 3]"}, stateConfiguration=configuration)
    assert (answer["status"], answer["error"]) == (
        "FAILED",
        "States.ExceedToleratedFailureThreshold",
    )
    configuration["mapItemReaderData"] = rows + "4,cup\n"  # one of four: 25 %
    answer = answer_of(sfn, state, mock={"result": "[1, 2, 3]"}, stateConfiguration=configuration)
    assert (answer["status"], answer["output"]) == ("SUCCEEDED", [1, 2, 3])


def test_a_mocked_sdk_result_is_checked_against_the_services_model(sfn):
    # AWS: aws-sdk integrations are checked too, against the SDK call's output shape.
    state = {
        "Type": "Task",
        "Resource": "arn:aws:states:::aws-sdk:sfn:describeExecution",
        "Arguments": {"ExecutionArn": "{% $states.input.arn %}"},
        "QueryLanguage": "JSONata",
        "End": True,
    }
    mock = {"result": json.dumps({"Status": "DONE"}), "fieldValidationMode": "PRESENT"}
    message = refusal(sfn, state, "ValidationException", input='{"arn": "a"}', mock=mock)
    assert message == "Mock result schema validation error: Field 'Status' is not an expected value"
    mock["result"] = json.dumps({"Status": "SUCCEEDED", "Output": "{}"})
    answer = answer_of(sfn, state, input={"arn": "a"}, mock=mock)
    assert answer["output"] == {"Status": "SUCCEEDED", "Output": "{}"}


# ---------------------------------------------------------------- context and variables


def test_the_context_object_is_made_up_unless_given(sfn):
    state = {"Type": "Pass", "Parameters": {"context.$": "$$"}, "End": True}
    made_up = answer_of(sfn, state, input={"a": 1})["output"]["context"]
    assert ":express:" in made_up["Execution"]["Id"]
    assert made_up["Execution"]["Input"] == {"a": 1}
    assert made_up["StateMachine"]["Id"].endswith(
        f":stateMachine:{made_up['StateMachine']['Name']}"
    )
    # AWS-recorded (LocalStack's TestState snapshots): a context object given is $$ as given,
    # empty objects and an empty context object too.
    for given in ({"Execution": {"Name": "run-1"}, "State": {}}, {}):
        assert answer_of(sfn, state, context=given)["output"]["context"] == given


def test_the_made_up_context_names_the_role_and_the_state_as_aws_does(sfn, role_arn):
    # AWS-recorded (LocalStack's TestState snapshots): Execution.RoleArn is the request's role,
    # null without one; the state is "StateName" even when stateName picks it out of a machine;
    # RetryCount is there for a state that can retry (a Task, Map or Parallel), not for a Pass
    # state (as in executions).
    machine = {
        "StartAt": "Look",
        "States": {
            "Look": {"Type": "Pass", "Parameters": {"context.$": "$$"}, "Next": "Charge"},
            "Charge": {
                "Type": "Task",
                "Resource": LAMBDA_INVOKE,
                "Parameters": {"FunctionName": "charge"},
                "ResultSelector": {"context.$": "$$"},
                "End": True,
            },
        },
    }
    looked = answer_of(sfn, machine, stateName="Look")["output"]["context"]
    assert looked["Execution"]["RoleArn"] is None
    assert (
        set(looked["State"]) == {"Name", "EnteredTime"} and looked["State"]["Name"] == "StateName"
    )
    mock = {"result": json.dumps({"StatusCode": 200})}
    charged = answer_of(sfn, machine, stateName="Charge", mock=mock, roleArn=role_arn)["output"]
    assert charged["context"]["Execution"]["RoleArn"] == role_arn
    assert charged["context"]["State"]["RetryCount"] == 0
    retried = answer_of(
        sfn, machine, stateName="Charge", mock=mock, stateConfiguration={"retrierRetryCount": 2}
    )
    assert retried["output"]["context"]["State"]["RetryCount"] == 2


CONTEXT_STATE = {"Type": "Pass", "Parameters": {"context.$": "$$"}, "End": True}


@pytest.mark.parametrize(
    ("context", "reason"),
    [
        # AWS-recorded (LocalStack's TestState snapshots, test_state_context_object)
        ({"Map": {}}, "'Map' field is not supported when mocking a Context object"),
        ({"Pokedex": {}}, "Field 'Pokedex' is not allowed"),
        ({"Execution": {"pokemon": "squirtle"}}, "Field 'pokemon' is not allowed"),
        ({"Execution": {"Id": 1}}, "Execution.Id must be a string"),
        # the emulator's wording, as AWS words the others
        ({"State": {"RetryCount": "0"}}, "State.RetryCount must be a number"),
        ({"StateMachine": []}, "StateMachine must be an object"),
    ],
)
def test_a_context_object_is_checked_against_the_context_objects_fields(sfn, context, reason):
    message = refusal(sfn, CONTEXT_STATE, "ValidationException", context=json.dumps(context))
    assert message == f"Invalid Context object provided: {reason}"


def test_variables_are_read_and_assigned(sfn):
    state = {
        "Type": "Pass",
        "QueryLanguage": "JSONata",
        "Assign": {"total": "{% $price * $states.input.quantity %}"},
        "Output": "{% $price %}",
        "End": True,
    }
    answer = answer_of(
        sfn, state, input={"quantity": 3}, variables={"price": 5}, inspectionLevel="DEBUG"
    )
    assert answer["output"] == 5
    assert answer["inspectionData"]["variables"] == {"price": 5, "total": 15}


def test_a_wait_state_waits(sfn):
    start = time.monotonic()
    answer = answer_of(sfn, {"Type": "Wait", "Seconds": 1, "Next": "Go"}, input={"a": 1})
    assert time.monotonic() - start >= 1
    assert (answer["output"], answer["nextState"]) == ({"a": 1}, "Go")
