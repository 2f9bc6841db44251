"""The emulator's own process: start it, check its health, stop it.

One emulator serves every notebook and survives kernel restarts: it runs as a separate process
bound to 127.0.0.1, on ``SFN_TUTORIAL_PORT`` (default 4599). ``ensure_running()`` reuses the one
that answers on that port or starts a new one; ``stop()`` ends it. Run this module directly
(``python -m sfn_tutorial.emulator.server``) to serve in the foreground.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

DEFAULT_PORT = 4599
HEALTH_PATH = "/_tutorial/health"
SERVICE_NAME = "sfn-tutorial-emulator"
START_TIMEOUT_S = 60
# The HTTP server is waitress, not werkzeug's development server: waitress keeps connections
# alive (werkzeug closes each one, so every boto3 call paid for a new TCP connection and a new
# thread) and halves the emulator's CPU time per request. Its threads are a fixed pool; requests
# beyond it wait in a queue. Requests that wait a long time (a Lambda invoke runs as long as its
# handler, StartSyncExecution as long as the execution, a handler may call the emulator back)
# each hold a thread, so the pool is generous.
REQUEST_THREADS = 64
IDLE_CONNECTION_TIMEOUT_S = 900


class EmulatorError(RuntimeError):
    """The local emulator could not be started or reached; the message says what to do."""


def port() -> int:
    """The emulator's port: ``SFN_TUTORIAL_PORT`` if set, else 4599."""
    value = os.environ.get("SFN_TUTORIAL_PORT", str(DEFAULT_PORT))
    try:
        return int(value)
    except ValueError:
        raise EmulatorError(f"SFN_TUTORIAL_PORT must be a port number, not {value!r}.") from None


def endpoint_url(port_number: int | None = None) -> str:
    """The URL that boto3 clients use to reach the emulator."""
    return f"http://127.0.0.1:{port_number or port()}"


def log_path(port_number: int) -> Path:
    """Where the emulator process writes its log."""
    return Path(tempfile.gettempdir()) / f"sfn-tutorial-emulator-{port_number}.log"


def health(port_number: int | None = None, timeout: float = 2.0) -> dict | None:
    """The emulator's health report, or ``None`` if no emulator answers on the port."""
    url = endpoint_url(port_number) + HEALTH_PATH
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            report = json.loads(response.read())
    except (OSError, ValueError):
        return None
    return report if report.get("service") == SERVICE_NAME else None


def _port_is_taken(port_number: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port_number))
        except OSError:
            return True
    return False


def ensure_running(progress=print) -> dict:
    """Reuse the emulator on the configured port, or start one and wait until it is healthy."""
    port_number = port()
    report = health(port_number)
    if report:
        return report
    if _port_is_taken(port_number):
        raise EmulatorError(
            f"Port {port_number} on 127.0.0.1 is used by another program, not the tutorial's "
            f"emulator. Stop that program, or choose another port for the emulator, e.g. "
            f"`export SFN_TUTORIAL_PORT={port_number + 1}` before starting JupyterLab."
        )
    progress(f"Starting the local AWS emulator on 127.0.0.1:{port_number} ...")
    log = log_path(port_number)
    with open(log, "ab") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "sfn_tutorial.emulator.server", "--port", str(port_number)],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # outlives the kernel that started it
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        report = health(port_number, timeout=0.5)
        if report:
            return report
        if process.poll() is not None:
            raise EmulatorError(
                f"The local AWS emulator stopped while starting (exit code {process.returncode}). "
                f"Its log is {log}:\n{_tail(log)}"
            )
        time.sleep(0.05)
    process.kill()
    raise EmulatorError(
        f"The local AWS emulator did not answer within {START_TIMEOUT_S} s. See {log}."
    )


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def stop(port_number: int | None = None, timeout: float = 10.0) -> bool:
    """Stop the emulator on the port; ``True`` if one was running. Its resources are gone."""
    port_number = port_number or port()
    report = health(port_number)
    if not report:
        return False
    os.kill(report["pid"], signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and health(port_number, timeout=0.5):
        time.sleep(0.1)
    return True


def _health_middleware(app, report: dict, routes: dict | None = None):
    """Answer ``HEALTH_PATH`` ourselves; send paths under a prefix in ``routes`` to its WSGI
    app (deployed APIs' invoke URLs, the schedule clock); pass every other request to moto."""

    def middleware(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == HEALTH_PATH:
            body = json.dumps(report).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        for prefix, handler in (routes or {}).items():
            if path.startswith(prefix):
                return handler(environ, start_response)
        return app(environ, start_response)

    return middleware


def serve(port_number: int) -> None:
    """Run the emulator in this process until it is interrupted or terminated."""
    from sfn_tutorial.emulator import fixes

    fixes.apply(port_number)  # before moto's backends are first used

    import moto
    import waitress
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    report = {
        "service": SERVICE_NAME,
        "pid": os.getpid(),
        "port": port_number,
        "moto": moto.__version__,
        "region": fixes.DEFAULT_REGION,
    }
    from sfn_tutorial.emulator.apigateway import execute_api
    from sfn_tutorial.emulator.events import rules

    routes = {
        execute_api.INVOKE_PREFIX: execute_api.invoke_app,
        rules.CLOCK_PATH: rules.clock_app,
    }
    app = _health_middleware(DomainDispatcherApplication(create_backend_app), report, routes)
    print(f"{SERVICE_NAME} (moto {moto.__version__}) on 127.0.0.1:{port_number}", flush=True)
    waitress.serve(
        app,
        host="127.0.0.1",
        port=port_number,
        threads=REQUEST_THREADS,
        channel_timeout=IDLE_CONNECTION_TIMEOUT_S,
        ident=SERVICE_NAME,
        _quiet=True,  # no "Serving on" banner: the line above says it
    )


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m sfn_tutorial.emulator.server [--port N] [--stop]``."""
    parser = argparse.ArgumentParser(description="The tutorial's local AWS emulator.")
    parser.add_argument(
        "--port", type=int, default=None, help="default: $SFN_TUTORIAL_PORT or 4599"
    )
    parser.add_argument("--stop", action="store_true", help="stop the emulator on that port")
    args = parser.parse_args(argv)
    port_number = args.port or port()
    if args.stop:
        print("stopped" if stop(port_number) else f"no emulator on port {port_number}")
        return
    serve(port_number)


if __name__ == "__main__":
    main()
