"""Lambda's Invoke on the running emulator: warm environments, limits, errors, Task states.

Every test says what AWS does; the emulator must do the same. Each test deploys functions of its
own, so that none meets another's execution environments.
"""

import base64
import io
import json
import os
import socket
import time
import uuid
import zipfile

import asl
import boto3
import broad_roles
import lambda_code
import policies
import pytest

from sfn_tutorial import executions

TRUST = policies.trust("lambda.amazonaws.com", "states.amazonaws.com")
COUNTER = """
import os
print("init")
calls = 0
def handler(event, context):
    global calls
    calls += 1
    return {"calls": calls, "pid": os.getpid(), "greeting": os.environ.get("GREETING"),
            "code": os.getcwd()}
"""


@pytest.fixture
def lam(emulator):
    return boto3.client("lambda")


def role_arn() -> str:
    """The functions' and state machines' role: it may do anything (IAM is tested elsewhere)."""
    return broad_roles.role("lambda-service-test")


def deploy(source: str, **settings) -> str:
    """A new function running ``source``; its ARN."""
    return lambda_code.python_function(
        f"test-{uuid.uuid4().hex[:12]}", source, role_arn(), **settings
    )


def call(function_arn: str, event=None, **options) -> tuple[dict, object]:
    """Invoke; the response and its decoded payload."""
    response = boto3.client("lambda").invoke(
        FunctionName=function_arn, Payload=json.dumps(event or {}), **options
    )
    return response, json.loads(response["Payload"].read())


def tail(response) -> list[str]:
    return base64.b64decode(response["LogResult"]).decode().splitlines()


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # the emulator runs on this machine, its workers too
    except ProcessLookupError:
        return False
    return True


def test_invocations_reuse_a_warm_environment(lam):
    # Lambda: init runs once per execution environment; "Init Duration" on cold starts only.
    arn = deploy(COUNTER)
    first, one = call(arn, LogType="Tail")
    second, two = call(arn, LogType="Tail")
    assert (one["calls"], two["calls"]) == (1, 2) and one["pid"] == two["pid"]
    assert "Init Duration" in tail(first)[-1] and "Init Duration" not in tail(second)[-1]
    assert "init" in tail(first) and "init" not in tail(second)


def test_the_response_request_id_is_the_invocations(lam):
    # Lambda: x-amzn-RequestId of a synchronous Invoke is the invocation's request id.
    response, _ = call(deploy(COUNTER), LogType="Tail")
    request_id = response["ResponseMetadata"]["RequestId"]
    assert tail(response)[0] == f"START RequestId: {request_id} Version: $LATEST"


def test_updating_the_configuration_replaces_the_environment(lam):
    # Lambda: after UpdateFunctionConfiguration, invocations run in new environments.
    arn = deploy(COUNTER, Environment={"Variables": {"GREETING": "hi"}})
    _, before = call(arn)
    lam.update_function_configuration(
        FunctionName=arn, Environment={"Variables": {"GREETING": "hello"}}
    )
    assert not process_exists(before["pid"])
    response, after = call(arn, LogType="Tail")
    assert (after["calls"], after["greeting"]) == (1, "hello")
    assert "Init Duration" in tail(response)[-1]


def test_updating_the_code_runs_the_new_code_at_once(lam):
    arn = deploy(COUNTER)
    _, before = call(arn)
    lam.update_function_code(
        FunctionName=arn,
        ZipFile=lambda_code.zipped("def handler(event, context):\n    return 'v2'"),
    )
    assert not process_exists(before["pid"])
    assert call(arn)[1] == "v2"


def test_deleting_a_function_ends_its_environments_and_removes_its_code(lam):
    arn = deploy(COUNTER)
    _, answer = call(arn)
    assert os.path.isfile(os.path.join(answer["code"], "lambda_function.py"))
    lam.delete_function(FunctionName=arn)
    assert not process_exists(answer["pid"])
    assert not os.path.exists(answer["code"])


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """A 300 KB package that unzips to 300 MB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("lambda_function.py", "def handler(event, context):\n    return 1\n")
        with archive.open("padding.bin", "w", force_zip64=True) as padding:
            for _ in range(300):
                padding.write(bytes(1 << 20))
    return buffer.getvalue()


def test_a_package_over_250_mb_unzipped_is_refused(lam, zip_bomb):
    # Lambda: InvalidParameterValueException, "Unzipped size must be smaller than 262144000
    # bytes", at CreateFunction and UpdateFunctionCode; the function keeps its code.
    name = f"test-{uuid.uuid4().hex[:12]}"
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role_arn(),
            Handler="lambda_function.handler",
            Code={"ZipFile": zip_bomb},
        )
    assert raised.value.response["Error"]["Message"] == (
        "Unzipped size must be smaller than 262144000 bytes"
    )
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=name)
    arn = deploy(COUNTER)
    sha = lam.get_function(FunctionName=arn)["Configuration"]["CodeSha256"]
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.update_function_code(FunctionName=arn, ZipFile=zip_bomb)
    assert lam.get_function(FunctionName=arn)["Configuration"]["CodeSha256"] == sha
    assert call(arn)[1]["calls"] == 1


def test_one_log_stream_per_environment(lam):
    # Lambda: an execution environment writes every invocation to its own log stream.
    arn = deploy(COUNTER)
    first, _ = call(arn)
    second, _ = call(arn)
    logs = boto3.client("logs")
    group = "/aws/lambda/" + arn.rsplit(":", 1)[1]
    (stream,) = logs.describe_log_streams(logGroupName=group)["logStreams"]
    messages = [
        event["message"]
        for event in logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"])[
            "events"
        ]
    ]
    starts = [message for message in messages if message.startswith("START RequestId: ")]
    assert [start.split()[2] for start in starts] == [
        first["ResponseMetadata"]["RequestId"],
        second["ResponseMetadata"]["RequestId"],
    ]
    assert stream["logStreamName"].startswith(time.strftime("%Y/%m/%d/[$LATEST]", time.gmtime()))


def test_a_handler_reaches_this_emulator_with_boto3(lam):
    # AWS_ENDPOINT_URL points boto3 inside the handler at the emulator, as at AWS it would
    # reach AWS.
    source = (
        "import boto3\ndef handler(event, context):\n"
        "    names = [f['FunctionName'] for f in boto3.client('lambda').list_functions()"
        "['Functions']]\n    return context.function_name in names"
    )
    assert call(deploy(source))[1] is True


def test_a_request_over_6_mb_is_request_entity_too_large(lam):
    # Lambda: HTTP 413 RequestEntityTooLargeException, "Request must be smaller than 6291456
    # bytes for the InvokeFunction operation".
    arn = deploy(COUNTER)
    big = json.dumps({"data": "x" * (6 * 1024 * 1024)})
    with pytest.raises(lam.exceptions.ClientError) as raised:
        lam.invoke(FunctionName=arn, Payload=big)
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert error["Error"]["Code"] == "RequestEntityTooLargeException"
    assert error["Error"]["Message"] == (
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    )


def test_a_result_over_6_mb_is_function_response_size_too_large(lam):
    # Lambda: status 200, FunctionError "Unhandled", and {"errorMessage": "Response payload
    # size exceeded maximum allowed payload size (6291556 bytes).", "errorType":
    # "Function.ResponseSizeTooLarge"}.
    arn = deploy("def handler(event, context):\n    return 'x' * 7_000_000")
    response, error = call(arn)
    assert (response["StatusCode"], response["FunctionError"]) == (200, "Unhandled")
    assert error == {
        "errorMessage": "Response payload size exceeded maximum allowed payload size "
        "(6291556 bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }


def test_a_payload_that_is_not_json_is_invalid_request_content(lam):
    # Lambda: HTTP 400 InvalidRequestContentException, "Could not parse request body into json:
    # Could not parse payload into json: ..." (the rest is the parser's own words).
    with pytest.raises(lam.exceptions.InvalidRequestContentException) as raised:
        lam.invoke(FunctionName=deploy(COUNTER), Payload=b"{not json")
    assert raised.value.response["Error"]["Message"].startswith(
        "Could not parse request body into json: Could not parse payload into json: "
    )


def test_reserved_concurrency_zero_throttles_every_invocation(lam):
    # Lambda: HTTP 429 TooManyRequestsException "Rate Exceeded.", Reason
    # ReservedFunctionConcurrentInvocationLimitExceeded.
    arn = deploy(COUNTER)
    lam.put_function_concurrency(FunctionName=arn, ReservedConcurrentExecutions=0)
    with pytest.raises(lam.exceptions.TooManyRequestsException) as raised:
        call(arn)
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert error["Error"]["Message"] == "Rate Exceeded."
    assert error["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_a_timeout_is_sandbox_timedout_and_the_emulator_carries_on(lam):
    # Lambda: FunctionError "Unhandled", {"errorType": "Sandbox.Timedout", "errorMessage":
    # "RequestId: ID Error: Task timed out after 1.00 seconds"}.
    arn = deploy("import time\ndef handler(event, context):\n    time.sleep(10)", Timeout=1)
    response, error = call(arn)
    assert response["FunctionError"] == "Unhandled"
    request_id = response["ResponseMetadata"]["RequestId"]
    assert error == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {request_id} Error: Task timed out after 1.00 seconds",
    }
    assert call(deploy(COUNTER))[1]["calls"] == 1


def test_a_crash_is_runtime_exit_error_and_the_next_invocation_starts_cold(lam):
    # Lambda: {"errorType": "Runtime.ExitError", "errorMessage": "RequestId: ID Error: Runtime
    # exited with error: exit status 2"}; the environment is gone, the next one runs init again.
    source = COUNTER + "import sys\ndef crash(event, context):\n    sys.exit(2)\n"
    arn = deploy(source, Handler="lambda_function.crash")
    response, error = call(arn)
    request_id = response["ResponseMetadata"]["RequestId"]
    assert error["errorType"] == "Runtime.ExitError"
    assert error["errorMessage"] == (
        f"RequestId: {request_id} Error: Runtime exited with error: exit status 2"
    )
    assert "Init Duration" in tail(call(arn, LogType="Tail")[0])[-1]


def test_an_event_invocation_runs_the_handler_later(lam):
    # Lambda: 202 at once; the event runs afterwards and logs to CloudWatch Logs.
    arn = deploy("def handler(event, context):\n    print('got', event['n'])")
    response = lam.invoke(FunctionName=arn, InvocationType="Event", Payload=b'{"n": 7}')
    assert response["StatusCode"] == 202
    logs = boto3.client("logs")
    group = "/aws/lambda/" + arn.rsplit(":", 1)[1]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            found = logs.filter_log_events(logGroupName=group)["events"]
        except logs.exceptions.ResourceNotFoundException:  # not written yet
            found = []
        if any(event["message"] == "got 7" for event in found):
            return
        time.sleep(0.2)
    pytest.fail("the event's handler output never reached CloudWatch Logs")


def run(definition: dict, execution_input) -> dict:
    sfn = boto3.client("stepfunctions")
    arn = sfn.create_state_machine(
        name=f"test-{uuid.uuid4().hex[:12]}", definition=json.dumps(definition), roleArn=role_arn()
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(execution_input))
    return executions.wait_for_execution(execution["executionArn"], timeout_s=60)


def task(resource: str, **fields) -> dict:
    return {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": resource, **fields}}}


ECHO = "def handler(event, context):\n    return {'echo': event, 'id': context.aws_request_id}"


def test_a_task_with_the_functions_arn_outputs_the_handlers_result(lam):
    # The blog's way: "Resource": the function's ARN; the state's output is the handler's result.
    definition = task(deploy(ECHO), End=True)
    description = run(definition, {"n": 1})
    assert description["status"] == "SUCCEEDED"
    assert json.loads(description["output"])["echo"] == {"n": 1}


def test_the_optimised_integration_wraps_the_result_in_payload(lam):
    # Step Functions' arn:aws:states:::lambda:invoke outputs Lambda's response: ExecutedVersion,
    # Payload (the handler's result), SdkHttpMetadata, SdkResponseMetadata and StatusCode.
    arn = deploy(ECHO)
    parameters = {"FunctionName": arn, "Payload.$": "$"}
    definition = task("arn:aws:states:::lambda:invoke", Parameters=parameters, End=True)
    output = json.loads(run(definition, {"n": 2})["output"])
    assert list(output) == [
        "ExecutedVersion",
        "Payload",
        "SdkHttpMetadata",
        "SdkResponseMetadata",
        "StatusCode",
    ]
    assert (output["StatusCode"], output["ExecutedVersion"]) == (200, "$LATEST")
    assert output["Payload"]["echo"] == {"n": 2}
    request_id = output["SdkResponseMetadata"]["RequestId"]
    assert request_id == output["Payload"]["id"]  # the invocation's own request id
    http = output["SdkHttpMetadata"]
    assert http["HttpStatusCode"] == 200
    assert http["HttpHeaders"]["x-amzn-RequestId"] == request_id
    assert http["AllHttpHeaders"]["X-Amz-Executed-Version"] == ["$LATEST"]


def test_output_path_payload_gives_the_handlers_result(lam):
    parameters = {"FunctionName": deploy(ECHO), "Payload.$": "$"}
    definition = task(
        "arn:aws:states:::lambda:invoke", Parameters=parameters, OutputPath="$.Payload", End=True
    )
    assert json.loads(run(definition, {"n": 3})["output"])["echo"] == {"n": 3}


def test_a_missing_function_fails_the_task_as_lambdas_api_error(lam):
    # Step Functions: the integration fails with "Lambda.ResourceNotFoundException" and a cause
    # naming the function's $LATEST version, the service, status, error code and request id.
    missing = deploy(ECHO).replace(":function:test-", ":function:gone-")
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
        lam.invoke(FunctionName=missing, Payload=b"{}")
    assert raised.value.response["Error"]["Message"] == f"Function not found: {missing}"
    parameters = {"FunctionName": missing, "Payload.$": "$"}
    description = run(task("arn:aws:states:::lambda:invoke", Parameters=parameters, End=True), {})
    assert description["status"] == "FAILED"
    assert description["error"] == "Lambda.ResourceNotFoundException"
    assert description["cause"].startswith(
        f"Function not found: {missing}:$LATEST (Service: AWSLambda; Status Code: 404; "
        "Error Code: ResourceNotFoundException; Request ID: "
    )


def test_a_map_of_lambda_tasks_runs_every_item(lam):
    arn = deploy("def handler(event, context):\n    return event['n'] * 2")
    definition = asl.map_over_items("Double", {"Type": "Task", "Resource": arn})
    description = run(definition, {"items": [{"n": n} for n in range(50)]})
    assert json.loads(description["output"]) == [n * 2 for n in range(50)]


FAILS = "def handler(event, context):\n    raise ValueError('no stock')"


def retried_then_caught(resource: str, **task_fields) -> dict:
    """A Lambda Task retried once, then caught: AWS records each attempt's Scheduled, Started
    and Failed events before the state exits to the Catch's target."""
    retry = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 1}]
    catch = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recovered"}]
    call = {"Type": "Task", "Resource": resource, "Retry": retry, "Catch": catch, **task_fields}
    return {
        "StartAt": "Call",
        "States": {"Call": {**call, "End": True}, "Recovered": {"Type": "Pass", "End": True}},
    }


def history_of(description: dict) -> list[tuple]:
    sfn = boto3.client("stepfunctions")
    events = sfn.get_execution_history(executionArn=description["executionArn"])["events"]
    return [(event["type"], event["id"], event["previousEventId"]) for event in events]


def test_a_failing_task_is_retried_and_caught_with_aws_history(lam):
    arn = deploy(FAILS)
    description = run(retried_then_caught(arn), {"order": 1})
    assert description["status"] == "SUCCEEDED"
    output = json.loads(description["output"])
    assert output["order"] == 1 and output["error"]["Error"] == "ValueError"
    assert json.loads(output["error"]["Cause"])["errorMessage"] == "no stock"
    history = history_of(description)
    attempt = ["LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionFailed"]
    assert [kind for kind, _, _ in history] == [
        "ExecutionStarted",
        "TaskStateEntered",
        *attempt,
        *attempt,
        "TaskStateExited",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    # One after the other: each event's id follows, and points at, the one before it; the
    # first state's entered event points at 0, as in the histories recorded on AWS.
    expected = [(1, 0), (2, 0)] + [(number, number - 1) for number in range(3, len(history) + 1)]
    assert [(event_id, previous) for _, event_id, previous in history] == expected


def test_every_retry_of_a_task_runs_the_handler_on_the_states_input(lam):
    # AWS retries up to MaxAttempts times, each attempt with the same input, each recorded as
    # LambdaFunctionScheduled, LambdaFunctionStarted and LambdaFunctionFailed.
    arn = deploy("def handler(event, context):\n    raise ValueError(repr(event))")
    retry = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 3}]
    retry[0]["BackoffRate"] = 1
    description = run(task(arn, Retry=retry, End=True), {"order": 7})
    assert description["status"] == "FAILED"
    assert json.loads(description["cause"])["errorMessage"] == "{'order': 7}"
    kinds = [kind for kind, _, _ in history_of(description)]
    assert kinds.count("LambdaFunctionScheduled") == kinds.count("LambdaFunctionFailed") == 4


def test_a_task_without_a_timeout_records_what_one_with_a_timeout_does(lam):
    # Tasks without TimeoutSeconds run in place (no thread, no frame); the history must not
    # show it: same events, same ids, same links.
    arn = deploy(FAILS)
    in_place = history_of(run(retried_then_caught(arn), {}))
    framed = history_of(run(retried_then_caught(arn, TimeoutSeconds=30), {}))
    assert in_place == framed


def test_result_selector_then_result_path_shape_a_tasks_output(lam):
    # ASL's order: the result goes through ResultSelector, then ResultPath puts it in the input.
    arn = deploy(ECHO)
    definition = task(arn, ResultSelector={"echoed.$": "$.echo.n"}, ResultPath="$.result", End=True)
    description = run(definition, {"n": 3})
    assert json.loads(description["output"]) == {"n": 3, "result": {"echoed": 3}}


def test_a_reset_leaves_no_environment_serving_old_code(lam, emulator):
    # Last in this module: POST /moto-api/reset forgets every function. A function created
    # again with the same name must start from a fresh environment.
    from sfn_tutorial.emulator import server

    arn = deploy(COUNTER)
    _, before = call(arn)
    server.request("/moto-api/reset")
    assert not process_exists(before["pid"])
    assert not os.path.exists(before["code"])
    name = arn.rsplit(":", 1)[1]
    lambda_code.python_function(name, COUNTER, role_arn())
    assert call(arn)[1]["calls"] == 1


def test_stopping_the_emulator_ends_every_environment_and_removes_the_code(tmp_path, monkeypatch):
    # A second emulator of its own, so that stopping it leaves the session's alone.
    from sfn_tutorial.emulator import server

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("SFN_TUTORIAL_PORT", str(port))
    record = server.ensure_running(progress=lambda message: None)
    pidfile = tmp_path / "background.pid"
    try:
        settings = {
            "endpoint_url": server.endpoint_url(port),
            "region_name": "ap-northeast-2",
            "aws_access_key_id": record["access_key_id"],
            "aws_secret_access_key": record["secret_access_key"],
        }
        iam, lam = boto3.client("iam", **settings), boto3.client("lambda", **settings)
        role = iam.create_role(RoleName="stop-test", AssumeRolePolicyDocument=json.dumps(TRUST))
        source = (
            "import os, time\ndef handler(event, context):\n"
            "    if os.fork() == 0:\n        os.setsid()\n        if os.fork() == 0:\n"
            # written, then renamed: the parent never reads the pid file half-written
            "            open(event['pidfile'] + '.new', 'w').write(str(os.getpid()))\n"
            "            os.rename(event['pidfile'] + '.new', event['pidfile'])\n"
            "            time.sleep(300)\n        os._exit(0)\n"
            "    while not os.path.exists(event['pidfile']):\n        time.sleep(0.01)\n"
            "    return os.getcwd()"
        )
        lambda_code.python_function("stop-test", source, role["Role"]["Arn"], client=lam)
        response = lam.invoke(
            FunctionName="stop-test", Payload=json.dumps({"pidfile": str(pidfile)})
        )
        code = json.loads(response["Payload"].read())
        background = int(pidfile.read_text())
        assert process_exists(background) and os.path.isdir(code)
    finally:
        assert server.stop()
    deadline = time.monotonic() + 25  # the point: they go, not how fast
    while time.monotonic() < deadline and (process_exists(background) or os.path.exists(code)):
        time.sleep(0.1)
    assert not process_exists(background)
    assert not os.path.exists(os.path.dirname(code))


def test_put_overwrites_and_update_changes_the_async_invoke_configuration(lam):
    # Lambda's API reference: PutFunctionEventInvokeConfig overwrites the configuration;
    # UpdateFunctionEventInvokeConfig changes only the settings it is given.
    functions = lam
    echo_function = deploy("def handler(event, context):\n    return event\n")
    functions.put_function_event_invoke_config(
        FunctionName=echo_function, MaximumRetryAttempts=2, MaximumEventAgeInSeconds=3600
    )
    functions.put_function_event_invoke_config(FunctionName=echo_function, MaximumRetryAttempts=1)
    config = functions.get_function_event_invoke_config(FunctionName=echo_function)
    assert config["MaximumRetryAttempts"] == 1 and "MaximumEventAgeInSeconds" not in config
    functions.update_function_event_invoke_config(
        FunctionName=echo_function, MaximumEventAgeInSeconds=600
    )
    config = functions.get_function_event_invoke_config(FunctionName=echo_function)
    assert (config["MaximumRetryAttempts"], config["MaximumEventAgeInSeconds"]) == (1, 600)
    listed = functions.list_function_event_invoke_configs(FunctionName=echo_function)
    assert len(listed["FunctionEventInvokeConfigs"]) == 1
