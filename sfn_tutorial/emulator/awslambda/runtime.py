"""Run real Lambda handler code on the local target.

moto without Docker only echoes an invocation's input back. This runtime unpacks the uploaded
deployment package once, into a folder only the emulator's user can read (``codecache``), and runs
the handler in an execution environment of its own: Python processes that load the module once
and serve invocation after invocation (``workers``; ``bootstrap`` is the child side), with
Lambda's environment variables, a context object, a timeout and a memory limit that end the whole
environment, and logs written the way Lambda writes them (``START``, your output, ``END``,
``REPORT`` with ``Init Duration`` on a cold start).
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import json
import math
import os
import random
import signal
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sfn_tutorial.emulator import auth
from sfn_tutorial.emulator.awslambda.codecache import CodeCache
from sfn_tutorial.emulator.awslambda.workers import TEMPLATE, Reply, Throttled, Worker, WorkerPool
from sfn_tutorial.emulator.iam import authorization

__all__ = [
    "FunctionSpec",
    "InvocationResult",
    "Throttled",
    "invoke",
    "retire",
    "remove",
    "POOL",
    "CODE",
]

LOG_TAIL_BYTES = 4096
INIT_TIMEOUT_S = 10.0  # Lambda gives the init phase 10 s of its own
POOL = WorkerPool()
CODE = CodeCache()


@atexit.register
def _shutdown() -> None:
    """The emulator is stopping: no execution environment, and no code on disk, outlives it."""
    POOL.shutdown()
    TEMPLATE.stop()
    CODE.close()


@dataclass
class FunctionSpec:
    """What the runtime needs to know about a function to invoke it."""

    name: str
    arn: str
    handler: str
    code_zip: bytes
    region: str
    version: str = "$LATEST"
    memory_mb: int = 128
    timeout_s: float = 3
    environment: dict[str, str] = field(default_factory=dict)
    runtime: str = "python3.12"
    code_sha256: str = ""  # Lambda's CodeSha256, if known; else computed from code_zip
    reserved_concurrency: int | None = None
    role: str = ""  # the execution role's ARN: the handler's boto3 calls act as it

    @property
    def group(self) -> str:
        """The function's ARN without version or alias: what reserved concurrency applies to."""
        return unqualified(self.arn)

    @property
    def digest(self) -> str:
        """The code's SHA-256, as Lambda's ``CodeSha256`` (computed when not given)."""
        return self.code_sha256 or hashlib.sha256(self.code_zip).hexdigest()

    def worker_key(self, endpoint: str) -> tuple:
        """Workers are reused only for the same version, code and configuration."""
        settings = (self.handler, self.memory_mb, self.timeout_s, self.runtime, endpoint)
        return (
            self.arn,
            str(self.version),
            self.digest,
            settings,
            tuple(sorted(self.environment.items())),
        )


@dataclass
class InvocationResult:
    """The outcome of one invocation, in the shape Lambda's Invoke API reports it."""

    request_id: str
    payload: bytes
    function_error: str | None
    log_lines: list[str]
    log_stream_name: str
    duration_ms: float = 0.0  # how long the handler ran

    @property
    def log_tail(self) -> str:
        """The last 4 KB of the log, base64-encoded, as ``LogType="Tail"`` returns it."""
        text = "\n".join(self.log_lines).encode()[-LOG_TAIL_BYTES:]
        return base64.b64encode(text).decode()


def log_stream_name(version: str) -> str:
    """A new execution environment's log stream, in Lambda's format ``YYYY/MM/DD/[version]hex``."""
    return time.strftime("%Y/%m/%d/", time.gmtime()) + f"[{version}]{uuid.uuid4().hex}"


def credentials_variables(spec: FunctionSpec | None = None) -> dict[str, str]:
    """The credentials a handler's boto3 calls sign with, as Lambda gives them: temporary
    credentials of the function's execution role, in a session named after the function, so
    that IAM allows the handler what its role allows (``iam.authorization``). Without a function
    or a role, the emulator's own key; outside an emulator, none."""
    credentials = auth.served()
    if credentials is None:
        return {}
    if spec is None or not spec.role:
        return {
            "AWS_ACCESS_KEY_ID": credentials.access_key_id,
            "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
        }
    session = authorization.session_for(spec.role, spec.name)
    return {
        "AWS_ACCESS_KEY_ID": session.access_key_id,
        "AWS_SECRET_ACCESS_KEY": session.secret_access_key,
        "AWS_SESSION_TOKEN": session.session_token,
    }


def lambda_environment(spec: FunctionSpec, stream: str, endpoint: str, code_dir: Path) -> dict:
    """The environment a handler sees: the function's variables plus Lambda's own."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
        "LAMBDA_TASK_ROOT": str(code_dir),
        "_HANDLER": spec.handler,
        "AWS_REGION": spec.region,
        "AWS_DEFAULT_REGION": spec.region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_VERSION": str(spec.version),
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(spec.timeout_s),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": stream,
        **credentials_variables(spec),
        "AWS_ENDPOINT_URL": endpoint,
    }
    env.update({str(k): str(v) for k, v in spec.environment.items()})
    return env


def invoke(
    spec: FunctionSpec,
    event: bytes,
    endpoint: str,
    invoked_arn: str | None = None,
    client_context: dict | None = None,
) -> InvocationResult:
    """Run ``spec``'s handler once on ``event`` (JSON bytes) and return what Lambda would.

    Raises ``Throttled`` when the function's reserved concurrency is used up.
    """
    request_id = _request_id()
    worker = POOL.acquire(
        spec.worker_key(endpoint),
        spec.group,
        spec.reserved_concurrency,
        lambda: _start_worker(spec, endpoint),
    )
    reply = None
    try:
        invocation = {
            "request_id": request_id,
            "invoked_function_arn": invoked_arn or spec.arn,
            "deadline_ms": int((time.time() + spec.timeout_s) * 1000),
            "client_context": client_context,
        }
        started = time.monotonic()
        reply = worker.init_failure or worker.invoke(invocation, event or b"{}", spec.timeout_s)
        reply.duration_ms = reply.duration_ms or (time.monotonic() - started) * 1000
        init_ms = worker.init_ms if worker.invocations <= 1 else None
    finally:
        healthy = reply is not None and reply.kind in ("ok", "error")
        POOL.release(worker, reusable=healthy and worker.init_failure is None)
    return _result(spec, request_id, reply, init_ms, worker.log_stream)


def _request_id() -> str:
    """A random UUID, made without a system call (``uuid4`` reads the OS's random source, and
    every system call lets other threads take the GIL)."""
    return str(uuid.UUID(int=random.getrandbits(128), version=4))


def _start_worker(spec: FunctionSpec, endpoint: str) -> Worker:
    """A new execution environment for ``spec``, its init phase done."""
    stream = log_stream_name(str(spec.version))
    code_dir = CODE.acquire(spec.group, spec.digest, spec.code_zip)
    worker = Worker(
        spec.worker_key(endpoint),
        spec.group,
        stream,
        memory_mb=spec.memory_mb,
        on_stop=lambda: CODE.release(code_dir),
    )
    env = lambda_environment(spec, stream, endpoint, code_dir)
    try:
        worker.start(str(code_dir), env, INIT_TIMEOUT_S + spec.timeout_s)
    except BaseException:
        worker.stop()
        worker.close_log()
        raise
    return worker


def retire(function_arn: str | None = None) -> None:
    """Stop the execution environments of a function (of every function if ``None``): after an
    update, a deletion or a reset, no invocation may meet the old code or configuration."""
    POOL.retire(None if function_arn is None else unqualified(function_arn))


def remove(function_arn: str | None = None) -> None:
    """A function was deleted (every function, if ``None``: a reset): stop its execution
    environments and remove its code from disk."""
    retire(function_arn)
    CODE.forget(None if function_arn is None else unqualified(function_arn))


def unqualified(function_arn: str) -> str:
    """``arn:aws:lambda:REGION:ACCOUNT:function:NAME``, without a ``:VERSION`` or ``:ALIAS``."""
    return ":".join(function_arn.split(":")[:7])


def _result(
    spec: FunctionSpec, request_id: str, reply: Reply, init_ms: float | None, stream: str
) -> InvocationResult:
    payload, function_error, error_lines, status = _outcome(spec, request_id, reply)
    log_lines = [
        f"START RequestId: {request_id} Version: {spec.version}",
        *reply.output.splitlines(),
        *error_lines,
        f"END RequestId: {request_id}",
        _report_line(spec, request_id, reply, init_ms, status),
    ]
    return InvocationResult(
        request_id, payload, function_error, log_lines, stream, reply.duration_ms or 0.0
    )


def _outcome(spec: FunctionSpec, request_id: str, reply: Reply):
    """(payload, FunctionError, lines the platform adds to the log, REPORT status)."""
    if reply.kind == "ok":
        return reply.payload, None, [], None
    if reply.kind == "error":
        return reply.payload, "Unhandled", [], None
    if reply.kind == "timeout":
        seconds = f"{spec.timeout_s:.2f}"
        message = f"RequestId: {request_id} Error: Task timed out after {seconds} seconds"
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        error = {"errorType": "Sandbox.Timedout", "errorMessage": message}
        log = [f"{now} {request_id} Task timed out after {seconds} seconds"]
        return json.dumps(error).encode(), "Unhandled", log, "timeout"
    # Lambda kills a runtime that runs out of memory: its error says how it ended.
    how = "signal: killed" if reply.kind == "oom" else _exit(reply)
    error_type = "Runtime.OutOfMemory" if reply.kind == "oom" else "Runtime.ExitError"
    message = f"RequestId: {request_id} Error: Runtime exited with error: {how}"
    error = {"errorType": error_type, "errorMessage": message}
    log = [message, error_type]
    return json.dumps(error).encode(), "Unhandled", log, f"error\tError Type: {error_type}"


def _exit(reply: Reply) -> str:
    """How the runtime process ended, worded as Lambda words it: ``exit status 3``,
    ``signal: killed``."""
    status = reply.exit_status or 0
    if status >= 0:
        return f"exit status {status}"
    name = signal.strsignal(-status) or f"signal {-status}"
    return f"signal: {name.lower()}"


def _report_line(
    spec: FunctionSpec, request_id: str, reply: Reply, init_ms: float | None, status: str | None
) -> str:
    """Lambda's REPORT line; billed time includes the init phase, as Lambda bills it since
    August 2025."""
    billed = math.ceil(round(reply.duration_ms, 2) + round(init_ms or 0.0, 2))  # as printed
    line = (
        f"REPORT RequestId: {request_id}\tDuration: {reply.duration_ms:.2f} ms\t"
        f"Billed Duration: {max(1, billed)} ms\tMemory Size: {spec.memory_mb} MB\t"
        f"Max Memory Used: {reply.max_memory_mb} MB"
    )
    if init_ms is not None:
        line += f"\tInit Duration: {init_ms:.2f} ms"
    if status:
        line += f"\tStatus: {status}"
    return line
