"""Run real Lambda handler code on the local target.

moto without Docker only echoes an invocation's input back. This runtime unpacks the uploaded
deployment package once, then runs the handler in a fresh Python process per invocation (see
``lambda_bootstrap``), with Lambda's environment variables, a context object, a timeout, and logs
written the way Lambda writes them (``START``, your output, ``END``, ``REPORT``).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from sfn_tutorial.emulator import lambda_bootstrap

LOG_TAIL_BYTES = 4096
CODE_CACHE = Path(tempfile.gettempdir()) / "sfn-tutorial-lambda-code"


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


@dataclass
class InvocationResult:
    """The outcome of one invocation, in the shape Lambda's Invoke API reports it."""

    request_id: str
    payload: bytes
    function_error: str | None
    log_lines: list[str]
    log_stream_name: str

    @property
    def log_tail(self) -> str:
        """The last 4 KB of the log, base64-encoded, as ``LogType="Tail"`` returns it."""
        text = "\n".join(self.log_lines).encode()[-LOG_TAIL_BYTES:]
        return base64.b64encode(text).decode()


def unpack_code(code_zip: bytes) -> Path:
    """Extract a deployment package once, into a folder named by its SHA-256."""
    digest = hashlib.sha256(code_zip).hexdigest()[:32]
    target = CODE_CACHE / digest
    if not target.exists():
        partial = Path(tempfile.mkdtemp(dir=CODE_CACHE.parent if CODE_CACHE.exists() else None))
        with zipfile.ZipFile(io.BytesIO(code_zip)) as archive:
            archive.extractall(partial)
        CODE_CACHE.mkdir(parents=True, exist_ok=True)
        try:
            partial.rename(target)
        except OSError:  # another invocation unpacked it first
            pass
    return target


def log_stream_name(version: str, request_id: str) -> str:
    """A log stream name in Lambda's format: ``YYYY/MM/DD/[version]hex``."""
    return time.strftime("%Y/%m/%d/", time.gmtime()) + f"[{version}]{request_id.replace('-', '')}"


def lambda_environment(spec: FunctionSpec, request_id: str, stream: str, endpoint: str) -> dict:
    """The environment a handler sees: the function's variables plus Lambda's own."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
        "_HANDLER": spec.handler,
        "AWS_REGION": spec.region,
        "AWS_DEFAULT_REGION": spec.region,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(spec.timeout_s),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": stream,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_ENDPOINT_URL": endpoint,
        "_SFN_TUTORIAL_REQUEST_ID": request_id,
        "_SFN_TUTORIAL_FUNCTION_ARN": spec.arn,
    }
    env.update({str(k): str(v) for k, v in spec.environment.items()})
    return env


def invoke(spec: FunctionSpec, event: bytes, endpoint: str) -> InvocationResult:
    """Run ``spec``'s handler once on ``event`` (JSON bytes) and return what Lambda would."""
    request_id = str(uuid.uuid4())
    stream = log_stream_name(spec.version, request_id)
    code_dir = unpack_code(spec.code_zip)
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "sfn_tutorial.emulator.lambda_bootstrap"],
        cwd=code_dir,
        env=lambda_environment(spec, request_id, stream, endpoint),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        out, err = process.communicate(event, timeout=spec.timeout_s + _startup_allowance())
        report = _parse_report(out, process.returncode, request_id)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        report = _timeout_report(spec, request_id)
    elapsed_ms = (time.monotonic() - started) * 1000
    log_lines = _log_lines(spec, request_id, err.decode(errors="replace"), report, elapsed_ms)
    if "error" in report:
        return InvocationResult(
            request_id, json.dumps(report["error"]).encode(), "Unhandled", log_lines, stream
        )
    return InvocationResult(request_id, report["payload"].encode(), None, log_lines, stream)


def _startup_allowance() -> float:
    """Seconds allowed for starting Python and running the module's top-level code (Lambda
    gives that "init" phase its own 10 s), on top of the handler's timeout."""
    return 10.0


def _parse_report(out: bytes, returncode: int, request_id: str) -> dict:
    lines = out.decode(errors="replace").strip().splitlines()
    if returncode == 0 and lines:
        return json.loads(lines[-1])
    message = f"RequestId: {request_id} Error: Runtime exited with error: exit status {returncode}"
    if returncode < 0:
        message = f"RequestId: {request_id} Error: Runtime exited with error: signal {-returncode}"
    return {"error": {"errorType": "Runtime.ExitError", "errorMessage": message}}


def _timeout_report(spec: FunctionSpec, request_id: str) -> dict:
    """The parent's backstop, for a child that neither finished nor stopped itself in time."""
    error = lambda_bootstrap.timeout_error(request_id, spec.timeout_s)
    return {"error": error, "duration_ms": spec.timeout_s * 1000, "log": error["errorMessage"]}


def _log_lines(
    spec: FunctionSpec, request_id: str, output: str, report: dict, elapsed_ms: float
) -> list[str]:
    """START, the handler's output, END and REPORT, as Lambda writes them to CloudWatch Logs."""
    duration = report.get("duration_ms", elapsed_ms)
    report_line = (
        f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
        f"Billed Duration: {max(1, int(duration + 0.999))} ms\t"
        f"Memory Size: {spec.memory_mb} MB\tMax Memory Used: {report.get('max_rss_mb', 0)} MB"
    )
    if report.get("init_ms"):
        report_line += f"\tInit Duration: {report['init_ms']:.2f} ms"
    if report.get("log"):
        output += report["log"] + "\n"
    return [
        f"START RequestId: {request_id} Version: {spec.version}",
        *output.splitlines(),
        f"END RequestId: {request_id}",
        report_line,
    ]
