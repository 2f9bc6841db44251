"""Lambda's log lines on their way to CloudWatch Logs, written in batches.

Every invocation writes a few lines (``START``, what the handler printed, ``END``, ``REPORT``) to
its execution environment's stream, ``/aws/lambda/NAME``. Writing them into moto's Logs backend
at once cost a seventh of an in-process invocation's time, most of it per call rather than per
line. Here an invocation only queues its lines; one thread writes what is queued every
``FLUSH_INTERVAL_S``, a stream's lines in one call. Lambda itself delivers logs asynchronously.

Nobody can tell the difference: every CloudWatch Logs operation (``GetLogEvents``,
``FilterLogEvents``, ``DescribeLogStreams``, ...) first writes what is queued, so a read right
after an invocation sees its lines. ``LogType="Tail"`` answers never came from here.
"""

from __future__ import annotations

import functools
import inspect
import threading
import time
from collections import defaultdict

FLUSH_INTERVAL_S = 0.1


class LogQueue:
    """Lines waiting to be written: ``(logs backend, group, stream, timestamp ms, lines)``."""

    def __init__(self) -> None:
        self._pending: list[tuple] = []
        self._lock = threading.Lock()  # guards _pending
        self._writing = threading.RLock()  # one writer at a time; a write may read the backend
        self._local = threading.local()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, logs_backend, group: str, stream: str, lines: list[str]) -> None:
        """Queue ``lines`` for ``group``/``stream``, stamped now."""
        entry = (logs_backend, group, stream, int(time.time() * 1000), lines)
        with self._lock:
            self._pending.append(entry)
            if self._thread is None:
                self._thread = threading.Thread(target=self._write_forever, daemon=True)
                self._thread.start()
        self._wake.set()

    def flush(self) -> None:
        """Write everything queued so far (a no-op when called from inside a write)."""
        if getattr(self._local, "writing", False):
            return
        with self._writing:
            self._local.writing = True
            try:
                with self._lock:
                    pending, self._pending = self._pending, []
                _write(pending)
            finally:
                self._local.writing = False

    def forget(self) -> None:
        """Drop what is queued (the emulator was reset: its log groups are gone)."""
        with self._lock:
            self._pending = []

    def _write_forever(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            time.sleep(FLUSH_INTERVAL_S)  # let lines gather into batches
            self.flush()


def _write(pending: list[tuple]) -> None:
    """Write queued lines, one ``put_log_events`` per stream, creating the group and the stream
    when missing (Lambda does, with the AWSLambdaBasicExecutionRole policy)."""
    by_stream: dict[tuple, list[dict]] = defaultdict(list)
    for logs_backend, group, stream, timestamp, lines in pending:
        events = by_stream[(logs_backend, group, stream)]  # backends hash by identity
        events += [{"timestamp": timestamp, "message": line} for line in lines]
    for (logs_backend, group_name, stream_name), events in by_stream.items():
        group = logs_backend.groups.get(group_name)
        if group is None or stream_name not in group.streams:
            logs_backend.ensure_log_group(group_name)
            try:
                logs_backend.create_log_stream(group_name, stream_name)
            except Exception:  # created meanwhile through the API
                pass
            group = logs_backend.groups[group_name]
        group.put_log_events(stream_name, events)


QUEUE = LogQueue()


def apply() -> None:
    """Every CloudWatch Logs operation first writes the queued lines."""
    from moto.logs.models import LogsBackend

    for name, method in list(vars(LogsBackend).items()):
        if inspect.isfunction(method) and not name.startswith("_"):
            setattr(LogsBackend, name, _after_flush(method))


def _after_flush(method):
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        QUEUE.flush()
        return method(*args, **kwargs)

    return wrapper
