"""The emulator's log says why it stopped or did not answer (``emulator/last_words.py``), and
``connect()`` points the learner to that log when the emulator does not answer.

The hooks are tested in a small Python process of their own, as the emulator installs them in
its; then on a real emulator process, and ``target.connect`` with an emulator that is gone.
"""

import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sfn_tutorial import target
from sfn_tutorial.emulator import last_words, server

ROOT = Path(__file__).resolve().parents[1]


def run_python(body: str, previous_log: str = "", until_ready=None) -> subprocess.CompletedProcess:
    """Run ``body`` in a new Python process that installed the hooks on its standard error."""
    program = textwrap.dedent(
        f"""
        import sys
        from sfn_tutorial.emulator import last_words
        last_words.install(sys.stderr, {previous_log!r})
        """
    ) + textwrap.dedent(body)
    process = subprocess.Popen(
        [sys.executable, "-c", program],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if until_ready is not None:
        assert process.stdout.readline().strip() == "ready"
        until_ready(process)
    stdout, stderr = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_an_uncaught_exception_in_a_thread_is_logged_with_the_thread():
    done = run_python(
        """
        import threading
        worker = threading.Thread(target=lambda: 1 / 0, name="map-child-7")
        worker.start()
        worker.join()
        """
    )
    assert "uncaught exception in thread map-child-7" in done.stderr
    assert "ZeroDivisionError" in done.stderr
    assert "ended: its main thread returned" in done.stderr


def test_an_uncaught_exception_in_the_main_thread_is_logged_as_why_it_ended():
    done = run_python("raise ValueError('no such port')")
    assert done.returncode == 1
    assert "uncaught exception in the main thread" in done.stderr
    assert "ValueError: no such port" in done.stderr
    assert "ended: uncaught ValueError in the main thread" in done.stderr


def test_sigterm_is_logged_and_the_process_ends():
    done = run_python(
        """
        import time
        print("ready", flush=True)
        time.sleep(120)
        """,
        until_ready=lambda process: process.send_signal(signal.SIGTERM),
    )
    assert done.returncode == 0
    assert "stopping: SIGTERM received" in done.stderr
    assert "ended: SIGTERM received" in done.stderr


def test_a_fatal_signal_writes_every_threads_stack():
    done = run_python(
        """
        import faulthandler
        faulthandler._sigsegv()
        """
    )
    assert done.returncode == -signal.SIGSEGV
    assert "Fatal Python error: Segmentation fault" in done.stderr
    assert "Current thread" in done.stderr  # the stack of the thread that crashed


def test_sigusr1_writes_every_threads_stack_and_the_process_goes_on():
    done = run_python(
        """
        import time
        print("ready", flush=True)
        time.sleep(1)
        print("still here", flush=True)
        """,
        until_ready=lambda process: process.send_signal(signal.SIGUSR1),
    )
    assert done.returncode == 0
    assert "still here" in done.stdout
    assert "most recent call first" in done.stderr


def test_warnings_of_the_http_server_are_logged_with_the_time():
    done = run_python(
        """
        import logging
        logging.getLogger("waitress").warning("Task queue depth is 12")
        # a workflow's failed state, which moto logs at ERROR: its history says it
        logging.getLogger(last_words.INTERPRETER_LOGGER).error("Exception=FailureEventException")
        """
    )
    (line,) = [line for line in done.stderr.splitlines() if "Task queue depth" in line]
    assert line.startswith("20") and "WARNING waitress" in line
    assert "FailureEventException" not in done.stderr


def test_an_emulator_killed_without_a_word_is_told_by_the_next():
    started = "2026-01-01T00:00:00.000+00:00 emulator process 4242 started\n"
    ended = "2026-01-01T00:01:00.000+00:00 emulator process 4242 ended: SIGTERM received\n"
    assert "process 4242) ended without a word" in last_words.unfinished_before(started)
    assert last_words.unfinished_before(started + ended) is None
    assert last_words.unfinished_before("") is None
    done = run_python("pass", previous_log=started)
    assert "process 4242) ended without a word" in done.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_real_emulator_logs_its_start_and_why_it_stopped(monkeypatch):
    port = free_port()
    monkeypatch.setenv("SFN_TUTORIAL_PORT", str(port))
    report = server.ensure_running(progress=lambda message: None)
    log = server.log_path(port)
    try:
        assert f"emulator process {report['pid']} started" in log.read_text()
    finally:
        assert server.stop() is True
    text = log.read_text()
    assert f"emulator process {report['pid']} stopping: SIGTERM received" in text
    assert f"emulator process {report['pid']} ended: SIGTERM received" in text


@pytest.fixture
def kernel_settings(monkeypatch):
    """The AWS settings ``target.connect`` changes, and what it remembers, put back after."""
    names = (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_DISABLE_HOST_PREFIX_INJECTION",
        "TUTORIAL_TARGET",
        *target.AWS_ONLY_SETTINGS,
    )
    for name in names:
        if name in os.environ:
            monkeypatch.setenv(name, os.environ[name])
        else:  # set, then removed: monkeypatch removes it again after the test
            monkeypatch.setenv(name, "")
            monkeypatch.delenv(name)
    monkeypatch.setattr(target, "_last_emulator", {})
    monkeypatch.setattr(target, "_replaced_settings", target._replaced_settings)


def test_connect_points_to_the_log_when_the_emulator_does_not_answer(monkeypatch, kernel_settings):
    port = free_port()  # nothing listens there: an emulator that has stopped
    monkeypatch.setenv("SFN_TUTORIAL_PORT", str(port))
    server.log_path(port).write_text("emulator process 4242 started\nthe last line\n")
    gone = {
        "port": port,
        "pid": None,
        "instance_id": "gone",
        "access_key_id": "AKIDEXAMPLE",
        "secret_access_key": "secret",
        "replaced": None,
    }
    monkeypatch.setattr(server, "ensure_running", lambda progress: gone)
    try:
        with pytest.raises(server.EmulatorError) as raised:
            target.connect("local", progress=lambda message: None)
    finally:
        server.log_path(port).unlink(missing_ok=True)
    message = str(raised.value)
    assert f"on http://127.0.0.1:{port} has stopped" in message
    assert str(server.log_path(port)) in message
    assert "the last line" in message
    assert "make emulator-stop" in message


def test_a_running_emulator_that_does_not_answer_is_told_apart(monkeypatch):
    monkeypatch.setattr(server.instances, "is_users_emulator", lambda pid, port: True)
    message = server.unreachable(4599, 4242, "Could not connect")
    assert "is running (process 4242) but did not answer" in message
    assert str(server.log_path(4599)) in message
