"""The emulator's log says why it stopped, or why it did not answer.

The emulator process writes its standard output and error to its log (``server.log_path``).
``install()``, called first thing in that process, makes sure that whatever ends it, or stops
it from answering, leaves a dated line there:

- a fatal signal (a crash in C code: ``SIGSEGV``, ``SIGABRT``, ``SIGBUS``, ``SIGFPE``,
  ``SIGILL``): ``faulthandler`` writes every thread's stack;
- ``SIGTERM`` (``make emulator-stop``, ``server.stop()``), ``SIGINT``, ``SIGHUP``: which one;
- an exception nobody caught, in the main thread (``sys.excepthook``) or any other
  (``threading.excepthook``): the thread's name and the traceback;
- the end of the process, however it came (``atexit``): its exit;
- what the HTTP server and the interpreter log at ``WARNING`` and above (waitress says when
  every request thread is busy, or when it stops accepting connections), with the time;
- ``SIGUSR1`` (``kill -USR1 PID``): every thread's stack, without stopping, for an emulator
  that runs but does not answer.

What cannot be caught (``SIGKILL``, such as the kernel's out-of-memory killer sends) is said by
the next emulator to start on the same log: the one before it started and never said it ended.
"""

from __future__ import annotations

import atexit
import datetime
import faulthandler
import logging
import os
import re
import signal
import sys
import threading
import traceback
from typing import TextIO

STARTED = "emulator process {pid} started"
ENDED = "emulator process {pid} ended"
_STARTED_PATTERN = re.compile(r"emulator process (\d+) started")
_ENDED_PATTERN = re.compile(r"emulator process (\d+) ended")
STOPPING_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP")
INTERPRETER_LOGGER = "moto.stepfunctions.parser.asl.component.eval_component"


def _now() -> str:
    return datetime.datetime.now().astimezone().isoformat(timespec="milliseconds")


def say(stream: TextIO, message: str) -> None:
    """Write one dated line to ``stream`` (the log) at once."""
    try:
        stream.write(f"{_now()} {message}\n")
        stream.flush()
    except (OSError, ValueError):  # the log is closed or gone: nothing more to do
        pass


def unfinished_before(log_text: str) -> str | None:
    """If the last emulator that wrote ``log_text`` started and never said it ended, the line
    to write about it; else ``None``."""
    started = _STARTED_PATTERN.findall(log_text)
    if not started:
        return None
    pid = started[-1]
    if pid in _ENDED_PATTERN.findall(log_text[log_text.rfind(STARTED.format(pid=pid)) :]):
        return None
    return (
        f"the emulator before this one (process {pid}) ended without a word: it was killed "
        "by a signal that cannot be caught (SIGKILL, such as the out-of-memory killer sends) "
        "or its machine stopped"
    )


def install(stream: TextIO | None = None, previous_log: str = "") -> None:
    """Make this process say in ``stream`` (its standard error, the log) why it stops.

    ``previous_log`` is what the log held before this process started: if the emulator before
    it never said it ended, that is said first."""
    stream = stream or sys.stderr
    pid = os.getpid()
    before = unfinished_before(previous_log)
    if before:
        say(stream, before)
    say(stream, STARTED.format(pid=pid))

    faulthandler.enable(file=stream, all_threads=True)
    if hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1, file=stream, all_threads=True)

    logging.basicConfig(
        level=logging.WARNING,
        stream=stream,
        format="%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s",
    )
    # moto's interpreter logs every state that fails (a workflow's own failure, which its
    # history tells) at ERROR, with the whole state: not a reason the emulator stopped.
    logging.getLogger(INTERPRETER_LOGGER).setLevel(logging.CRITICAL)

    exit_reason = {"why": "its main thread returned"}

    def stopping(number, frame) -> None:
        name = signal.Signals(number).name
        exit_reason["why"] = f"{name} received"
        say(stream, f"emulator process {pid} stopping: {name} received")
        sys.exit(0)

    for name in STOPPING_SIGNALS:
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stopping)

    def thread_died(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        thread = args.thread.name if args.thread is not None else "?"
        lines = traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)
        say(stream, f"uncaught exception in thread {thread}:\n{''.join(lines).rstrip()}")

    def main_died(exc_type, exc_value, exc_traceback) -> None:
        exit_reason["why"] = f"uncaught {exc_type.__name__} in the main thread"
        lines = traceback.format_exception(exc_type, exc_value, exc_traceback)
        say(stream, f"uncaught exception in the main thread:\n{''.join(lines).rstrip()}")

    threading.excepthook = thread_died
    sys.excepthook = main_died
    atexit.register(lambda: say(stream, f"{ENDED.format(pid=pid)}: {exit_reason['why']}"))
