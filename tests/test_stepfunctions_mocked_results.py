"""A Task's mocked result checked against its service's API model
(emulator/stepfunctions/mocked_results.py), as AWS's TestState checks it.

AWS (API reference, MockInput.fieldValidationMode): STRICT, the default, "All required fields
must be present, and all present fields must conform to the API's schema"; PRESENT "All present
fields must conform to the API's schema"; NONE "No validation is performed". The API's schema is
the botocore model of the call the Task's Resource makes. Messages marked "AWS-recorded" are
AWS's answers as LocalStack's TestState tests recorded them (tests/aws/services/stepfunctions/
v2/test_state/*.snapshot.json, localstack/localstack); the others are the emulator's wording,
by analogy with them.
"""

import json

import pytest

from sfn_tutorial.emulator.stepfunctions import mocked_results

PREFIX = "Mock result schema validation error: "
START_EXECUTION = "arn:aws:states:::states:startExecution"
RUN_TASK = "arn:aws:states:::ecs:runTask"
GET_FUNCTION = "arn:aws:states:::aws-sdk:lambda:getFunction"
DESCRIBE_EXECUTION = "arn:aws:states:::aws-sdk:sfn:describeExecution"
DESCRIBED = {"ExecutionArn": "e", "StateMachineArn": "m", "Status": "RUNNING", "StartDate": "d"}


@pytest.mark.parametrize(
    ("resource", "services", "operation"),
    [
        # optimised integrations: the API call each makes
        ("arn:aws:states:::lambda:invoke", ("lambda",), "Invoke"),
        ("arn:aws:states:::sqs:sendMessage", ("sqs",), "SendMessage"),
        ("arn:aws:states:::sns:publish", ("sns",), "Publish"),
        ("arn:aws:states:::dynamodb:putItem", ("dynamodb",), "PutItem"),
        ("arn:aws:states:::events:putEvents", ("events",), "PutEvents"),
        (START_EXECUTION, ("stepfunctions",), "StartExecution"),
        (RUN_TASK, ("ecs",), "RunTask"),
        ("arn:aws:states:::bedrock:invokeModel", ("bedrock", "bedrock-runtime"), "InvokeModel"),
        ("arn:aws:states:::elasticmapreduce:addStep", ("emr",), "AddJobFlowSteps"),
        # AWS SDK integrations: the SDK's service name, botocore's where they differ
        ("arn:aws:states:::aws-sdk:s3:getObject", ("s3",), "GetObject"),
        (DESCRIBE_EXECUTION, ("stepfunctions",), "DescribeExecution"),
        (
            "arn:aws:states:::aws-sdk:cloudwatchlogs:describeLogGroups",
            ("logs",),
            "DescribeLogGroups",
        ),
        ("arn:aws:states:::aws-sdk:eventbridge:listRules", ("events",), "ListRules"),
        ("arn:aws-us-gov:states:::aws-sdk:kms:encrypt", ("kms",), "Encrypt"),
    ],
)
def test_a_resource_names_the_api_call_whose_answer_is_checked(resource, services, operation):
    assert mocked_results.api_call(resource) == (services, operation)
    assert mocked_results.output_shape(resource) is not None


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:lambda:us-east-1:123456789012:function:Charge",  # the function's own answer
        "arn:aws:states:::apigateway:invoke",  # the API's answer (no SDK call)
        "arn:aws:states:::http:invoke",
        "arn:aws:states:::states:startExecution.sync:2",  # the job's answer
        "arn:aws:states:::sqs:sendMessage.waitForTaskToken",  # the worker's answer
        "arn:aws:states:::aws-sdk:nosuchservice:doThings",
    ],
)
def test_answers_without_an_api_model_are_not_checked(resource):
    assert mocked_results.problem(resource, {"anything": ["at", "all"]}) is None


def test_strict_requires_the_required_members_present_does_not():
    # AWS-recorded: {} for states:startExecution in STRICT mode; accepted in PRESENT mode.
    assert mocked_results.problem(START_EXECUTION, {}) == (
        PREFIX + "Required field 'ExecutionArn' is missing"
    )
    assert mocked_results.problem(START_EXECUTION, {}, "PRESENT") is None
    # AWS-recorded: the API's own member names (executionArn) are not Step Functions' names.
    lower = {"executionArn": "arn", "startDate": "2025-01-01T00:00:00Z"}
    assert "Required field 'ExecutionArn'" in mocked_results.problem(START_EXECUTION, lower)


def test_none_checks_nothing():
    assert mocked_results.problem(START_EXECUTION, {"StartDate": True}, "NONE") is None


def test_fields_the_api_does_not_have_are_accepted():
    # AWS-recorded: {"random": "json"} for events:putEvents succeeds, in STRICT mode too.
    assert mocked_results.problem("arn:aws:states:::events:putEvents", {"random": "json"}) is None


@pytest.mark.parametrize(
    ("resource", "result", "message"),
    [
        # AWS-recorded: a timestamp (a bool or a number) must be a string
        (
            START_EXECUTION,
            {"ExecutionArn": "a", "StartDate": 1764103483},
            "Field 'StartDate' must be a string",
        ),
        # AWS-recorded: integer, long and double fields must be numbers
        (
            "arn:aws:states:::lambda:invoke",
            {"StatusCode": "200"},
            "Field 'StatusCode' must be a number",
        ),
        (
            "arn:aws:states:::aws-sdk:s3:getObject",
            {"ContentLength": "9000"},
            "Field 'ContentLength' must be a number",
        ),
        # AWS-recorded: a list must be an array; each item is checked (the 2nd here)
        (
            "arn:aws:states:::events:putEvents",
            {"Entries": "one"},
            "Field 'Entries' must be an array",
        ),
        (
            "arn:aws:states:::events:putEvents",
            {"Entries": [{"EventId": "1"}, {"EventId": ["2"]}]},
            "Field 'EventId' must be a string",
        ),
        # AWS-recorded: an enum's value must be one of the model's
        (
            "arn:aws:states:::aws-sdk:s3:getObject",
            {"StorageClass": "Papyrus"},
            "Field 'StorageClass' is not an expected value",
        ),
        (
            RUN_TASK,
            {"Tasks": [{"LaunchType": "SPACESHIP"}]},
            "Field 'LaunchType' is not an expected value",
        ),
        # AWS-recorded: numeric ranges (Lambda's MemorySize: 128 to 10,240 MB)
        (
            GET_FUNCTION,
            {"Configuration": {"MemorySize": 127}},
            "Field 'MemorySize' is less than the minimum value",
        ),
        (
            GET_FUNCTION,
            {"Configuration": {"MemorySize": 10241}},
            "Field 'MemorySize' exceeds the maximum value",
        ),
        (
            GET_FUNCTION,
            {"Configuration": {"Timeout": 0}},
            "Field 'Timeout' is less than the minimum value",
        ),
        # AWS-recorded: a blob's (and a string's) minimum length
        (
            "arn:aws:states:::aws-sdk:kms:encrypt",
            {"CiphertextBlob": ""},
            "Field 'CiphertextBlob' is smaller than the minimum length",
        ),
        (
            "arn:aws:states:::aws-sdk:kms:encrypt",
            {"CiphertextBlob": 123},
            "Field 'CiphertextBlob' must be a string",
        ),
        # the emulator's wording: a maximum length (a Step Functions execution name: 80)
        (
            DESCRIBE_EXECUTION,
            {**DESCRIBED, "Name": "n" * 81},
            "Field 'Name' exceeds the maximum length",
        ),
        # the emulator's wording: a list's length (a function has one architecture)
        (
            GET_FUNCTION,
            {"Configuration": {"Architectures": ["x86_64", "arm64"]}},
            "Field 'Architectures' exceeds the maximum length",
        ),
        # the emulator's wording: a pattern (a function's version is $LATEST or a number)
        (
            GET_FUNCTION,
            {"Configuration": {"Version": "v-one"}},
            "Field 'Version' does not match the expected pattern",
        ),
        # the emulator's wording: booleans and objects
        (
            "arn:aws:states:::aws-sdk:s3:getObject",
            {"DeleteMarker": "yes"},
            "Field 'DeleteMarker' must be a boolean",
        ),
        (
            GET_FUNCTION,
            {"Configuration": ["not", "an", "object"]},
            "Field 'Configuration' must be an object",
        ),
        (GET_FUNCTION, {"Tags": {"team": 7}}, "Field 'Tags' must be a string"),
    ],
)
def test_every_constraint_of_the_output_shape_is_checked(resource, result, message):
    for mode in ("STRICT", "PRESENT"):
        assert mocked_results.problem(resource, result, mode) == PREFIX + message


def test_a_mocked_answer_that_fits_is_accepted():
    fits = {
        "Configuration": {"FunctionName": "Charge", "MemorySize": 10240, "Version": "$LATEST"},
        "Tags": {"team": "payments"},
    }
    assert mocked_results.problem(GET_FUNCTION, fits) is None
    started = {"ExecutionArn": "arn:aws:states:us-east-1:1:execution:M:e", "StartDate": "now"}
    assert mocked_results.problem(START_EXECUTION, started) is None


def test_the_optimised_lambda_integration_takes_its_payload_as_json():
    # AWS-recorded: lambda:invoke's Payload is the function's answer, any JSON (the API's blob
    # is parsed), and SdkHttpMetadata is Step Functions' own field.
    result = {"Payload": {"approved": True}, "SdkHttpMetadata": {"HttpStatusCode": 200}}
    assert mocked_results.problem("arn:aws:states:::lambda:invoke", result) is None


def test_a_mocked_answer_must_be_an_object():
    # The emulator's wording (AWS's is not recorded): the API answers with an object.
    assert mocked_results.problem(START_EXECUTION, ["a"]) == "Mocked result must be a JSON object."


def test_a_result_is_json_text_on_the_wire():
    # The check sees the parsed mock: TestState's mock.result is a JSON string.
    result = json.loads('{"MessageId": 42}')
    assert mocked_results.problem("arn:aws:states:::sns:publish", result) == (
        PREFIX + "Field 'MessageId' must be a string"
    )
