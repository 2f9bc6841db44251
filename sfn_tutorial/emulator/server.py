"""The emulator's own process: start it, check its health, stop it, route its requests.

One emulator per user serves every notebook and survives kernel restarts: it runs as a separate
process bound to 127.0.0.1, on port 4599 (or the next free one, when another user's emulator
has it), or on ``SFN_TUTORIAL_PORT`` when that is set. ``ensure_running()`` finds the user's
emulator through its private record (``instances``), replaces it if it runs other code, or
starts one; ``stop()`` ends it. Only requests signed with the emulator's credentials are
served (``auth``).

The process starts with a clean environment: none of the learner's AWS credentials, profiles
or other secrets reach it, nor the Lambda handlers it runs.

Command line: ``python -m sfn_tutorial.emulator.server [--stop | --env [--account-like]]``;
``--env`` prints the ``export`` lines that point the AWS CLI at the emulator; ``--account-like``
starts it as the stand-in for a fresh AWS account (``account_like``), for tests of the aws path.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from sfn_tutorial.emulator import account_like, auth, instances, last_words
from sfn_tutorial.i18n import t

DEFAULT_PORT = 4599
PORTS_TO_TRY = 100  # 4599 to 4698: each user of a shared machine gets one
HEALTH_PATH = "/_tutorial/health"
SERVICE_NAME = "sfn-tutorial-emulator"
DEFAULT_REGION = "ap-northeast-2"
START_TIMEOUT_S = 60
# The HTTP server is waitress, not werkzeug's development server: waitress keeps connections
# alive (werkzeug closes each one, so every boto3 call paid for a new TCP connection and a new
# thread) and halves the emulator's CPU time per request. Its threads are a fixed pool; requests
# beyond it wait in a queue. Requests that wait a long time (a Lambda invoke runs as long as its
# handler, StartSyncExecution as long as the execution, a handler may call the emulator back)
# each hold a thread, so the pool is generous.
REQUEST_THREADS = int(os.environ.get("SFN_TUTORIAL_REQUEST_THREADS", "64"))
IDLE_CONNECTION_TIMEOUT_S = 900
# What the emulator keeps of the environment it is started from: nothing that holds a secret.
KEPT_VARIABLES = {"PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR"}
KEPT_PREFIXES = ("LC_", "PYTHON", "SFN_TUTORIAL_", "OPENBLAS_", "VIRTUAL_ENV")


class EmulatorError(RuntimeError):
    """The local emulator could not be started or reached; the message says what to do."""


def requested_port() -> int | None:
    """The port chosen with ``SFN_TUTORIAL_PORT``, or ``None`` for the user's default."""
    value = os.environ.get("SFN_TUTORIAL_PORT")
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise EmulatorError(f"SFN_TUTORIAL_PORT must be a port number, not {value!r}.") from None


def endpoint_url(port_number: int) -> str:
    """The URL that boto3 clients use to reach the emulator on ``port_number``."""
    return f"http://127.0.0.1:{port_number}"


def log_path(port_number: int) -> Path:
    """Where the emulator process writes its log (in the user's private folder)."""
    return instances.state_dir() / f"emulator-{port_number}.log"


def health_socket(port_number: int) -> Path:
    """The emulator's own health channel: a Unix socket in the user's private folder. It is
    served by a thread of its own, so it answers even when every request thread is busy."""
    return instances.state_dir() / f"emulator-{port_number}.sock"


def socket_health(port_number: int, timeout: float = 2.0) -> dict | None:
    """The health report from the emulator's health socket, or ``None`` without an answer."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as channel:
            channel.settimeout(timeout)
            channel.connect(str(health_socket(port_number)))
            report = json.loads(channel.makefile("rb").read())
    except (OSError, ValueError):
        return None
    return report if report.get("service") == SERVICE_NAME else None


def health(port_number: int, timeout: float = 2.0) -> dict | None:
    """The emulator's health report over HTTP, or ``None`` if no emulator answers on the port
    (or every request thread is busy: ``socket_health`` answers then too)."""
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


def running() -> instances.Record | None:
    """The record of the user's emulator (on ``SFN_TUTORIAL_PORT`` if set) if it is running."""
    record = instances.read(instances.record_path(requested_port()))
    if record and instances.is_users_emulator(record.pid, record.port):
        return record
    return None


def ensure_running(progress=print) -> dict:
    """Find the user's emulator, or start one, and wait until it is healthy.

    Returns its record as a dict (``port``, ``pid``, ``instance_id``, credentials...) with
    ``moto``'s version and ``replaced``: why an older emulator was replaced, if one was.
    """
    with instances.locked():
        path = instances.record_path(requested_port())
        record, replaced = instances.read(path), None
        if record and instances.is_users_emulator(record.pid, record.port):
            report = socket_health(record.port) or health(record.port)
            if report is None or report.get("instance_id") != record.instance_id:
                # no answer, yet the process and its port are verified to be the user's own
                return {**vars(record), "moto": None, "replaced": None}
            same_mode = bool(report.get("account_like")) == account_like.enabled()
            if report.get("fingerprint") == instances.fingerprint() and same_mode:
                return {**vars(record), "moto": report.get("moto"), "replaced": None}
            replaced = (
                t(
                    "The running emulator was started from another version of this project, so "
                    "it was replaced; the resources it held are gone."
                )
                if same_mode
                else t(
                    "The running emulator was started in another mode (account-like or not), "
                    "so it was replaced; the resources it held are gone."
                )
            )
            progress(replaced)
            _terminate(record)
        instances.forget(path)
        record = _start(path, _choose_port(), progress)
        return {**vars(record), "moto": socket_health(record.port)["moto"], "replaced": replaced}


def _choose_port() -> int:
    chosen = requested_port()
    if chosen is not None:
        if _port_is_taken(chosen):
            raise EmulatorError(
                f"Port {chosen} on 127.0.0.1 is used by another program, not your tutorial "
                f"emulator. Stop that program, or choose another port for the emulator, e.g. "
                f"`export SFN_TUTORIAL_PORT={chosen + 1}` before starting JupyterLab."
            )
        return chosen
    for candidate in range(DEFAULT_PORT, DEFAULT_PORT + PORTS_TO_TRY):
        if not _port_is_taken(candidate):
            return candidate
    raise EmulatorError(
        f"Ports {DEFAULT_PORT} to {DEFAULT_PORT + PORTS_TO_TRY - 1} are all taken. Choose a free "
        "port for the emulator with `export SFN_TUTORIAL_PORT=...` before starting JupyterLab."
    )


def clean_environment() -> dict[str, str]:
    """The environment the emulator starts with: the learner's, less every AWS setting and
    anything else that may hold a secret; AWS's configuration files are out of reach too."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if name in KEPT_VARIABLES or name.startswith(KEPT_PREFIXES)
    }
    kept.update(
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        MOTO_DISABLE_GLOBAL_CORS="true",  # no Access-Control-Allow-Origin for other web pages
        # glibc gives each thread that allocates an arena of its own, up to 8 per core; the
        # emulator's request and execution threads come and go, and their half-empty arenas
        # kept 40 MB more resident after notebooks 00-11 than two arenas do.
        MALLOC_ARENA_MAX="2",
        MOTO_EC2_LOAD_DEFAULT_AMIS="false",  # no machine images: nothing here starts instances
    )
    return kept


def _start(path: Path, port_number: int, progress) -> instances.Record:
    progress(t("Starting the local AWS emulator on 127.0.0.1:{port} ...", port=port_number))
    credentials = auth.Credentials.generate()
    instance_id = uuid.uuid4().hex
    log = log_path(port_number)
    with open(log, "ab") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "sfn_tutorial.emulator.server", "--port", str(port_number)],
            stdin=subprocess.PIPE,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=clean_environment(),
            start_new_session=True,  # outlives the kernel that started it
        )
    secrets = {
        **vars(credentials),
        "instance_id": instance_id,
        "health_socket": str(health_socket(port_number)),
    }
    process.stdin.write(json.dumps(secrets).encode())  # not in argv or environ: others see those
    process.stdin.close()
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        report = socket_health(port_number, timeout=0.5)
        if report and report.get("instance_id") == instance_id:
            record = instances.Record(
                port=port_number,
                pid=process.pid,
                fingerprint=report["fingerprint"],
                instance_id=instance_id,
                access_key_id=credentials.access_key_id,
                secret_access_key=credentials.secret_access_key,
            )
            instances.write(path, record)
            return record
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


def unreachable(port_number: int, pid: int | None, error: object) -> str:
    """What to tell the learner when the emulator on ``port_number`` did not answer: whether
    its process still runs, and where its log, which says why it stopped or refused the
    connection, is (with its last lines)."""
    log = log_path(port_number)
    url = endpoint_url(port_number)
    if pid is not None and instances.is_users_emulator(pid, port_number):
        state = f"is running (process {pid}) but did not answer on {url}"
    else:
        state = f"on {url} has stopped"
    return (
        f"The local AWS emulator {state}: {error}\n"
        f"Its log says why it stopped or refused the connection: {log}\n{_tail(log)}\n"
        "If this lasts, run `make emulator-stop` (or `python -m sfn_tutorial.emulator.server "
        "--stop`), then helpers.connect() again: it starts a fresh emulator (what the old one "
        "held is gone)."
    )


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def stop(timeout: float = 10.0) -> bool:
    """Stop the user's emulator (on ``SFN_TUTORIAL_PORT`` if set); ``True`` if one was running.
    Only a process verified to be the user's own emulator is signalled. Its resources are gone."""
    path = instances.record_path(requested_port())
    record = instances.read(path)
    instances.forget(path)
    if not record or not instances.is_users_emulator(record.pid, record.port):
        return False
    _terminate(record, timeout)
    return True


def _terminate(record: instances.Record, timeout: float = 10.0) -> None:
    os.kill(record.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and instances.is_users_emulator(record.pid, record.port):
        time.sleep(0.05)
    health_socket(record.port).unlink(missing_ok=True)


def request(path: str, body: bytes = b"", method: str = "POST") -> bytes:
    """Send a signed request to the user's running emulator's own endpoint, such as
    ``/moto-api/reset`` (forget everything) or the emulator's clock; return the answer's body."""
    record = running()
    if record is None:
        raise EmulatorError("The local emulator is not running: run helpers.connect() first.")
    url = endpoint_url(record.port) + path
    credentials = auth.Credentials(record.access_key_id, record.secret_access_key)
    headers = auth.sign(credentials, method, url, body, {"Content-Type": "application/json"})
    call = urllib.request.Request(url, data=body or None, method=method, headers=headers)
    with urllib.request.urlopen(call, timeout=60) as response:
        return response.read()


def export_lines(record: instances.Record) -> str:
    """Shell lines that point the AWS CLI (and any boto3 program) at the emulator."""
    return "\n".join(
        [
            f"export AWS_ENDPOINT_URL={endpoint_url(record.port)}",
            f"export AWS_ACCESS_KEY_ID={record.access_key_id}",
            f"export AWS_SECRET_ACCESS_KEY={record.secret_access_key}",
            f"export AWS_DEFAULT_REGION={DEFAULT_REGION}",
            "export AWS_DISABLE_HOST_PREFIX_INJECTION=true",
            "unset AWS_PROFILE AWS_SESSION_TOKEN",
        ]
    )


# ---------------------------------------------------------------- the emulator process


def _routes(app, report: dict, routes: dict):
    """Answer ``HEALTH_PATH`` ourselves; send paths under a prefix in ``routes`` to its WSGI
    app (deployed APIs' invoke URLs, the emulator's clock); pass every other request to moto."""
    body = json.dumps(report).encode()

    def middleware(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == HEALTH_PATH:
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        for prefix, handler in routes.items():
            if path.startswith(prefix):
                return handler(environ, start_response)
        return app(environ, start_response)

    return middleware


def _serve_health_socket(path: Path, report: dict) -> None:
    """Answer ``report`` on the Unix socket ``path`` (mode 0600), from a thread of its own."""
    import socketserver
    import threading

    body = json.dumps(report).encode()

    class Answer(socketserver.StreamRequestHandler):
        def handle(self):
            self.wfile.write(body)

    path.unlink(missing_ok=True)
    listener = socketserver.ThreadingUnixStreamServer(str(path), Answer)
    os.chmod(path, 0o600)
    threading.Thread(target=listener.serve_forever, daemon=True).start()


def serve(port_number: int, secrets: dict) -> None:
    """Run the emulator in this process until it is interrupted or terminated, serving only
    requests signed with the credentials in ``secrets``."""
    last_words.install(sys.stderr, _tail(log_path(port_number), 200))  # it says why it stops
    credentials = auth.Credentials(secrets["access_key_id"], secrets["secret_access_key"])
    auth.serve_with(credentials)
    from sfn_tutorial.emulator import fixes

    fixes.apply(port_number)  # before moto's backends are first used

    import moto
    import waitress
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from sfn_tutorial.emulator import clock
    from sfn_tutorial.emulator.apigateway import execute_api
    from sfn_tutorial.emulator.iam import authorization

    report = {
        "service": SERVICE_NAME,
        "pid": os.getpid(),
        "port": port_number,
        "moto": moto.__version__,
        "region": DEFAULT_REGION,
        "fingerprint": instances.fingerprint(),
        "instance_id": secrets["instance_id"],
        "account_like": account_like.enabled(),
    }
    routes = {
        execute_api.INVOKE_PREFIX: execute_api.invoke_app,
        clock.CLOCK_PATH: clock.clock_app,
        account_like.COUNTS_PATH: account_like.counts_app,
    }
    _serve_health_socket(Path(secrets["health_socket"]), report)
    moto_app = DomainDispatcherApplication(create_backend_app)
    if account_like.enabled():
        moto_app = account_like.middleware(moto_app)
    app = _routes(moto_app, report, routes)
    open_prefixes = (HEALTH_PATH, execute_api.INVOKE_PREFIX)
    app = auth.guard(app, credentials, port_number, open_prefixes, authorization)
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
    """Command line: ``python -m sfn_tutorial.emulator.server [--stop | --env]``."""
    parser = argparse.ArgumentParser(description="The tutorial's local AWS emulator.")
    parser.add_argument("--port", type=int, help="serve on this port (the emulator process)")
    parser.add_argument("--stop", action="store_true", help="stop your emulator")
    parser.add_argument(
        "--env", action="store_true", help="print export lines for the AWS CLI (starts it)"
    )
    parser.add_argument(
        "--account-like",
        action="store_true",
        help="with --env: start the account-like stand-in for tests of the aws target "
        "(role delays, Pending functions, throttling; see account_like)",
    )
    args = parser.parse_args(argv)
    if args.account_like:
        os.environ[account_like.ENABLED_VARIABLE] = "1"
    if args.stop:
        print("stopped" if stop() else "no emulator of yours was running")
    elif args.env:
        record = ensure_running(progress=lambda message: print(f"# {message}"))
        print(export_lines(instances.Record(**{f: record[f] for f in _RECORD_FIELDS})))
    elif args.port:
        serve(args.port, json.loads(sys.stdin.read()))
    else:
        parser.error("give --stop, --env, or --port (the emulator process itself)")


_RECORD_FIELDS = tuple(instances.Record.__dataclass_fields__)


if __name__ == "__main__":
    main()
