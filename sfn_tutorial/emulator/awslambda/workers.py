"""Warm execution environments for the local Lambda runtime: one process tree each.

Lambda keeps an execution environment after an invocation and reuses it for the next, so a
module's top-level code (init) runs once per environment, not once per invocation. A ``Worker`` is
one such environment: a ``bootstrap`` supervisor process and the runtime below it, which serves
invocations over a socket. An environment that runs out of time or memory, whose runtime dies, or
that answers with something that is not a frame ends as one piece, as Lambda's does: the
supervisor kills every process the handler started, whatever it forked, and exits as the runtime
did. ``WorkerPool`` hands workers out. It reuses an idle worker with the same key (function
version, code and configuration); starts another one when all are busy (up to local limits;
beyond them, invocations wait for a free worker); throttles beyond a function's reserved
concurrency, as Lambda does; and retires workers that idled too long, whose function changed, or
that failed.

What stays warm is bounded, as on AWS, where an idle execution environment is reclaimed after
some minutes and a busy account's least recently used ones go first: a worker idle for
``IDLE_TIMEOUT_S`` is ended, and at most ``MAX_WARM`` idle workers are kept for the whole
emulator (beyond that, the least recently used is ended when another is released). A reclaimed
function's next invocation is a cold start, with its init phase and ``Init Duration``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from sfn_tutorial.emulator.awslambda.bootstrap import (
    OUTPUT_LIMIT,
    PAYLOAD_LIMIT,
    PREFIX_SIZE,
    READ_SIZE,
    receive_message,
    send_message,
    write_frame,
)

BOOTSTRAP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bootstrap.py")
# AWS does not publish how long an idle environment lives; it is observed to be some minutes.
IDLE_TIMEOUT_S = 300.0
# Idle workers kept warm for the whole emulator: enough for every function of a notebook to stay
# warm between its cells, few enough that a long session (or a room on one server) stays small.
MAX_WARM = int(os.environ.get("SFN_TUTORIAL_MAX_WARM_ENVIRONMENTS", "6"))
REAP_EVERY_S = 10.0
# Workers started at once, without waiting for a busy one to be freed; beyond them more start
# only when invocations keep waiting (WorkerPool). On 2 cores, 2, 4 or 8 made no measurable
# difference to a Map of 1,000 fast Lambda Tasks (make bench); 8 leaves room for slower ones.
EAGER_WORKERS = min(32, 4 * (os.cpu_count() or 1))
MAX_WORKERS_PER_KEY = 32
SCALE_OUT_DELAY_S = 0.05
# What an answer may be: anything larger is not one the runtime sent.
MAX_HEADER = 1 << 16
MAX_BODY = OUTPUT_LIMIT + PAYLOAD_LIMIT
MAX_READ = 1 << 20
STOP_GRACE_S = 5.0  # how long the supervisor may take to end the environment before it is killed
EXIT_GRACE_S = 2.0  # after the runtime died: how long the supervisor may take to report it


class Throttled(Exception):
    """The function's reserved concurrency is used up (Lambda: ``TooManyRequestsException``)."""


class MalformedAnswer(Exception):
    """What came from the runtime is not a frame it sent (the handler wrote to its channel)."""


@dataclass
class Reply:
    """How a worker answered one invocation (or its init phase).

    ``kind`` is ``"ok"`` or ``"error"`` (the runtime's answer, in ``payload``), ``"timeout"``
    (the environment was ended at the deadline), ``"oom"`` (it ran out of memory and was ended)
    or ``"exit"`` (its runtime died, or broke the protocol and was ended; ``exit_status`` says
    how). ``output`` is what the code printed meanwhile.
    """

    kind: str
    payload: bytes = b""
    duration_ms: float = 0.0
    max_memory_mb: int = 0
    exit_status: int | None = None
    output: str = ""


class Worker:
    """One execution environment: a process tree that keeps its module loaded.

    Each invocation costs the invoking thread two system calls, a write and a read, because each
    one releases the GIL and may wait long to get it back while a Map runs a thousand threads:
    the child sends its output with its answer, and the socket's own timeouts (``SO_SNDTIMEO``,
    ``SO_RCVTIMEO``, set once per worker) end the wait at the deadline without a third call.
    """

    def __init__(
        self,
        key: Hashable,
        group: str,
        log_stream: str,
        memory_mb: int = 128,
        on_stop: Callable[[], None] | None = None,
    ) -> None:
        self.key = key
        self.group = group
        self.log_stream = log_stream
        self.memory_mb = memory_mb
        self.on_stop = on_stop  # called once, after the environment ended
        self.init_ms = 0.0
        self.init_failure: Reply | None = None
        self.invocations = 0
        self.max_memory_mb = 0
        self.last_used = time.monotonic()
        self.retired = False
        self.runtime_pid = 0
        self._process: subprocess.Popen | None = None
        self._channel: socket.socket | None = None
        self._fd = -1
        self._timeouts: dict[int, float] = {}  # the socket's current SO_RCVTIMEO, SO_SNDTIMEO
        self._log_fd = -1
        self._log_offset = 0  # where the child's next output starts in its log file

    def start(self, cwd: str, env: dict, init_timeout_s: float) -> None:
        """Start the environment and wait for its init phase; a failed init is kept in
        ``init_failure``, to be the answer to the invocation that started the worker."""
        started = time.monotonic()  # Lambda's Init Duration includes starting the runtime
        handle, path = tempfile.mkstemp(prefix="sfn-tutorial-lambda-", suffix=".log")
        os.close(handle)
        self._log_fd = os.open(path, os.O_RDONLY)
        child_log = os.open(path, os.O_RDWR | os.O_APPEND)  # the child reads back its output
        channel, child_end = socket.socketpair()
        try:
            self._process = TEMPLATE.spawn(cwd, env, [child_end.fileno()] * 2 + [child_log])
            if self._process is None:  # no template, or settings only a new interpreter reads
                self._process = subprocess.Popen(
                    # -S: no site import, the slowest part of starting Python; the environment's
                    # PYTHONPATH already lists every folder a handler may import from.
                    [sys.executable, "-S", BOOTSTRAP],
                    cwd=cwd,
                    env=env,
                    stdin=child_end.fileno(),
                    stdout=child_end.fileno(),
                    stderr=child_log,
                    start_new_session=True,  # nothing in the environment shares our group
                )
        except BaseException:
            channel.close()
            self.close_log()
            raise
        finally:
            child_end.close()
            os.close(child_log)
            os.unlink(path)  # the open descriptors keep the file while the worker lives
        self._channel = channel
        self._fd = channel.fileno()
        answer = self._exchange(None, b"", init_timeout_s)
        self.init_ms = (time.monotonic() - started) * 1000
        if isinstance(answer, Reply):
            self.init_failure = answer
            return
        header, body = answer
        self.runtime_pid = header.get("pid") if isinstance(header.get("pid"), int) else 0
        self.max_memory_mb = int(_number(header.get("max_memory_mb")))  # the init phase's peak
        if header.get("out_of_memory") or _number(header.get("max_memory_mb")) > self.memory_mb:
            self.init_failure = self._out_of_memory("")
        elif header.get("error"):
            self.init_failure = Reply("error", body, output=self._unread_output())

    def invoke(self, invocation: dict, event: bytes, timeout_s: float) -> Reply:
        """Send one event and wait for the answer, at most ``timeout_s`` seconds."""
        self.invocations += 1
        answer = self._exchange(invocation, event, timeout_s)
        if isinstance(answer, Reply):
            return answer
        header, body = answer
        if header.get("out_of_memory"):  # a MemoryError: the cap on its data segment
            return self._out_of_memory("")
        try:
            max_memory_mb = int(header["max_memory_mb"])
            log_size = int(header["log_size"])
            log_offset = int(header["log_offset"])
            duration_ms = float(header["duration_ms"])
            kind = "error" if header["error"] else "ok"
        except (KeyError, TypeError, ValueError):
            return self._broken()
        self._log_offset = log_offset
        output = body[:log_size].decode(errors="replace")
        if max_memory_mb > self.memory_mb:  # Lambda kills it on the way there
            return self._out_of_memory(output)
        self.max_memory_mb = max_memory_mb
        return Reply(kind, body[log_size:], duration_ms, max_memory_mb, output=output)

    def _exchange(self, request: dict | None, body: bytes, timeout_s: float):
        """Send a frame (unless ``request`` is None) and receive the child's answer: a frame, or
        a Reply saying the environment ran out of time, died or broke the protocol (it was
        ended)."""
        deadline = time.monotonic() + timeout_s
        try:
            if request is not None:
                self._set_timeout(socket.SO_SNDTIMEO, timeout_s)
                write_frame(self._fd, request, body)
            return self._receive(timeout_s, deadline)
        except BlockingIOError:  # the socket's timeout: the deadline passed
            self.end()
            output = self._unread_output()
            return Reply("timeout", b"", timeout_s * 1000, self.max_memory_mb, output=output)
        except (EOFError, ConnectionError):  # the runtime closed its end: it is gone
            return self._exited(deadline)
        except MalformedAnswer:
            return self._broken()

    def _receive(self, timeout_s: float, deadline: float) -> tuple[dict, bytes]:
        """One frame from the runtime, usually in one read; every read ends by the deadline."""
        self._set_timeout(socket.SO_RCVTIMEO, timeout_s)  # no system call: set already
        data = os.read(self._fd, READ_SIZE)
        if not data:
            raise EOFError
        if len(data) < PREFIX_SIZE:
            data = self._read_up_to(bytearray(data), PREFIX_SIZE, deadline)
        meta_end = PREFIX_SIZE + int.from_bytes(data[:4], "big")
        body_size = int.from_bytes(data[4:PREFIX_SIZE], "big")
        if meta_end - PREFIX_SIZE > MAX_HEADER or body_size > MAX_BODY:
            raise MalformedAnswer
        end = meta_end + body_size
        if len(data) < end:
            data = self._read_up_to(bytearray(data), end, deadline)
        if len(data) > end:  # a runtime never sends a frame before it is asked
            raise MalformedAnswer
        try:
            header = json.loads(data[PREFIX_SIZE:meta_end])
        except ValueError:
            raise MalformedAnswer from None
        if not isinstance(header, dict):
            raise MalformedAnswer
        return header, bytes(data[meta_end:end])

    def _read_up_to(self, data: bytearray, size: int, deadline: float) -> bytearray:
        """Read until ``data`` holds ``size`` bytes; a large answer takes many reads."""
        while len(data) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BlockingIOError
            self._set_timeout(socket.SO_RCVTIMEO, remaining)
            chunk = os.read(self._fd, min(max(size - len(data), READ_SIZE), MAX_READ))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def _set_timeout(self, option: int, seconds: float) -> None:
        """Set the socket's send or receive timeout, unless it is set to that already."""
        if self._timeouts.get(option) == seconds:
            return
        whole = int(seconds)
        micro = int((seconds - whole) * 1_000_000)
        if whole <= 0 and micro <= 0:  # zero would mean no timeout at all
            whole, micro = 0, 1
        self._channel.setsockopt(socket.SOL_SOCKET, option, struct.pack("@ll", whole, micro))
        self._timeouts[option] = seconds

    def _exited(self, deadline: float) -> Reply:
        """The runtime died: its supervisor ends what it left behind and exits as it did."""
        try:
            self._process.wait(max(deadline - time.monotonic(), EXIT_GRACE_S))
        except subprocess.TimeoutExpired:
            self.end()
        self._end_runtime_group()
        output = self._unread_output()
        status = self._process.returncode
        return Reply("exit", max_memory_mb=self.max_memory_mb, exit_status=status, output=output)

    def _broken(self) -> Reply:
        """The runtime answered with something that is not an answer: end the environment."""
        self.end()
        return self._exited(time.monotonic())

    def _out_of_memory(self, output: str) -> Reply:
        """The environment used more memory than the function has: end it, as Lambda does."""
        self.end()
        output += self._unread_output()
        return Reply("oom", max_memory_mb=self.memory_mb, output=output)

    def _unread_output(self) -> str:
        """What the child printed that no answer carried: before it died or was stopped."""
        try:
            end = os.fstat(self._log_fd).st_size
            start = max(self._log_offset, end - OUTPUT_LIMIT)
            data = os.pread(self._log_fd, max(0, end - start), start)
        except OSError:  # the log is closed: the emulator is stopping
            return ""
        self._log_offset = end
        return data.decode(errors="replace")

    def end(self) -> None:
        """End the environment now, whatever it is doing: its supervisor kills every process in
        it, then exits. One that does not within ``STOP_GRACE_S`` is killed."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:  # (a handler may have killed its supervisor)
            process.terminate()
            try:
                process.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._end_runtime_group()

    def _end_runtime_group(self) -> None:
        """Kill the runtime's process group, in case the supervisor could not (the handler
        killed it): nothing is left in it otherwise. Once: its number may be reused later."""
        if self.runtime_pid:
            try:
                os.killpg(self.runtime_pid, signal.SIGKILL)
            except OSError:
                pass
            self.runtime_pid = 0

    def ended(self) -> bool:
        """Whether its process is known to have exited (a forked one's exit is reported at
        once; a started one's only once it was waited for)."""
        return self._process is not None and self._process.returncode is not None

    def stop(self) -> None:
        """End the environment and release what it held."""
        self.end()
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        on_stop, self.on_stop = self.on_stop, None
        if on_stop is not None:
            on_stop()

    def close_log(self) -> None:
        """Release the log file once nobody reads it any more."""
        if self._log_fd >= 0:
            os.close(self._log_fd)
            self._log_fd = -1


def _number(value) -> float:
    return value if isinstance(value, (int, float)) else 0


# ---------------------------------------------------------------- the template of environments

# What the template's interpreter was started with; an environment that sets any other
# PYTHON* variable (read only when an interpreter starts) gets an interpreter of its own.
TEMPLATE_SETTINGS = {"PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
TEMPLATE_START_S = 10.0


class ForkedProcess:
    """An environment the template forked: what ``Worker`` uses of ``subprocess.Popen``. It is
    the template's child, so its exit status comes from the template; signals go through a
    pidfd where the platform has them (a pid may be reused once the process is gone)."""

    def __init__(self, pid: int, pidfd: int | None) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._pidfd = pidfd
        self._exited = threading.Event()
        self._lock = threading.Lock()  # the pidfd is not closed while a signal goes through it

    def exited(self, wait_status: int | None) -> None:
        """The template reaped it (``None``: the template is gone, and so is the process)."""
        with self._lock:
            self.returncode = -signal.SIGKILL if wait_status is None else _returncode(wait_status)
            if self._pidfd is not None:
                os.close(self._pidfd)
                self._pidfd = None
            self._exited.set()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._exited.wait(timeout):
            raise subprocess.TimeoutExpired(BOOTSTRAP, timeout)
        return self.returncode

    def send_signal(self, number: int) -> None:
        with self._lock:
            if self._exited.is_set():
                return
            try:
                if self._pidfd is not None:
                    signal.pidfd_send_signal(self._pidfd, number)
                else:
                    os.kill(self.pid, number)
            except OSError:  # gone already
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _returncode(wait_status: int) -> int:
    """A wait status as ``Popen.returncode`` gives it: the exit code, or minus the signal."""
    if os.WIFSIGNALED(wait_status):
        return -os.WTERMSIG(wait_status)
    return os.WEXITSTATUS(wait_status) if os.WIFEXITED(wait_status) else 1


class Template:
    """``python -S bootstrap.py --template``, started on first use: it forks new environments
    (a few milliseconds, where starting Python takes tens), which share its memory until they
    write to it. ``spawn`` answers ``None`` when an environment needs an interpreter of its own
    (its PYTHON* settings differ) or the template cannot run; ``Worker`` then starts one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # one request at a time on the channel
        self._channel: socket.socket | None = None
        self._process: subprocess.Popen | None = None
        self._broken = False
        self._answers: dict[int, list] = {}  # request id -> [event, answer]
        self._children: dict[int, ForkedProcess] = {}
        self._requests = 0

    def spawn(self, cwd: str, env: dict, fds: list[int]) -> ForkedProcess | None:
        """An environment forked from the template, with ``fds`` as its stdin, stdout and
        stderr, or ``None``."""
        settings = {name: value for name, value in env.items() if name.startswith("PYTHON")}
        settings.pop("PYTHONPATH", None)
        if settings != TEMPLATE_SETTINGS:
            return None
        with self._lock:
            if not self._running():
                return None
            self._requests += 1
            request = self._requests
            waiting = self._answers[request] = [threading.Event(), None]
            try:
                send_message(self._channel, {"id": request, "cwd": cwd, "env": env}, fds)
            except OSError:
                self._answers.pop(request, None)
                self._broken = True
                return None
        if not waiting[0].wait(TEMPLATE_START_S):
            with self._lock:
                self._answers.pop(request, None)
        return waiting[1]

    def _running(self) -> bool:
        """Under the lock: start the template unless it runs (or failed before)."""
        if self._channel is not None and not self._broken:
            return True
        if self._broken or not hasattr(socket, "CMSG_SPACE"):
            return False
        ours, theirs = socket.socketpair()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-S", BOOTSTRAP, "--template"],
                stdin=theirs.fileno(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={
                    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "LANG": "en_US.UTF-8",  # as in every environment (runtime.lambda_environment)
                    **TEMPLATE_SETTINGS,
                },
                start_new_session=True,
            )
        except OSError:
            ours.close()
            self._broken = True
            return False
        finally:
            theirs.close()
        self._channel = ours
        threading.Thread(target=self._read, args=(ours,), name="template", daemon=True).start()
        return True

    def _read(self, channel: socket.socket) -> None:
        """Answers and exit reports from the template, until it is gone."""
        while True:
            try:
                message = receive_message(channel)
            except (OSError, ValueError):
                message = None
            if message is None:
                break
            answer, fds = message
            if "exited" in answer:
                self._exited(answer["exited"], answer["status"])
            else:
                self._spawned(answer, fds)
        with self._lock:
            self._broken = True
            children, self._children = self._children, {}
            for waiting in self._answers.values():
                waiting[0].set()
        for child in children.values():  # their supervisors end when their parent is gone
            child.exited(None)

    def _spawned(self, answer: dict, fds: list[int]) -> None:
        """The template forked an environment (it reports its exit later, never before)."""
        child = ForkedProcess(answer["pid"], fds[0] if fds else None)
        with self._lock:
            self._children[child.pid] = child
            waiting = self._answers.pop(answer["id"], None)
        if waiting is None:  # its requester gave up waiting: end it
            child.kill()
            return
        waiting[1] = child
        waiting[0].set()

    def _exited(self, pid: int, status: int) -> None:
        with self._lock:
            child = self._children.pop(pid, None)
        if child is not None:
            child.exited(status)

    def pid(self) -> int | None:
        """The template's process id, while it runs."""
        with self._lock:
            running = self._channel is not None and not self._broken
            return self._process.pid if running and self._process is not None else None

    def stop(self) -> None:
        """End the template (its environments end with it, as their supervisors see)."""
        with self._lock:
            channel, self._channel = self._channel, None
            self._broken = True
        if channel is not None:
            channel.close()
        if self._process is not None:
            try:
                self._process.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self._process.kill()


TEMPLATE = Template()


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
        max_warm: int = MAX_WARM,
    ) -> None:
        self.max_per_key = max_per_key
        self.idle_timeout_s = idle_timeout_s
        self.max_warm = max_warm
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
            gone: list[Worker] = []
            worker = self._idle_worker_or_slot(key, gone)
            self._handed_out[key] = time.monotonic()
            retirements = self._retirements
        for ended in gone:
            _dispose(ended)
        if worker is None:
            worker = self._start(key, group, start, retirements)
        return worker

    def _idle_worker_or_slot(self, key: Hashable, gone: list) -> Worker | None:
        """Under the lock: pop an idle worker, or reserve a slot for a new one (``None``).
        Idle workers found ended meanwhile are added to ``gone``, to be disposed of."""
        freed = self._freed.get(key)
        if freed is None:
            freed = self._freed[key] = threading.Condition(self._lock)
        while True:
            while self._idle[key]:
                worker = self._idle[key].pop()  # the most recently used: the others idle out
                if not worker.ended():
                    return worker
                self._forget(worker)
                gone.append(worker)
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
            doomed = [] if keep else [worker]
            doomed += self._take_least_recently_used(self.max_warm)
        for worker in doomed:
            _dispose(worker)

    def _take_least_recently_used(self, keep: int) -> list[Worker]:
        """Under the lock: remove and return the idle workers beyond the ``keep`` most recently
        used (of every function)."""
        idle = [worker for workers in self._idle.values() for worker in workers]
        if len(idle) <= keep:
            return []
        idle.sort(key=lambda worker: worker.last_used)
        doomed = set(idle[: len(idle) - keep])
        return self._take_idle(lambda worker: worker in doomed)

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

    def warm(self) -> int:
        """How many idle workers are kept warm, for every function together."""
        with self._lock:
            return sum(len(workers) for workers in self._idle.values())

    def _ensure_reaper(self) -> None:
        """Under the lock: start the thread that retires idle workers, once."""
        if self._reaper is None or not self._reaper.is_alive():
            self._reaper = threading.Thread(target=self._reap_forever, daemon=True)
            self._reaper.start()

    def _reap_forever(self) -> None:
        while True:
            time.sleep(min(REAP_EVERY_S, max(1.0, self.idle_timeout_s / 10)))
            self.reap()


def _dispose(worker: Worker) -> None:
    worker.stop()
    worker.close_log()
