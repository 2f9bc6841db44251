"""The local Lambda runtime, called directly: Lambda's environment, context and error contract."""

import base64
import concurrent.futures
import hashlib
import io
import json
import math
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

import lambda_code
import pytest

from sfn_tutorial.emulator.awslambda import codecache, workers
from sfn_tutorial.emulator.awslambda import runtime as lambda_runtime

ENDPOINT = "http://127.0.0.1:9"  # not used by these handlers


def spec_for(source: str, handler: str = "lambda_function.handler", **overrides):
    settings = dict(
        name="fn",
        arn="arn:aws:lambda:ap-northeast-2:123456789012:function:fn",
        handler=handler,
        code_zip=lambda_code.zipped(source),
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


# --- Warm execution environments -------------------------------------------------------------
# Lambda keeps an execution environment after an invocation and reuses it: the module's
# top-level code (init) runs once per environment, the REPORT line shows "Init Duration" only on
# the invocation that started it (a cold start), and the environment writes to one log stream.

COUNTER = """
import os
print("init")
calls = 0
def handler(event, context):
    global calls
    calls += 1
    print("call", calls)
    return {"calls": calls, "pid": os.getpid(), "stream": context.log_stream_name,
            "request_id": context.aws_request_id}
"""


def unique_spec(source: str, **overrides):
    """A spec no other test shares, so that it starts with no warm environment."""
    marker = f"\n# {uuid.uuid4()}\n"
    return spec_for(source + marker, **overrides)


def invoke_spec(spec, event=None):
    return lambda_runtime.invoke(spec, json.dumps(event or {}).encode(), ENDPOINT)


def test_a_warm_environment_runs_init_once_and_keeps_its_log_stream():
    spec = unique_spec(COUNTER)
    first, second = invoke_spec(spec), invoke_spec(spec)
    one, two = json.loads(first.payload), json.loads(second.payload)
    assert (one["calls"], two["calls"]) == (1, 2)
    assert one["pid"] == two["pid"]
    assert first.log_lines[1:3] == ["init", "call 1"]
    assert second.log_lines[1] == "call 2"  # no init output: the module is loaded already
    assert "\tInit Duration: " in first.log_lines[-1]
    assert "Init Duration" not in second.log_lines[-1]
    assert first.log_stream_name == second.log_stream_name == one["stream"] == two["stream"]
    assert first.request_id != second.request_id
    assert (one["request_id"], two["request_id"]) == (first.request_id, second.request_id)


def test_a_reclaimed_environment_starts_cold_again(monkeypatch):
    # AWS reclaims environments (idle ones after minutes, the least recently used of a busy
    # account first); the next invocation is a cold start: init again, Init Duration, and a new
    # environment's log stream. Here one warm environment may be kept, so starting a second
    # function's reclaims the first's.
    monkeypatch.setattr(lambda_runtime.POOL, "max_warm", 1)
    spec, other = unique_spec(COUNTER), unique_spec(COUNTER)
    first = invoke_spec(spec)
    invoke_spec(other)
    again = invoke_spec(spec)
    assert json.loads(again.payload)["calls"] == 1
    assert again.log_lines[1:3] == ["init", "call 1"]
    assert "\tInit Duration: " in again.log_lines[-1]
    assert again.log_stream_name != first.log_stream_name


def test_an_environment_idle_past_the_idle_timeout_is_reclaimed():
    spec = unique_spec(COUNTER)
    first = invoke_spec(spec)
    lambda_runtime.POOL.reap(now=time.monotonic() + lambda_runtime.POOL.idle_timeout_s + 1)
    again = invoke_spec(spec)
    assert json.loads(again.payload)["calls"] == 1
    assert "\tInit Duration: " in again.log_lines[-1]
    assert json.loads(again.payload)["pid"] != json.loads(first.payload)["pid"]


def test_billed_duration_includes_the_init_phase():
    # Lambda bills the init phase of on-demand functions too (since August 2025).
    report = invoke_spec(unique_spec(COUNTER)).log_lines[-1]
    fields = dict(field.split(": ", 1) for field in report.split("\t")[1:])
    duration = float(fields["Duration"].split()[0]) + float(fields["Init Duration"].split()[0])
    assert int(fields["Billed Duration"].split()[0]) == max(1, math.ceil(duration))


def test_parallel_invocations_get_environments_of_their_own():
    spec = unique_spec(
        "import os, time\ndef handler(event, context):\n    time.sleep(0.6)\n    return os.getpid()"
    )
    invoke_spec(spec)  # one warm environment exists; two more invocations need two more
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        started = time.monotonic()
        results = list(pool.map(lambda _: invoke_spec(spec), range(3)))
        elapsed = time.monotonic() - started
    assert len({json.loads(result.payload) for result in results}) == 3
    assert elapsed < 1.6  # in parallel, not one after another (3 x 0.6 s)


def test_reserved_concurrency_throttles_beyond_it():
    # Lambda: a function with reserved concurrency N runs at most N invocations at once; more
    # are throttled (TooManyRequestsException); with 0 every invocation is.
    spec = unique_spec(
        "import time\ndef handler(event, context):\n    time.sleep(0.8)", reserved_concurrency=1
    )
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        busy = pool.submit(invoke_spec, spec)
        time.sleep(0.3)
        with pytest.raises(lambda_runtime.Throttled):
            invoke_spec(spec)
        assert busy.result().function_error is None
    with pytest.raises(lambda_runtime.Throttled):
        invoke_spec(unique_spec("def handler(event, context):\n    pass", reserved_concurrency=0))


@pytest.mark.parametrize(
    ("crash", "ending"),
    [
        ("sys.exit(3)", "Runtime exited with error: exit status 3"),
        ("os._exit(0)", "Runtime exited with error: exit status 0"),
        ("os.abort()", "Runtime exited with error: signal: aborted"),
        ("os.kill(os.getpid(), signal.SIGKILL)", "Runtime exited with error: signal: killed"),
    ],
)
def test_a_crash_ends_only_its_environment_and_the_next_invocation_starts_cold(crash, ending):
    # Lambda: {"errorType": "Runtime.ExitError", "errorMessage": "RequestId: ... Error: Runtime
    # exited with error: exit status 1"}; the log adds that line and "Runtime.ExitError", and
    # the REPORT line ends "Status: error\tError Type: Runtime.ExitError".
    source = COUNTER + (
        f"import signal, sys\ndef crash(event, context):\n    print('going down')\n    {crash}\n"
    )
    crashing = unique_spec(source, handler="lambda_function.crash")
    result = invoke_spec(crashing)
    error = json.loads(result.payload)
    assert result.function_error == "Unhandled"
    assert error == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {result.request_id} Error: {ending}",
    }
    assert "going down" in result.log_lines
    assert result.log_lines[-4:-2] == [error["errorMessage"], "Runtime.ExitError"]
    assert result.log_lines[-1].endswith("\tStatus: error\tError Type: Runtime.ExitError")
    healthy = invoke_spec(crashing)  # the same function again: a new environment, init again
    assert "init" in healthy.log_lines and "\tInit Duration: " in healthy.log_lines[-1]


def test_a_timeout_stops_the_environment_and_reports_as_lambda_does():
    # Lambda: {"errorType": "Sandbox.Timedout", "errorMessage": "RequestId: ID Error: Task timed
    # out after 1.00 seconds"}; the log has "TIMESTAMP ID Task timed out after 1.00 seconds" and
    # a REPORT line ending "Status: timeout"; the next invocation gets a new environment.
    spec = unique_spec(
        COUNTER + "import time\ndef slow(event, context):\n    time.sleep(30)",
        handler="lambda_function.slow",
        timeout_s=1,
    )
    started = time.monotonic()
    result = invoke_spec(spec)
    assert time.monotonic() - started < 5
    error = json.loads(result.payload)
    assert error == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {result.request_id} Error: Task timed out after 1.00 seconds",
    }
    timed_out = [line for line in result.log_lines if "Task timed out" in line]
    assert timed_out and timed_out[0].endswith(
        f"Z {result.request_id} Task timed out after 1.00 seconds"
    )
    assert "\tDuration: 1000.00 ms\t" in result.log_lines[-1]
    assert "\tMax Memory Used: 0 MB" not in result.log_lines[-1]  # at least the init phase's
    assert result.log_lines[-1].endswith("\tStatus: timeout")
    assert "\tInit Duration: " in invoke_spec(spec).log_lines[-1]


@pytest.mark.parametrize(
    ("source", "error_type", "message"),
    [
        # awslambdaric: only an ImportError is Runtime.ImportModuleError; any other exception in
        # the module's top-level code keeps its own type. Init errors have an empty requestId.
        ("raise ValueError('no config')", "ValueError", "no config"),
        (
            "def handler(event, context:\n    pass",
            "Runtime.UserCodeSyntaxError",
            "Syntax error in module 'lambda_function': ",
        ),
        ("", "Runtime.HandlerNotFound", "Handler 'handler' missing on module 'lambda_function'"),
    ],
)
def test_init_errors_are_reported_with_an_empty_request_id(source, error_type, message):
    result = invoke_spec(unique_spec(source))
    error = json.loads(result.payload)
    assert result.function_error == "Unhandled"
    assert (error["errorType"], error["requestId"]) == (error_type, "")
    assert error["errorMessage"].startswith(message)
    assert f"[ERROR] {error_type}: {error['errorMessage']}" in result.log_lines
    assert "Traceback (most recent call last):" in result.log_lines


def test_a_malformed_handler_name_is_runtime_malformed_handler_name():
    result = invoke_spec(unique_spec("", handler="handler"))
    error = json.loads(result.payload)
    assert error["errorType"] == "Runtime.MalformedHandlerName"
    assert error["errorMessage"] == (
        "Bad handler 'handler': not enough values to unpack (expected 2, got 1)"
    )


def test_an_event_that_is_not_json_is_runtime_unmarshal_error():
    spec = unique_spec("def handler(event, context):\n    return event")
    result = lambda_runtime.invoke(spec, b"{nope", ENDPOINT)
    error = json.loads(result.payload)
    assert error["errorType"] == "Runtime.UnmarshalError"
    assert error["errorMessage"].startswith("Unable to unmarshal input: Expecting property name")


def test_results_are_json_as_the_python_runtime_writes_it():
    # python3.12 and later write non-ASCII characters as UTF-8, and Decimal as a number.
    source = (
        "import decimal\ndef handler(event, context):\n    return ['안녕', decimal.Decimal('1.5')]"
    )
    assert invoke_spec(unique_spec(source)).payload == '["안녕", 1.5]'.encode()
    older = invoke_spec(unique_spec(source, runtime="python3.11")).payload
    assert older == b'["\\uc548\\ub155", 1.5]'


def test_logging_writes_lambdas_log_format():
    source = (
        "import logging\nlogger = logging.getLogger()\nlogger.setLevel(logging.INFO)\n"
        "def handler(event, context):\n    logger.info('hello %s', 'there')"
    )
    result = invoke_spec(unique_spec(source))
    (line,) = [line for line in result.log_lines if line.startswith("[INFO]")]
    level, timestamp, request_id, message = line.split("\t")
    assert (request_id, message) == (result.request_id, "hello there")
    assert timestamp.endswith("Z") and len(timestamp) == len("2024-01-01T00:00:00.000Z")


def test_client_context_reaches_the_handler():
    source = "def handler(event, context):\n    return context.client_context.custom"
    spec = unique_spec(source)
    result = lambda_runtime.invoke(spec, b"{}", ENDPOINT, client_context={"custom": {"a": 1}})
    assert json.loads(result.payload) == {"a": 1}


def test_idle_environments_retire_after_a_while():
    spec = unique_spec(COUNTER)
    pid = json.loads(invoke_spec(spec).payload)["pid"]
    pool = lambda_runtime.POOL
    assert pool.reap(now=time.monotonic() + pool.idle_timeout_s / 2) == 0
    assert pool.reap(now=time.monotonic() + pool.idle_timeout_s + 1) >= 1
    assert not process_exists(pid)
    assert json.loads(invoke_spec(spec).payload)["calls"] == 1  # a cold start


def test_retiring_a_function_replaces_its_environments():
    spec = unique_spec(COUNTER)
    pid = json.loads(invoke_spec(spec).payload)["pid"]
    lambda_runtime.retire(spec.arn)
    assert not process_exists(pid)
    assert json.loads(invoke_spec(spec).payload)["calls"] == 1


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# --- The environment ends as one piece ------------------------------------------------------------
# Lambda ends an execution environment that times out, runs out of memory or whose runtime exits,
# with every process in it. Locally a supervisor process above the runtime kills whatever the
# handler started, even processes that left its session or whose parent exited.

LEAVES_A_PROCESS = """
import ctypes, os, subprocess, sys, time
def start_grandchild(pidfile, how):
    if how == "subprocess":  # a program of its own, in a session of its own
        code = f"import os, time; open({pidfile!r}, 'w').write(str(os.getpid())); time.sleep(120)"
        subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    else:  # a fork (os.fork, or libc's, which keeps the runtime's channel) that daemonizes
        fork = ctypes.CDLL(None).fork if how == "libc fork" else os.fork
        if fork() == 0:
            os.setsid()
            if os.fork() == 0:
                with open(pidfile, "w") as out:
                    out.write(str(os.getpid()))
                time.sleep(120)
            os._exit(0)
    while not os.path.exists(pidfile) or not open(pidfile).read():
        time.sleep(0.01)
def handler(event, context):
    start_grandchild(event["pidfile"], event["how"])
    if event["then"] == "exit":
        os._exit(3)
    time.sleep(120)
"""
HOW = ["os.fork", "libc fork", "subprocess"]


def grandchild_pid(pidfile) -> int:
    return int(pidfile.read_text())


def leave_a_process(tmp_path, how: str, then: str, timeout_s: int):
    """Invoke LEAVES_A_PROCESS (its timeout ``timeout_s``): it starts a grandchild by ``how``,
    then ``then``s ("wait" or "exit"). The seconds the invocation took, its result, and the
    file the grandchild writes its pid to."""
    pidfile = tmp_path / "grandchild.pid"
    spec = unique_spec(LEAVES_A_PROCESS, timeout_s=timeout_s)
    started = time.monotonic()
    result = invoke_spec(spec, {"pidfile": str(pidfile), "how": how, "then": then})
    return time.monotonic() - started, result, pidfile


@pytest.mark.parametrize("how", HOW)
def test_a_timeout_ends_every_process_the_handler_started(tmp_path, how):
    seconds, result, pidfile = leave_a_process(tmp_path, how, "wait", timeout_s=1)
    assert seconds < 15  # not held up by the processes left behind
    error = json.loads(result.payload)
    assert error == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {result.request_id} Error: Task timed out after 1.00 seconds",
    }
    assert not process_exists(grandchild_pid(pidfile))


@pytest.mark.parametrize("how", HOW)
def test_an_exit_after_a_fork_is_runtime_exit_error_at_once(tmp_path, how):
    # Lambda: {"errorType": "Runtime.ExitError", "errorMessage": "RequestId: ... Error: Runtime
    # exited with error: exit status 3"}, when the runtime exits, not at the timeout.
    seconds, result, pidfile = leave_a_process(tmp_path, how, "exit", timeout_s=60)
    assert seconds < 25  # well before the 60 s timeout
    error = json.loads(result.payload)
    assert error == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {result.request_id} Error: Runtime exited with error: "
        "exit status 3",
    }
    assert not process_exists(grandchild_pid(pidfile))


def test_processes_left_running_end_with_their_environment(tmp_path):
    # A process started in the background outlives the invocation (Lambda freezes it with the
    # environment), not the environment: retiring it ends the process too.
    pidfile = tmp_path / "grandchild.pid"
    source = LEAVES_A_PROCESS + (
        "def background(event, context):\n"
        "    start_grandchild(event['pidfile'], 'os.fork')\n    return os.getpid()\n"
    )
    spec = unique_spec(source, handler="lambda_function.background")
    result = invoke_spec(spec, {"pidfile": str(pidfile)})
    assert result.function_error is None
    assert process_exists(grandchild_pid(pidfile))
    lambda_runtime.retire(spec.arn)
    assert not process_exists(grandchild_pid(pidfile))
    assert not process_exists(json.loads(result.payload))


def test_a_handler_that_kills_its_supervisor_still_ends_at_the_timeout(tmp_path):
    pidfile = tmp_path / "runtime.pid"
    source = (
        "import os, signal, time\ndef handler(event, context):\n"
        "    open(event['pidfile'], 'w').write(str(os.getpid()))\n"
        "    os.kill(os.getppid(), signal.SIGKILL)\n    time.sleep(120)"
    )
    started = time.monotonic()
    result = invoke_spec(unique_spec(source, timeout_s=1), {"pidfile": str(pidfile)})
    assert time.monotonic() - started < 15
    assert json.loads(result.payload)["errorType"] == "Sandbox.Timedout"
    runtime = int(pidfile.read_text())  # killed, no longer the supervisor's to wait for
    deadline = time.monotonic() + 10
    while running(runtime) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(runtime)


def running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not: its parent, now init, may not reap it at once)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat_file:
            return stat_file.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc
        return process_exists(pid)


WRITES_TO_THE_CHANNEL = """
import os, stat, time
def handler(event, context):
    for fd in range(3, 256):  # the runtime's channel to the emulator: a socket
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.write(fd, bytes.fromhex(event["bytes"]))
                break
        except OSError:
            pass
    time.sleep(event["then_sleep"])
    return "done"
"""


@pytest.mark.parametrize(
    ("written", "then_sleep", "error_type"),
    [
        ("ffffffff ffffffff", 0, "Runtime.ExitError"),  # lengths no answer has
        ("00000003 00000000 7b7b7b", 0, "Runtime.ExitError"),  # a header that is not JSON
        ("00000002 00000000 5b5d", 0, "Runtime.ExitError"),  # JSON, not a header
        ("00000002 00000005 7b7d", 120, "Sandbox.Timedout"),  # a body that never comes
    ],
)
def test_an_answer_that_is_not_a_frame_ends_the_environment_within_the_timeout(
    written, then_sleep, error_type
):
    spec = unique_spec(WRITES_TO_THE_CHANNEL, timeout_s=2)
    started = time.monotonic()
    result = invoke_spec(spec, {"bytes": written, "then_sleep": then_sleep})
    assert time.monotonic() - started < 15
    assert result.function_error == "Unhandled"
    assert json.loads(result.payload)["errorType"] == error_type
    assert "\tInit Duration: " in invoke_spec(spec, {"bytes": "", "then_sleep": 0}).log_lines[-1]


# --- MemorySize ---------------------------------------------------------------------------------
# Lambda kills a runtime that uses more memory than the function has: {"errorType":
# "Runtime.OutOfMemory", "errorMessage": "RequestId: ... Error: Runtime exited with error: signal:
# killed"}, the log adds that line and "Runtime.OutOfMemory", and the REPORT line shows the whole
# memory size used and ends "Status: error\tError Type: Runtime.OutOfMemory".


@pytest.mark.parametrize(
    "source",
    [
        # 1 GB: over the cap on the data segment, a MemoryError at once
        "def handler(event, context):\n    return len(b'x' * (1 << 30))",
        # 200 MB: under the cap, over the memory size (the peak resident memory)
        "def handler(event, context):\n    return len(b'x' * (200 << 20))",
        # in the init phase
        "data = b'x' * (1 << 30)\ndef handler(event, context):\n    return 1",
    ],
)
def test_more_memory_than_memory_size_is_runtime_out_of_memory(source):
    spec = unique_spec(source, memory_mb=128)
    result = invoke_spec(spec)
    assert result.function_error == "Unhandled"
    error = json.loads(result.payload)
    message = f"RequestId: {result.request_id} Error: Runtime exited with error: signal: killed"
    assert error == {"errorType": "Runtime.OutOfMemory", "errorMessage": message}
    assert result.log_lines[-4:-2] == [message, "Runtime.OutOfMemory"]
    report = result.log_lines[-1]
    assert "\tMemory Size: 128 MB\tMax Memory Used: 128 MB\t" in report
    assert report.endswith("\tStatus: error\tError Type: Runtime.OutOfMemory")


def test_a_128_mb_function_can_import_boto3_use_threads_and_allocate():
    source = (
        "import boto3, json, threading, time\n"
        "def handler(event, context):\n"
        "    boto3.client('s3', region_name='us-east-1')\n"
        "    threads = [threading.Thread(target=time.sleep, args=(0.05,)) for _ in range(16)]\n"
        "    [thread.start() for thread in threads]\n"
        "    [thread.join() for thread in threads]\n"
        "    return len(b'x' * (40 << 20))"
    )
    result = invoke_spec(unique_spec(source, memory_mb=128))
    assert (result.function_error, json.loads(result.payload)) == (None, 40 << 20)
    used = int(result.log_lines[-1].split("Max Memory Used: ")[1].split()[0])
    assert 0 < used < 128


# --- Code on disk -------------------------------------------------------------------------------
# The code cache is a directory of this process's own (random name, mode 0700); nothing at a
# predictable path is used, and a function's folder goes with it.


def code_folder(spec) -> Path:
    return Path(json.loads(invoke_spec(spec).payload))


CWD = "import os\ndef handler(event, context):\n    return os.getcwd()"


def test_code_is_unpacked_into_a_private_directory():
    folder = code_folder(unique_spec(CWD))
    root = lambda_runtime.CODE.root
    assert folder.parent == root
    assert root.parent == Path(tempfile.gettempdir())
    assert root.name.startswith("sfn-tutorial-lambda-code-") and root.name != OLD_CACHE.name
    info = root.stat()
    assert (stat.S_IMODE(info.st_mode), info.st_uid) == (0o700, os.geteuid())


OLD_CACHE = Path(tempfile.gettempdir()) / "sfn-tutorial-lambda-code"  # shared and predictable


def test_a_folder_planted_at_the_old_shared_path_is_not_used():
    spec = unique_spec("def handler(event, context):\n    return 'the learner'")
    planted = OLD_CACHE / hashlib.sha256(spec.code_zip).hexdigest()[:32]
    try:
        planted.mkdir(parents=True)
    except OSError:  # another user's folder: it must not matter either
        planted = None
    try:
        if planted is not None:
            (planted / "lambda_function.py").write_text(
                "def handler(event, context):\n    return 'planted'"
            )
            other = other_user()
            if other is not None:  # as root: the folder is another user's, as in the attack
                for path in (planted, planted / "lambda_function.py"):
                    os.chown(path, other.pw_uid, other.pw_gid)
        assert json.loads(invoke_spec(spec).payload) == "the learner"
    finally:
        if planted is not None:
            shutil.rmtree(planted)


def test_another_user_can_neither_read_nor_plant_code():
    other = other_user()
    if other is None:
        pytest.skip("acting as another user needs root")
    folder = code_folder(unique_spec(CWD))
    for command in (f"ls {folder}", f"cat {folder}/lambda_function.py", f"touch {folder}/x"):
        attempt = subprocess.run(
            ["/bin/sh", "-c", command],
            user=other.pw_uid,
            group=other.pw_gid,
            extra_groups=[],
            capture_output=True,
            text=True,
            cwd="/",
        )
        assert attempt.returncode != 0 and "Permission denied" in attempt.stderr, command
    assert not (folder / "x").exists()


def other_user():
    """As root, a user that is not root (created if the system has none); else ``None``."""
    if os.geteuid() != 0:
        return None
    for name in ("nobody", "sfn-tutorial-other"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
    subprocess.run(["useradd", "--system", "--no-create-home", "sfn-tutorial-other"], check=True)
    return pwd.getpwnam("sfn-tutorial-other")


def test_removing_a_function_removes_its_code():
    spec = unique_spec(CWD)
    folder = code_folder(spec)
    lambda_runtime.retire(spec.arn)  # an update: the code stays for the function's versions
    assert folder.exists()
    lambda_runtime.remove(spec.arn)  # deleted
    assert not folder.exists()
    assert code_folder(spec) != folder  # created again: unpacked afresh


def test_a_busy_environment_keeps_its_code_until_it_is_done():
    # Lambda lets an invocation in progress finish when its function is deleted.
    spec = unique_spec(
        "import os, time\ndef handler(event, context):\n    if 'sleep' not in event:\n"
        "        return os.getcwd()\n    time.sleep(event['sleep'])\n"
        "    return open('lambda_function.py').read()[:6]"
    )
    folder = code_folder(spec)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        busy = pool.submit(invoke_spec, spec, {"sleep": 1})
        time.sleep(0.5)
        lambda_runtime.remove(spec.arn)
        assert folder.exists()
        assert json.loads(busy.result().payload) == "import"
    assert not folder.exists()


def test_a_package_over_250_mb_unzipped_is_refused_before_unpacking():
    spec = unique_spec(CWD)
    spec.code_zip = declaring(300 << 20)
    with pytest.raises(codecache.PackageTooLarge, match="^Unzipped size must be smaller than "):
        invoke_spec(spec)


def declaring(size: int) -> bytes:
    """A small zip whose directory says its one file is ``size`` bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", "x")
    data = bytearray(buffer.getvalue())
    central = data.rindex(b"PK\x01\x02")
    data[central + 24 : central + 28] = size.to_bytes(4, "little")  # uncompressed size
    return bytes(data)


# --- Environments forked from the template -----------------------------------------------------
# A new environment is forked from a template interpreter (workers.TEMPLATE) rather than started
# as a new Python: it must be what a new `python -S bootstrap.py` would have been.

WHO_AM_I = """
import os, sys, time
def handler(event, context):
    return {"pid": os.getpid(), "parent": os.getppid(), "cwd": os.getcwd(),
            "environ": dict(os.environ), "path": sys.path, "tz": time.tzname,
            "argv": sys.argv, "dont_write_bytecode": sys.dont_write_bytecode,
            "hash_seed_env": os.environ.get("PYTHONHASHSEED"),
            "session": os.getsid(0) == os.getpid() or os.getsid(0) == os.getppid()}
"""


def test_a_forked_environment_is_what_a_new_interpreter_would_be():
    spec = unique_spec(WHO_AM_I, environment={"GREETING": "hi", "TZ": "Asia/Seoul"})
    answer = json.loads(invoke_spec(spec).payload)
    supervisor = answer["parent"]
    template = workers.TEMPLATE.pid()
    assert template is not None and parent_of(supervisor) == template  # forked, not started
    env = lambda_runtime.lambda_environment(
        spec, "stream", ENDPOINT, Path(answer["cwd"])
    )  # what the environment was given: exactly that, nothing of the template's
    expected = {
        **env,
        "AWS_LAMBDA_LOG_STREAM_NAME": answer["environ"]["AWS_LAMBDA_LOG_STREAM_NAME"],
    }
    assert answer["environ"] == expected
    assert answer["tz"][0] == "KST"  # the function's TZ, read at start-up
    assert answer["path"][0] == answer["cwd"]  # the code folder first, then PYTHONPATH's
    assert answer["path"][1 : 1 + len(env["PYTHONPATH"].split(os.pathsep))] == [
        path for path in env["PYTHONPATH"].split(os.pathsep) if path
    ]
    assert answer["argv"] == [workers.BOOTSTRAP]
    assert answer["dont_write_bytecode"] is True
    assert answer["session"]  # a session of its own, as start_new_session gives


def test_an_environment_with_its_own_interpreter_settings_gets_its_own_interpreter():
    # PYTHON* variables are read when an interpreter starts: such an environment is not forked.
    source = (
        "import os, sys\ndef handler(event, context):\n"
        "    return [os.getppid(), sys.flags.hash_randomization, hash('x')]\n"
    )
    spec = unique_spec(source, environment={"PYTHONHASHSEED": "0"})
    supervisor, randomized, _ = json.loads(invoke_spec(spec).payload)
    assert parent_of(supervisor) == os.getpid()  # started by this process, not the template
    assert randomized == 0  # PYTHONHASHSEED=0 took effect


def test_environments_end_with_the_template_and_new_ones_still_start(monkeypatch):
    template = workers.Template()
    monkeypatch.setattr(workers, "TEMPLATE", template)
    spec = unique_spec(COUNTER)
    first = json.loads(invoke_spec(spec).payload)
    template.stop()  # as when the emulator's template dies: its environments end
    deadline = time.monotonic() + 10
    while running(first["pid"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(first["pid"])
    again = invoke_spec(spec)  # the environment is gone: a new one, from a new interpreter
    assert json.loads(again.payload)["calls"] == 1 and "\tInit Duration: " in again.log_lines[-1]


def parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rfind(")") + 2 :].split()[1])
