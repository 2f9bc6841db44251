"""The child side of the local Lambda runtime: load a handler, call it once, report back.

Run as ``python -m sfn_tutorial.emulator.lambda_bootstrap`` with the function's code folder as the
working directory. The event arrives on stdin. Everything the handler prints goes to stderr, which
the parent turns into the function's log; the one JSON result line goes to the original stdout.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
import time
import traceback


class LambdaContext:
    """The ``context`` argument Lambda passes to a Python handler."""

    def __init__(self, deadline: float) -> None:
        self._deadline = deadline
        self.aws_request_id = os.environ["_SFN_TUTORIAL_REQUEST_ID"]
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.invoked_function_arn = os.environ["_SFN_TUTORIAL_FUNCTION_ARN"]
        self.memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = None
        self.client_context = None

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function times out, as Lambda reports it."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _error(error_type: str, message: str, stack: list[str] | None = None) -> dict:
    body = {"errorMessage": message, "errorType": error_type, "requestId": ""}
    body["requestId"] = os.environ["_SFN_TUTORIAL_REQUEST_ID"]
    body["stackTrace"] = stack or []
    return body


def _log_error(body: dict, tb_text: str = "") -> None:
    """Write the runtime's ``[ERROR]`` line the way the Python runtime logs it."""
    print(f"[ERROR] {body['errorType']}: {body['errorMessage']}", file=sys.stderr)
    if tb_text:
        print(tb_text.rstrip(), file=sys.stderr)


def _load_handler(handler: str):
    module_name, _, function_name = handler.rpartition(".")
    if not module_name:
        raise _Failure(
            "Runtime.MalformedHandlerName",
            f"Bad handler '{handler}': not enough values to unpack (expected 2, got 1)",
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except SyntaxError as exc:
        raise _Failure(
            "Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}"
        ) from exc
    except Exception as exc:  # ImportError, or an error in the module's top-level code
        raise _Failure(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}"
        ) from exc
    function = getattr(module, function_name, None)
    if function is None:
        raise _Failure(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        )
    return function


class _Failure(Exception):
    def __init__(self, error_type: str, message: str, tb_lines: list[str] | None = None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.tb_lines = tb_lines or []


def _user_stack(exc: BaseException) -> list[str]:
    """Stack frames from the user's code only, formatted like the Python runtime's stackTrace."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
    code_dir = os.getcwd()
    for frame in frames:  # shown as Lambda shows them: the code lives in /var/task
        if frame.filename.startswith(code_dir):
            frame.filename = "/var/task" + frame.filename[len(code_dir) :]
    return traceback.format_list(frames)


def _peak_memory_mb() -> int:
    """This process's peak resident memory (``VmHWM``; ``ru_maxrss`` survives exec on Linux)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def timeout_error(request_id: str, timeout: float) -> dict:
    """The error Lambda reports when a handler runs past the function's timeout."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z"
    message = f"{now} {request_id} Task timed out after {timeout:.2f} seconds"
    return {"errorType": "Sandbox.Timedout", "errorMessage": message}


def _stop_on_timeout(result_out, report: dict, timeout: float) -> None:
    """Lambda stops the handler at the deadline, whatever it is doing: report and exit now."""
    error = timeout_error(os.environ["_SFN_TUTORIAL_REQUEST_ID"], timeout)
    print(error["errorMessage"], file=sys.stderr, flush=True)
    report.update(error=error, duration_ms=timeout * 1000, max_rss_mb=_peak_memory_mb())
    result_out.write(json.dumps(report) + "\n")
    result_out.flush()
    os._exit(0)


def main() -> int:
    result_out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # the handler's prints become log lines
    sys.stdout = sys.stderr
    timeout = float(os.environ["AWS_LAMBDA_FUNCTION_TIMEOUT"])
    started = time.monotonic()
    sys.path.insert(0, os.getcwd())
    report: dict = {"init_ms": 0.0}
    try:
        handler = _load_handler(os.environ["_HANDLER"])
        report["init_ms"] = (time.monotonic() - started) * 1000
        event = json.loads(sys.stdin.read() or "{}")
        context = LambdaContext(time.monotonic() + timeout)
        invoke_started = time.monotonic()
        watchdog = threading.Timer(timeout, _stop_on_timeout, (result_out, report, timeout))
        watchdog.daemon = True
        watchdog.start()
        try:
            value = handler(event, context)
        except Exception as exc:
            body = _error(type(exc).__name__, str(exc), _user_stack(exc))
            _log_error(body, "".join(["Traceback (most recent call last):\n", *body["stackTrace"]]))
            report.update(error=body)
        else:
            try:
                report["payload"] = json.dumps(value)
            except (TypeError, ValueError) as exc:
                body = _error("Runtime.MarshalError", f"Unable to marshal response: {exc}")
                _log_error(body)
                report.update(error=body)
        watchdog.cancel()
        report["duration_ms"] = (time.monotonic() - invoke_started) * 1000
    except _Failure as failure:
        body = _error(failure.error_type, failure.message, failure.tb_lines)
        _log_error(body)
        report.update(error=body, duration_ms=0.0)
    sys.stderr.flush()
    report["max_rss_mb"] = _peak_memory_mb()
    result_out.write(json.dumps(report) + "\n")
    result_out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
