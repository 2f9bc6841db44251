"""Warm execution environments for the local Lambda runtime: one child process each.

Lambda keeps an execution environment after an invocation and reuses it for the next, so a
module's top-level code (init) runs once per environment, not once per invocation. A ``Worker`` is
one such environment: a ``bootstrap`` child process that serves invocations over pipes.
``WorkerPool`` hands workers out. It reuses an idle worker with the same key (function version,
code and configuration); starts another one when all are busy (up to local limits; beyond them,
invocations wait for a free worker); throttles beyond a function's reserved concurrency, as Lambda
does; and retires workers that idled too long, whose function changed, or that failed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from sfn_tutorial.emulator.awslambda.bootstrap import read_frame, write_frame

BOOTSTRAP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bootstrap.py")
IDLE_TIMEOUT_S = 300.0
# Workers started at once, without waiting for a busy one to be freed; beyond them more start
# only when invocations keep waiting (WorkerPool). On 2 cores, 2, 4 or 8 made no measurable
# difference to a Map of 1,000 fast Lambda Tasks (make bench); 8 leaves room for slower ones.
EAGER_WORKERS = min(32, 4 * (os.cpu_count() or 1))
MAX_WORKERS_PER_KEY = 32
SCALE_OUT_DELAY_S = 0.05


class Throttled(Exception):
    """The function's reserved concurrency is used up (Lambda: ``TooManyRequestsException``)."""


@dataclass
class Reply:
    """How a worker answered one invocation (or its init phase).

    ``kind`` is ``"ok"`` or ``"error"`` (the runtime's answer, in ``payload``), ``"timeout"``
    (the worker was stopped at the deadline) or ``"exit"`` (it died; ``exit_status`` says how).
    ``output`` is what the code printed meanwhile.
    """

    kind: str
    payload: bytes = b""
    duration_ms: float = 0.0
    max_memory_mb: int = 0
    exit_status: int | None = None
    output: str = ""


class Worker:
    """One execution environment: a child process that keeps its module loaded.

    Each invocation costs the invoking thread two system calls, a write and a read, because each
    one releases the GIL and may wait long to get it back while a Map runs a thousand threads:
    the child sends its output with its answer, and the ``Watchdog`` enforces the deadline.
    """

    def __init__(
        self,
        key: Hashable,
        group: str,
        log_stream: str,
        on_stop: Callable[[], None] | None = None,
    ) -> None:
        self.key = key
        self.group = group
        self.log_stream = log_stream
        self.on_stop = on_stop  # called once, after the child ended
        self.init_ms = 0.0
        self.init_failure: Reply | None = None
        self.invocations = 0
        self.max_memory_mb = 0
        self.last_used = time.monotonic()
        self.retired = False
        self.timed_out = False
        self._process: subprocess.Popen | None = None
        self._log_fd = -1
        self._log_offset = 0  # where the child's next output starts in its log file

    def start(self, cwd: str, env: dict, init_timeout_s: float) -> None:
        """Start the child and wait for its init phase; a failed init is kept in
        ``init_failure``, to be the answer to the invocation that started the worker."""
        started = time.monotonic()  # Lambda's Init Duration includes starting the runtime
        handle, path = tempfile.mkstemp(prefix="sfn-tutorial-lambda-", suffix=".log")
        os.close(handle)
        self._log_fd = os.open(path, os.O_RDONLY)
        child_log = os.open(path, os.O_RDWR | os.O_APPEND)  # the child reads back its output
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
        answer = self._exchange(None, b"", init_timeout_s)
        self.init_ms = (time.monotonic() - started) * 1000
        if isinstance(answer, Reply):
            self.init_failure = answer
        elif answer[0].get("error"):
            self.init_failure = Reply("error", answer[1], output=self._unread_output())

    def invoke(self, invocation: dict, event: bytes, timeout_s: float) -> Reply:
        """Send one event and wait for the answer, at most ``timeout_s`` seconds."""
        self.invocations += 1
        answer = self._exchange(invocation, event, timeout_s)
        if isinstance(answer, Reply):
            return answer
        header, body = answer
        self.max_memory_mb = header["max_memory_mb"]
        self._log_offset = header["log_offset"]
        output = body[: header["log_size"]].decode(errors="replace")
        kind = "error" if header["error"] else "ok"
        payload = body[header["log_size"] :]
        return Reply(kind, payload, header["duration_ms"], self.max_memory_mb, output=output)

    def _exchange(self, request: dict | None, body: bytes, timeout_s: float):
        """Send a frame (unless ``request`` is None) and receive the child's answer: a frame, or
        a Reply saying the child ran out of time (it was killed) or died."""
        WATCHDOG.watch(self, time.monotonic() + timeout_s)
        try:
            if request is not None:
                write_frame(self._process.stdin.fileno(), request, body)
            frame = read_frame(self._process.stdout.fileno())
        except (OSError, ValueError):  # the child closed its end: it is gone
            frame = None
        finally:
            self.timed_out = WATCHDOG.unwatch(self) or self.timed_out
        if self.timed_out:
            output = self._unread_output()
            return Reply("timeout", b"", timeout_s * 1000, self.max_memory_mb, output=output)
        return frame if frame is not None else self._exited()

    def _exited(self) -> Reply:
        status = self._process.wait()
        output = self._unread_output()
        return Reply("exit", max_memory_mb=self.max_memory_mb, exit_status=status, output=output)

    def _unread_output(self) -> str:
        """What the child printed that no answer carried: before it died or was stopped."""
        end = os.fstat(self._log_fd).st_size
        data = os.pread(self._log_fd, max(0, end - self._log_offset), self._log_offset)
        self._log_offset = end
        return data.decode(errors="replace")

    def kill(self) -> None:
        """Kill the child now (from any thread); ``stop()`` cleans up after it."""
        if self._process.returncode is None:
            self._process.kill()

    def stop(self) -> None:
        """End the child process, whatever it is doing, and release what it held."""
        if self._process is None:  # it never started
            return
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            stream.close()
        on_stop, self.on_stop = self.on_stop, None
        if on_stop is not None:
            on_stop()

    def close_log(self) -> None:
        """Release the log file once nobody reads it any more."""
        if self._log_fd >= 0:
            os.close(self._log_fd)
            self._log_fd = -1


class Watchdog:
    """Kills workers that run past their deadline, checking every ``RESOLUTION_S`` seconds (a
    thread of its own, so that waiting for an answer needs no timeout of its own)."""

    RESOLUTION_S = 0.02

    def __init__(self) -> None:
        self._deadlines: dict[Worker, float] = {}
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, worker: Worker, deadline: float) -> None:
        """Kill ``worker`` at ``deadline`` (monotonic time) unless ``unwatch``ed before."""
        self._deadlines[worker] = deadline
        if not self._wake.is_set():
            self._wake.set()
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, daemon=True)
                    self._thread.start()

    def unwatch(self, worker: Worker) -> bool:
        """Stop watching; ``True`` if it was too late: the worker is (being) killed."""
        return self._deadlines.pop(worker, None) is None

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            while self._deadlines:
                time.sleep(self.RESOLUTION_S)
                now = time.monotonic()
                for worker, deadline in list(self._deadlines.items()):
                    if deadline <= now and self._deadlines.pop(worker, None) is not None:
                        worker.timed_out = True
                        worker.kill()


WATCHDOG = Watchdog()


class WorkerPool:
    """Idle workers by key, how many are alive, and how many invocations each function runs.

    Lambda gives each concurrent invocation an environment of its own. Locally, a new worker
    starts at once while fewer than ``eager`` are alive for the key; beyond that only when none
    has been handed out for ``scale_out_delay_s`` (its handlers are slow, so more of them help),
    and never beyond ``max_per_key``: meanwhile invocations wait for a free worker. So a Map of
    fast functions keeps a few warm workers busy, and a Map of slow ones gets many.
    """

    def __init__(
        self,
        max_per_key: int = MAX_WORKERS_PER_KEY,
        idle_timeout_s: float = IDLE_TIMEOUT_S,
        eager: int = EAGER_WORKERS,
        scale_out_delay_s: float = SCALE_OUT_DELAY_S,
    ) -> None:
        self.max_per_key = max_per_key
        self.idle_timeout_s = idle_timeout_s
        self.eager = eager
        self.scale_out_delay_s = scale_out_delay_s
        self._lock = threading.Lock()
        self._idle: dict[Hashable, list[Worker]] = defaultdict(list)
        self._alive: dict[Hashable, int] = defaultdict(int)  # idle, busy or starting
        self._handed_out: dict[Hashable, float] = defaultdict(float)  # when, last
        self._timer: set[Hashable] = set()  # keys for which a waiter watches the clock
        self._retirements = 0  # how many times retire() was called
        self._running: dict[str, int] = defaultdict(int)  # invocations in flight per group
        self._freed: dict[Hashable, threading.Condition] = {}
        self._workers: set[Worker] = set()
        self._reaper: threading.Thread | None = None

    def acquire(
        self, key: Hashable, group: str, reserved: int | None, start: Callable[[], Worker]
    ) -> Worker:
        """A worker for ``key``: an idle one, a new one from ``start()``, or the first one
        freed. ``group`` (the function) may run at most ``reserved`` invocations at once, if
        set: beyond that, ``Throttled``."""
        with self._lock:
            if reserved is not None and self._running[group] >= reserved:
                raise Throttled(group)
            self._running[group] += 1
            self._ensure_reaper()
            worker = self._idle_worker_or_slot(key)
            self._handed_out[key] = time.monotonic()
            retirements = self._retirements
        if worker is None:
            worker = self._start(key, group, start, retirements)
        return worker

    def _idle_worker_or_slot(self, key: Hashable) -> Worker | None:
        """Under the lock: pop an idle worker, or reserve a slot for a new one (``None``)."""
        freed = self._freed.get(key)
        if freed is None:
            freed = self._freed[key] = threading.Condition(self._lock)
        while True:
            if self._idle[key]:
                return self._idle[key].pop()  # the most recently used: the others may idle out
            if self._may_start(key):
                self._alive[key] += 1
                return None
            if self._alive[key] >= self.max_per_key or key in self._timer:
                freed.wait()
                continue
            self._timer.add(key)  # one waiter at a time wakes up to check the clock
            try:
                freed.wait(self.scale_out_delay_s)
            finally:
                self._timer.discard(key)
                freed.notify()  # another waiter takes over the clock

    def _may_start(self, key: Hashable) -> bool:
        alive = self._alive[key]
        slow = time.monotonic() - self._handed_out[key] >= self.scale_out_delay_s
        return alive < self.max_per_key and (alive < self.eager or slow)

    def _start(self, key: Hashable, group: str, start: Callable[[], Worker], retirements: int):
        """Start a worker in the slot reserved for it; one whose function was retired while it
        started serves the invocation that started it, then stops."""
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
            worker.retired = self._retirements != retirements
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
            self._retirements += 1
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
