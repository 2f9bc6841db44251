"""Warm execution environments for the local Lambda runtime: one child process each.

Lambda keeps an execution environment after an invocation and reuses it for the next, so a
module's top-level code (init) runs once per environment, not once per invocation. A ``Worker`` is
one such environment: a ``lambda_bootstrap`` child process that serves invocations over pipes.
``WorkerPool`` hands workers out. It reuses an idle worker with the same key (function version,
code and configuration); starts another one when all are busy, up to a local cap beyond which
invocations wait for a free worker; throttles beyond a function's reserved concurrency, as Lambda
does; and retires workers that idled too long, whose function changed, or that failed.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from sfn_tutorial.emulator.lambda_bootstrap import read_frame, write_frame

BOOTSTRAP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lambda_bootstrap.py")
LOG_FILE_LIMIT = 1 << 20  # a worker's log file is emptied once read past this size
IDLE_TIMEOUT_S = 300.0
MAX_WORKERS_PER_KEY = max(4, 2 * (os.cpu_count() or 1))


class Throttled(Exception):
    """The function's reserved concurrency is used up (Lambda: ``TooManyRequestsException``)."""


@dataclass
class Reply:
    """How a worker answered one invocation (or its init phase).

    ``kind`` is ``"ok"`` or ``"error"`` (the runtime's answer, in ``payload``), ``"timeout"``
    (the worker was stopped at the deadline) or ``"exit"`` (it died; ``exit_status`` says how).
    """

    kind: str
    payload: bytes = b""
    duration_ms: float = 0.0
    max_memory_mb: int = 0
    exit_status: int | None = None


class Worker:
    """One execution environment: a child process that keeps its module loaded."""

    def __init__(self, key: Hashable, group: str, log_stream: str) -> None:
        self.key = key
        self.group = group
        self.log_stream = log_stream
        self.init_ms = 0.0
        self.init_failure: Reply | None = None
        self.invocations = 0
        self.max_memory_mb = 0
        self.last_used = time.monotonic()
        self.retired = False
        self._process: subprocess.Popen | None = None
        self._log_fd = -1
        self._log_offset = 0

    def start(self, cwd: str, env: dict, init_timeout_s: float) -> None:
        """Start the child and wait for its init phase; a failed init is kept in
        ``init_failure``, to be the answer to the invocation that started the worker."""
        started = time.monotonic()  # Lambda's Init Duration includes starting the runtime
        handle, path = tempfile.mkstemp(prefix="sfn-tutorial-lambda-", suffix=".log")
        os.close(handle)
        self._log_fd = os.open(path, os.O_RDWR)
        child_log = os.open(path, os.O_WRONLY | os.O_APPEND)
        try:
            self._process = subprocess.Popen(
                # -S: no site import, the slowest part of starting Python; the environment's
                # PYTHONPATH already lists every folder a handler may import from.
                [sys.executable, "-S", BOOTSTRAP],
                cwd=cwd,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=child_log,
                bufsize=0,
            )
        except BaseException:
            self.close_log()
            raise
        finally:
            os.close(child_log)
            os.unlink(path)  # the open descriptors keep the file while the worker lives
        self._await_init(started, init_timeout_s)

    def _await_init(self, started: float, timeout_s: float) -> None:
        answer = self._receive(timeout_s)
        self.init_ms = (time.monotonic() - started) * 1000
        if isinstance(answer, Reply):
            self.init_failure = answer
            return
        header, payload = answer
        if header.get("error"):
            self.init_failure = Reply("error", payload)

    def invoke(self, invocation: dict, event: bytes, timeout_s: float) -> Reply:
        """Send one event and wait for the answer, at most ``timeout_s`` seconds."""
        self.invocations += 1
        try:
            write_frame(self._process.stdin.fileno(), invocation, event)
        except (BrokenPipeError, ValueError):
            return self._exited()
        answer = self._receive(timeout_s)
        if isinstance(answer, Reply):
            return answer
        header, payload = answer
        self.max_memory_mb = header["max_memory_mb"]
        kind = "error" if header["error"] else "ok"
        return Reply(kind, payload, header["duration_ms"], self.max_memory_mb)

    def _receive(self, timeout_s: float) -> tuple[dict, bytes] | Reply:
        """The child's next frame, or a Reply saying it timed out (and was stopped) or died."""
        fd = self._process.stdout.fileno()
        if not _readable(fd, timeout_s):
            self.stop()
            return Reply("timeout", duration_ms=timeout_s * 1000, max_memory_mb=self.max_memory_mb)
        frame = read_frame(fd)
        return frame if frame is not None else self._exited()

    def _exited(self) -> Reply:
        status = self._process.wait()
        return Reply("exit", max_memory_mb=self.max_memory_mb, exit_status=status)

    def read_log(self) -> str:
        """What the child wrote since the last call: its prints and the runtime's error lines."""
        end = os.fstat(self._log_fd).st_size
        data = os.pread(self._log_fd, end - self._log_offset, self._log_offset)
        self._log_offset = end
        if end > LOG_FILE_LIMIT:  # the child appends, so it writes at the new end
            os.ftruncate(self._log_fd, 0)
            self._log_offset = 0
        return data.decode(errors="replace")

    def stop(self) -> None:
        """End the child process, whatever it is doing."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            stream.close()

    def close_log(self) -> None:
        """Release the log file once nobody reads it any more."""
        if self._log_fd >= 0:
            os.close(self._log_fd)
            self._log_fd = -1


def _readable(fd: int, timeout_s: float) -> bool:
    """Wait until ``fd`` has data (or is closed); ``False`` if ``timeout_s`` passed first."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    return bool(poller.poll(max(0.0, timeout_s) * 1000))


class WorkerPool:
    """Idle workers by key, how many are alive, and how many invocations each function runs."""

    def __init__(
        self, max_per_key: int = MAX_WORKERS_PER_KEY, idle_timeout_s: float = IDLE_TIMEOUT_S
    ) -> None:
        self.max_per_key = max_per_key
        self.idle_timeout_s = idle_timeout_s
        self._lock = threading.Lock()
        self._idle: dict[Hashable, list[Worker]] = defaultdict(list)
        self._alive: dict[Hashable, int] = defaultdict(int)  # idle, busy or starting
        self._running: dict[str, int] = defaultdict(int)  # invocations in flight per group
        self._freed: dict[Hashable, threading.Condition] = {}
        self._workers: set[Worker] = set()
        self._reaper: threading.Thread | None = None

    def acquire(
        self, key: Hashable, group: str, reserved: int | None, start: Callable[[], Worker]
    ) -> Worker:
        """A worker for ``key``: an idle one, a new one from ``start()``, or the first one
        freed when ``max_per_key`` are alive. ``group`` (the function) may run at most
        ``reserved`` invocations at once, if set: beyond that, ``Throttled``."""
        with self._lock:
            if reserved is not None and self._running[group] >= reserved:
                raise Throttled(group)
            self._running[group] += 1
            self._ensure_reaper()
            worker = self._idle_worker_or_slot(key)
        if worker is None:
            worker = self._start(key, group, start)
        return worker

    def _idle_worker_or_slot(self, key: Hashable) -> Worker | None:
        """Under the lock: pop an idle worker, or reserve a slot for a new one (``None``)."""
        freed = self._freed.setdefault(key, threading.Condition(self._lock))
        while True:
            if self._idle[key]:
                return self._idle[key].pop()  # the most recently used: the others may idle out
            if self._alive[key] < self.max_per_key:
                self._alive[key] += 1
                return None
            freed.wait()

    def _start(self, key: Hashable, group: str, start: Callable[[], Worker]) -> Worker:
        try:
            worker = start()
        except BaseException:
            with self._lock:
                self._alive[key] -= 1
                self._running[group] -= 1
                self._freed[key].notify()
            raise
        with self._lock:
            self._workers.add(worker)
        return worker

    def release(self, worker: Worker, reusable: bool) -> None:
        """Give a worker back after an invocation; it is stopped unless ``reusable`` and still
        current (its function unchanged since it started)."""
        keep = reusable and not worker.retired
        with self._lock:
            self._running[worker.group] -= 1
            if keep:
                worker.last_used = time.monotonic()
                self._idle[worker.key].append(worker)
            else:
                self._forget(worker)
            self._freed[worker.key].notify()
        if not keep:
            _dispose(worker)

    def _forget(self, worker: Worker) -> None:
        """Under the lock: the worker no longer counts as alive."""
        self._alive[worker.key] -= 1
        self._workers.discard(worker)

    def retire(self, group: str | None = None) -> None:
        """Stop the workers of ``group`` (all groups if ``None``): idle ones now, busy ones when
        their invocation ends. No invocation gets them any more."""
        with self._lock:
            for worker in self._workers:
                if group is None or worker.group == group:
                    worker.retired = True
            doomed = self._take_idle(lambda worker: worker.retired)
        for worker in doomed:
            _dispose(worker)

    def reap(self, now: float | None = None) -> int:
        """Stop workers idle for longer than ``idle_timeout_s``; how many were stopped."""
        deadline = (time.monotonic() if now is None else now) - self.idle_timeout_s
        with self._lock:
            doomed = self._take_idle(lambda worker: worker.last_used < deadline)
        for worker in doomed:
            _dispose(worker)
        return len(doomed)

    def _take_idle(self, condition: Callable[[Worker], bool]) -> list[Worker]:
        """Under the lock: remove and return the idle workers that meet ``condition``."""
        taken = []
        for idle in self._idle.values():
            taken += [worker for worker in idle if condition(worker)]
            idle[:] = [worker for worker in idle if not condition(worker)]
        for worker in taken:
            self._forget(worker)
            self._freed[worker.key].notify()
        return taken

    def shutdown(self) -> None:
        """Stop every worker, busy or not (the emulator is exiting)."""
        with self._lock:
            workers = list(self._workers)
        for worker in workers:
            worker.retired = True
            _dispose(worker)

    def counts(self, key: Hashable) -> tuple[int, int]:
        """(idle, alive) workers for ``key``: for tests and curious readers."""
        with self._lock:
            return len(self._idle[key]), self._alive[key]

    def _ensure_reaper(self) -> None:
        """Under the lock: start the thread that retires idle workers, once."""
        if self._reaper is None or not self._reaper.is_alive():
            self._reaper = threading.Thread(target=self._reap_forever, daemon=True)
            self._reaper.start()

    def _reap_forever(self) -> None:
        while True:
            time.sleep(max(1.0, self.idle_timeout_s / 10))
            self.reap()


def _dispose(worker: Worker) -> None:
    worker.stop()
    worker.close_log()
