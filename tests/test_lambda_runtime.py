"""The local Lambda runtime, called directly: Lambda's environment, context and error contract."""

import base64
import io
import json
import zipfile

import pytest

from sfn_tutorial.emulator import lambda_runtime

ENDPOINT = "http://127.0.0.1:9"  # not used by these handlers


def package(source: str, module: str = "lambda_function") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{module}.py", source)
    return buffer.getvalue()


def spec_for(source: str, handler: str = "lambda_function.handler", **overrides):
    settings = dict(
        name="fn",
        arn="arn:aws:lambda:ap-northeast-2:123456789012:function:fn",
        handler=handler,
        code_zip=package(source),
        region="ap-northeast-2",
        environment={"GREETING": "hi"},
    )
    settings.update(overrides)
    return lambda_runtime.FunctionSpec(**settings)


def run(source: str, event=None, **overrides):
    spec = spec_for(source, **overrides)
    return lambda_runtime.invoke(spec, json.dumps(event or {}).encode(), ENDPOINT)


def test_handler_result_is_the_payload():
    result = run("def handler(event, context):\n    return {'got': event['x'] * 2}", {"x": 21})
    assert result.function_error is None
    assert json.loads(result.payload) == {"got": 42}


def test_context_and_environment_are_lambdas():
    source = """
import os
def handler(event, context):
    return {
        "request_id": context.aws_request_id,
        "name": context.function_name,
        "arn": context.invoked_function_arn,
        "memory": context.memory_limit_in_mb,
        "remaining": context.get_remaining_time_in_millis(),
        "group": context.log_group_name,
        "greeting": os.environ["GREETING"],
        "region": os.environ["AWS_REGION"],
        "endpoint": os.environ["AWS_ENDPOINT_URL"],
    }
"""
    result = run(source)
    answer = json.loads(result.payload)
    assert answer["request_id"] == result.request_id
    assert answer["name"] == "fn"
    assert answer["arn"].endswith(":function:fn")
    assert answer["memory"] == "128"
    assert 0 < answer["remaining"] <= 3000
    assert answer["group"] == "/aws/lambda/fn"
    assert answer["greeting"] == "hi"
    assert answer["region"] == "ap-northeast-2"
    assert answer["endpoint"] == ENDPOINT


def test_log_has_start_output_end_report():
    result = run("print('init')\ndef handler(event, context):\n    print('hello')\n    return 1")
    lines = result.log_lines
    assert lines[0] == f"START RequestId: {result.request_id} Version: $LATEST"
    assert lines[1:3] == ["init", "hello"]
    assert lines[3] == f"END RequestId: {result.request_id}"
    assert lines[4].startswith(f"REPORT RequestId: {result.request_id}\tDuration: ")
    assert "Memory Size: 128 MB" in lines[4] and "Init Duration" in lines[4]
    tail = base64.b64decode(result.log_tail).decode()
    assert "hello" in tail and tail.endswith(lines[4])


def test_handler_exception_is_unhandled_with_type_message_and_stack():
    result = run("def handler(event, context):\n    raise ValueError('bad input')")
    assert result.function_error == "Unhandled"
    error = json.loads(result.payload)
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "bad input"
    assert '"/var/task/lambda_function.py", line 2, in handler' in error["stackTrace"][0]
    assert "[ERROR] ValueError: bad input" in result.log_lines


@pytest.mark.parametrize(
    ("source", "handler", "error_type", "message"),
    [
        (
            "import not_a_module",
            "lambda_function.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'lambda_function': No module named 'not_a_module'",
        ),
        (
            "def other(event, context): pass",
            "lambda_function.handler",
            "Runtime.HandlerNotFound",
            "Handler 'handler' missing on module 'lambda_function'",
        ),
        (
            "def handler(event, context):\n    return object()",
            "lambda_function.handler",
            "Runtime.MarshalError",
            "Unable to marshal response: Object of type object is not JSON serializable",
        ),
    ],
)
def test_runtime_errors(source, handler, error_type, message):
    result = run(source, handler=handler)
    assert result.function_error == "Unhandled"
    error = json.loads(result.payload)
    assert (error["errorType"], error["errorMessage"]) == (error_type, message)


def test_exit_is_a_runtime_exit_error():
    result = run("import sys\ndef handler(event, context):\n    sys.exit(3)")
    error = json.loads(result.payload)
    assert error["errorType"] == "Runtime.ExitError"
    assert error["errorMessage"].endswith("Runtime exited with error: exit status 3")


def test_timeout_kills_the_handler():
    source = "import time\ndef handler(event, context):\n    time.sleep(30)"
    result = run(source, timeout_s=1)
    error = json.loads(result.payload)
    assert result.function_error == "Unhandled"
    assert error["errorType"] == "Sandbox.Timedout"
    assert error["errorMessage"].endswith("Task timed out after 1.00 seconds")
