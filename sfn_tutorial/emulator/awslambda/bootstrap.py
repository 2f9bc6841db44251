"""The child side of the local Lambda runtime: one execution environment.

``workers`` starts it as ``python -S bootstrap.py`` with the function's code folder as the working
directory, in a session of its own. That first process is the environment's *supervisor*
(``supervise``): it starts the runtime as its child and stays behind, so that everything the
handler starts stays below it, even processes that leave their session or whose parent exits
(on Linux it is their subreaper). When the runtime exits, or when the emulator tells it to stop
(``SIGTERM``: a timeout, a retirement, the emulator's own end) or goes away, it kills every
process below it, then exits as the runtime did: Lambda's environment ends as one piece.

The runtime loads the handler once (Lambda's *init* phase: the module's top-level code runs
here), says it is ready, then serves invocations until its end of the channel closes. Requests and
answers are frames on a socket (``write_frame``): an invocation's request id, deadline and ARN,
and the event. Everything the code prints goes to stderr, which the parent turns into the
function's log. The handler's stdin is /dev/null, and processes it forks do not keep the channel.

Memory: the runtime's data segment is capped (``limit_memory``) and a ``MemoryError`` ends the
environment as Lambda's out-of-memory kill does; ``workers`` also reports an answer whose peak
resident memory passed the function's memory size as out of memory.

Errors and messages follow AWS's Python runtime (``awslambdaric``): ``Runtime.ImportModuleError``,
``Runtime.HandlerNotFound``, ``Runtime.MarshalError`` and the exception's own type for the rest.
This module imports the standard library only: it must not slow down or shadow the handler's own.

Started as ``python -S bootstrap.py --template``, it is a *template* instead (``serve_template``):
an interpreter with this module loaded, which makes each new environment by forking itself, so
that a cold start does not pay for starting Python, and the environments share the template's
memory until they write to it. The forked process becomes what ``python -S bootstrap.py`` would
have been, in the folder and with the environment variables it was asked for (``workers`` asks
only for environments whose interpreter settings are the template's), then runs ``main()`` the
same way. The template reports when each of its environments exits, and exits itself when the
emulator closes its channel.
"""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import sys
import time
from types import SimpleNamespace

PREFIX_SIZE = 8  # a frame starts with the lengths of its JSON header and of its body
READ_SIZE = 1 << 16
LOG_FILE_LIMIT = 1 << 20
# An answer carries at most this much of what the code printed (the last part) and of its result
# (the first part: more than the 6 MB Lambda returns, so the caller still sees it is too large).
OUTPUT_LIMIT = 32 << 20
PAYLOAD_LIMIT = 16 << 20
# The data segment (RLIMIT_DATA) counts address space reserved for writing, not memory used:
# each thread's 8 MB stack, the native libraries' per-CPU buffers (numpy's OpenBLAS: ~32 MB a
# CPU). The cap is the function's memory size plus that room; the memory size itself is checked
# on the peak resident memory, as Lambda counts it (``workers``).
DATA_HEADROOM_MB = 256
DATA_PER_CPU_MB = 32
PR_SET_CHILD_SUBREAPER = 36  # prctl(2), Linux
PARENT_CHECK_S = 1.0  # how often the supervisor checks that the emulator is still there
TASK_ROOT = "/var/task"  # where Lambda unpacks the code; stack traces show this path
CLIENT_FIELDS = (
    "installation_id",
    "app_title",
    "app_version_name",
    "app_version_code",
    "app_package_name",
)
_request_id = ""  # the invocation being served, for log lines written with ``logging``


def write_frame(fd: int, header: dict, body: bytes = b"") -> None:
    """Send one frame: a JSON header and an opaque body (an event, a payload)."""
    meta = json.dumps(header).encode()
    prefix = len(meta).to_bytes(4, "big") + len(body).to_bytes(4, "big")
    view = memoryview(prefix + meta + body)
    while view:
        view = view[os.write(fd, view) :]


def read_frame(fd: int) -> tuple[dict, bytes] | None:
    """Receive one frame, usually in one read (each side waits for the other's answer before it
    writes again, so a read never takes the next frame); ``None`` when the pipe is closed."""
    data = _read_at_least(fd, bytearray(), PREFIX_SIZE)
    if data is None:
        return None
    meta_end = PREFIX_SIZE + int.from_bytes(data[:4], "big")
    end = meta_end + int.from_bytes(data[4:PREFIX_SIZE], "big")
    data = _read_at_least(fd, data, end)
    if data is None:
        return None
    return json.loads(data[PREFIX_SIZE:meta_end]), bytes(data[meta_end:end])


def _read_at_least(fd: int, data: bytearray, size: int) -> bytearray | None:
    while len(data) < size:
        chunk = os.read(fd, max(size - len(data), READ_SIZE))
        if not chunk:
            return None
        data += chunk
    return data


class Telemetry:
    """What each answer reports besides the payload: what the code printed since the last answer,
    read back from stderr (a file the parent opened for reading and appending), and the peak
    memory, ``VmHWM`` (``ru_maxrss`` survives exec on Linux, so it would include the emulator's
    own memory)."""

    def __init__(self, log_fd: int = 2) -> None:
        self.log_fd = log_fd
        self.offset = 0
        try:
            self._status_fd = os.open("/proc/self/status", os.O_RDONLY)
        except OSError:  # not Linux
            self._status_fd = -1

    def new_output(self) -> bytes:
        """Bytes written since the last call; the file is emptied when it grows large."""
        end = os.fstat(self.log_fd).st_size
        if end == self.offset:
            return b""
        start = max(self.offset, end - OUTPUT_LIMIT)
        data = os.pread(self.log_fd, end - start, start)
        self.offset = end
        if end > LOG_FILE_LIMIT:  # writes append, so they continue at the new end
            os.ftruncate(self.log_fd, 0)
            self.offset = 0
        return data

    def peak_memory_mb(self) -> int:
        """The process's peak resident memory so far, in MB."""
        if self._status_fd < 0:
            return 0
        status = os.pread(self._status_fd, 4096, 0)
        start = status.find(b"VmHWM:")
        if start < 0:
            return 0
        return int(status[start + 6 : status.index(b"kB", start)]) // 1024


class Failure(Exception):
    """An error the runtime itself reports, with Lambda's ``Runtime.*`` error type."""

    def __init__(self, error_type: str, message: str, stack: list[str] | None = None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.stack = stack or []


def make_error(error_type: str, message: str, stack: list[str], request_id: str) -> dict:
    """An error payload in the runtime's shape (``requestId`` is empty for init errors)."""
    return {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": request_id,
        "stackTrace": stack,
    }


def load_handler(handler: str):
    """Import the handler's module (running its top-level code) and find the function."""
    module_name, _, function_name = handler.rpartition(".")
    if not module_name:
        raise Failure(
            "Runtime.MalformedHandlerName",
            f"Bad handler '{handler}': not enough values to unpack (expected 2, got 1)",
        )
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise Failure(
            "Runtime.BuiltInModuleConflict",
            f"Cannot use built-in module {module_name} as a handler module",
        )
    module = _import(module_name)
    if not hasattr(module, function_name):
        raise Failure(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        )
    return getattr(module, function_name)


def _import(module_name: str):
    import importlib

    try:
        return importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        raise Failure(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}"
        ) from exc
    except SyntaxError as exc:
        stack = [f'  File "{_task_path(exc.filename or "")}" Line {exc.lineno}\n    {exc.text}']
        raise Failure(
            "Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}", stack
        ) from exc


def _task_path(path: str) -> str:
    """A path in the code folder, shown as Lambda shows it: under /var/task."""
    code_dir = os.getcwd()
    return TASK_ROOT + path[len(code_dir) :] if path.startswith(code_dir + os.sep) else path


def user_stack(exc: BaseException) -> list[str]:
    """The stack of an exception, from the first frame outside this runtime, formatted like the
    Python runtime's ``stackTrace``."""
    import traceback  # only when something failed: starting up stays fast

    frames = traceback.extract_tb(exc.__traceback__)
    while frames and frames[0].filename == __file__:
        frames.pop(0)
    for frame in frames:
        frame.filename = _task_path(frame.filename)
    return traceback.format_list(frames)


def log_error(error: dict) -> None:
    """Log an error as the runtime does: ``[ERROR] Type: message`` and the traceback."""
    lines = [f"[ERROR] {error['errorType']}: {error['errorMessage']}"]
    if error.get("stackTrace") is not None:
        lines.append("Traceback (most recent call last):")
        lines.extend(line for frame in error["stackTrace"] for line in frame.splitlines())
    print("\n".join(lines), file=sys.stderr, flush=True)


class LambdaContext:
    """The ``context`` argument Lambda passes to a Python handler."""

    def __init__(self, invocation: dict) -> None:
        self.aws_request_id = invocation["request_id"]
        self.invoked_function_arn = invocation["invoked_function_arn"]
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.client_context = _client_context(invocation.get("client_context"))
        self.identity = SimpleNamespace(cognito_identity_id=None, cognito_identity_pool_id=None)
        self.tenant_id = None
        self._deadline_ms = invocation["deadline_ms"]

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function times out."""
        return max(0, self._deadline_ms - int(time.time() * 1000))

    def log(self, message) -> None:
        """Write to the function's log, as ``print`` does without the newline."""
        sys.stdout.write(str(message))


def _client_context(data: dict | None):
    """The mobile SDK's client context, as attributes (``custom``, ``env``, ``client``)."""
    if data is None:
        return None
    client = data.get("client")
    if client is not None:
        client = SimpleNamespace(**{field: client.get(field) for field in CLIENT_FIELDS})
    return SimpleNamespace(custom=data.get("custom"), env=data.get("env"), client=client)


def _json_default(value):
    decimal = sys.modules.get("decimal")  # a Decimal exists only if its module was imported
    if decimal is not None and isinstance(value, decimal.Decimal):  # e.g. read from DynamoDB
        return math.nan if value.is_nan() else (int(value) if value == int(value) else float(value))
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def marshal(value) -> bytes:
    """The handler's result as the response payload, or ``Runtime.MarshalError``."""
    if isinstance(value, bytes):
        return value
    try:
        text = json.dumps(value, ensure_ascii=_escapes_non_ascii(), default=_json_default)
        return text.encode()
    except (TypeError, ValueError) as exc:
        raise Failure("Runtime.MarshalError", f"Unable to marshal response: {exc}") from exc


def _escapes_non_ascii() -> bool:
    """Runtimes before python3.12 write non-ASCII characters as \\u escapes; later ones as UTF-8."""
    version = os.environ.get("AWS_EXECUTION_ENV", "").removeprefix("AWS_Lambda_python")
    try:
        return tuple(int(part) for part in version.split(".")) < (3, 12)
    except ValueError:
        return False


def unmarshal(body: bytes):
    """The event, parsed from the request's JSON, or ``Runtime.UnmarshalError``."""
    try:
        return json.loads(body)
    except ValueError as exc:
        raise Failure("Runtime.UnmarshalError", f"Unable to unmarshal input: {exc}") from exc


def invoke(handler, invocation: dict, body: bytes, telemetry: Telemetry) -> tuple[dict, bytes]:
    """Run the handler on one event: the answer's header, and its body: what the code printed
    (``log_size`` bytes), then the payload."""
    global _request_id
    _request_id = invocation["request_id"]
    started = time.perf_counter()
    error = None
    try:
        payload = marshal(handler(unmarshal(body), LambdaContext(invocation)))[:PAYLOAD_LIMIT]
    except Failure as failure:
        error = make_error(failure.error_type, failure.message, failure.stack, _request_id)
    except MemoryError:
        return {"out_of_memory": True}, b""  # the environment ends here, as Lambda's does
    except Exception as exc:
        error = make_error(type(exc).__name__, str(exc), user_stack(exc), _request_id)
    duration_ms = (time.perf_counter() - started) * 1000
    if error is not None:
        log_error(error)
        payload = json.dumps(error).encode()
    sys.stdout.flush()
    sys.stderr.flush()
    output = telemetry.new_output()
    header = {
        "duration_ms": duration_ms,
        "max_memory_mb": telemetry.peak_memory_mb(),
        "error": bool(error),
        "log_size": len(output),
        "log_offset": telemetry.offset,
    }
    return header, output + payload


def _add_request_id(record: logging.LogRecord) -> bool:
    record.aws_request_id = _request_id
    return True


def setup_logging() -> None:
    """``logging`` on the root logger writes Lambda's format: level, time, request id."""
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
        "%Y-%m-%dT%H:%M:%S",
    )
    formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.addFilter(_add_request_id)
    logging.getLogger().addHandler(handler)


def init(results: int, telemetry: Telemetry):
    """Load the handler and tell the parent how it went: the handler, or ``None`` on failure."""
    ready = {"pid": os.getpid()}
    try:
        handler = load_handler(os.environ["_HANDLER"])
    except Failure as failure:
        error = make_error(failure.error_type, failure.message, failure.stack, "")
    except MemoryError:
        write_frame(results, {**ready, "out_of_memory": True})
        return None
    except Exception as exc:  # an error in the module's top-level code
        error = make_error(type(exc).__name__, str(exc), user_stack(exc), "")
    else:
        write_frame(results, {**ready, "error": False, "max_memory_mb": telemetry.peak_memory_mb()})
        return handler
    log_error(error)
    write_frame(results, {**ready, "error": True}, json.dumps(error).encode())
    return None


def limit_memory() -> None:
    """Cap the data segment at the function's memory size plus the room a local interpreter needs
    for what Lambda does not count (``DATA_HEADROOM_MB``); beyond it, allocations fail with
    ``MemoryError``. Processes the handler starts inherit the cap, each for itself."""
    try:
        import resource
    except ImportError:  # not Unix
        return
    memory_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") or 0)
    if memory_mb <= 0:
        return
    limit = (memory_mb + DATA_HEADROOM_MB + DATA_PER_CPU_MB * (os.cpu_count() or 1)) << 20
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    try:
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    except (ValueError, OSError):  # e.g. a platform that does not let it be set
        pass


def _close_channel(*fds: int) -> None:
    """In a process the handler forks: the runtime's channel is not its to keep (a child holding
    it would keep the parent from seeing that the runtime ended)."""
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def main() -> int:
    """Supervise, then, in the runtime process, serve invocations on the channel (fds 0 and 1,
    one socket) until it closes; the code prints to stderr."""
    supervise()  # returns in the runtime process only
    requests, results = os.dup(0), os.dup(1)  # not inherited by programs the handler runs
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # the handler's stdin, as on Lambda
    os.close(devnull)
    os.dup2(2, 1)  # the code's prints become log lines
    sys.stdout = sys.stderr
    os.register_at_fork(after_in_child=lambda: _close_channel(requests, results))
    limit_memory()
    sys.path[0] = os.getcwd()  # the code folder, not this runtime's folder
    setup_logging()
    telemetry = Telemetry()
    handler = init(results, telemetry)
    if handler is None:
        return 1  # as Lambda's runtime does after an init error
    while (frame := read_frame(requests)) is not None:
        write_frame(results, *invoke(handler, *frame, telemetry))
    return 0


# --- The supervisor ----------------------------------------------------------------------------


class _Ending(Exception):
    """The supervisor was told to end the environment, or the emulator is gone."""


def supervise() -> None:
    """Start the runtime as a child process and return in it; in this process, wait until the
    runtime exits or the environment is to end, end every process below, and exit as the runtime
    did (its exit status, or the signal that killed it)."""
    emulator = os.getppid()
    _become_subreaper()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # until its handler is set
    runtime = os.fork()
    if runtime == 0:
        os.setpgid(0, 0)  # a process group of its own, which its children join
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        return
    try:
        os.setpgid(runtime, runtime)  # also here: whichever of the two runs first
    except OSError:  # it already exited
        pass
    os.close(0)  # the channel is the runtime's alone
    os.close(1)

    ending = []  # once set, the handlers below raise no more: the supervisor is ending

    def end(*_) -> None:
        if not ending:
            ending.append(True)
            raise _Ending

    def check_emulator(*_) -> None:
        if os.getppid() != emulator:  # the emulator is gone: so is this environment
            end()

    signal.signal(signal.SIGTERM, end)
    signal.signal(signal.SIGALRM, check_emulator)
    status = None
    try:
        signal.setitimer(signal.ITIMER_REAL, PARENT_CHECK_S, PARENT_CHECK_S)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        while status is None:
            pid, wait_status = os.waitpid(-1, 0)  # the runtime, or an orphan it left behind
            if pid == runtime:
                status = wait_status
        ending.append(True)
    except (_Ending, ChildProcessError):
        pass
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _exit_as(end_processes_below(runtime, status))


def _become_subreaper() -> None:
    """On Linux, processes below this one whose parent exits become its children, not init's."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def end_processes_below(runtime: int, status: int | None) -> int | None:
    """Kill the runtime, its process group and every process below this one, until none is
    left; the runtime's wait status. /proc is read only when the handler left processes."""
    if status is None:  # (once reaped, its number may be another process's)
        _kill(os.kill, runtime)
    _kill(os.killpg, runtime)  # all it started that stayed in its group
    while True:
        try:
            pid, wait_status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:  # no child left: nothing below this process any more
            return status
        if pid == 0 and status is None:  # the runtime is dying; its orphans come here
            pid, wait_status = os.waitpid(runtime, 0)
        elif pid == 0:  # processes it left behind, perhaps in sessions of their own
            for below in descendants(os.getpid()):
                _kill(os.kill, below)
            pid, wait_status = os.waitpid(-1, 0)
        if pid == runtime:
            status = wait_status


def _kill(kill, target: int) -> None:
    try:
        kill(target, signal.SIGKILL)
    except OSError:  # gone already
        pass


def descendants(root: int) -> list[int]:
    """Every process below ``root``, from /proc (none where there is no /proc)."""
    children: dict[int, list[int]] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return []
    for name in names:
        if not name.isdigit():
            continue
        try:
            fd = os.open(f"/proc/{name}/stat", os.O_RDONLY)
        except OSError:  # gone meanwhile
            continue
        try:
            stat = os.read(fd, 512)
        except OSError:
            continue
        finally:
            os.close(fd)
        after_name = stat[stat.rfind(b")") + 2 :].split(None, 2)  # state, parent, ...
        if len(after_name) >= 2:
            children.setdefault(int(after_name[1]), []).append(int(name))
    found, todo = [], [root]
    while todo:
        below = children.get(todo.pop(), [])
        found += below
        todo += below
    return found


def _exit_as(status: int | None) -> None:
    """Exit with the runtime's exit status, or die of the signal that killed it."""
    if status is not None and os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            import resource

            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a copy of its death, no core file
        except (ImportError, ValueError, OSError):
            pass
        try:
            signal.signal(number, signal.SIG_DFL)  # (SIGKILL's cannot be set, nor need be)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {number})
        except (OSError, ValueError):
            pass
        os.kill(os.getpid(), number)
        os._exit(128 + number)
    os._exit(os.WEXITSTATUS(status) if status is not None and os.WIFEXITED(status) else 1)


# --- The template --------------------------------------------------------------------------

MAX_FDS = 8  # file descriptors a request to the template may carry
TEMPLATE_IMPORTS = ("ctypes", "importlib", "resource", "traceback")  # what environments use


def send_message(channel, header: dict, fds: list[int] = ()) -> None:
    """One message on the template's channel (a stream socket): a frame as ``write_frame``
    writes it, with ``fds`` attached to its first bytes."""
    import socket

    meta = json.dumps(header).encode()
    data = len(meta).to_bytes(4, "big") + (0).to_bytes(4, "big") + meta
    ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, bytes(memoryview(_int_array(fds))))]
    sent = channel.sendmsg([data], ancillary if fds else [])
    if sent < len(data):
        channel.sendall(data[sent:])


def receive_message(channel) -> tuple[dict, list[int]] | None:
    """The next message and the descriptors that came with it; ``None`` once the channel is
    closed."""
    import socket

    size = socket.CMSG_SPACE(MAX_FDS * 4)
    data, ancillary, _, _ = channel.recvmsg(PREFIX_SIZE, size)
    if not data:
        return None
    fds = []
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds += list(_int_array(payload[: len(payload) - len(payload) % 4]))
    while len(data) < PREFIX_SIZE:
        chunk = channel.recv(PREFIX_SIZE - len(data))
        if not chunk:
            return None
        data += chunk
    size = int.from_bytes(data[:4], "big")
    meta = b""
    while len(meta) < size:
        chunk = channel.recv(size - len(meta))
        if not chunk:
            return None
        meta += chunk
    return json.loads(meta), fds


def _int_array(values):
    import array

    return array.array("i", values)


def serve_template() -> None:
    """Fork an environment for each request on the channel (fd 0) and report each one's pid
    and, when it exits, its wait status; exit when the channel closes. Returns only in a forked
    environment, which then goes on as ``python -S bootstrap.py`` would."""
    import select
    import socket

    for name in TEMPLATE_IMPORTS:
        __import__(name)
    channel = socket.socket(fileno=0)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so that SIGCHLD wakes select
    while True:
        readable, _, _ = select.select([channel, wake_read], [], [])
        if wake_read in readable:
            os.read(wake_read, 512)
            _report_exits(channel)
        if channel not in readable:
            continue
        message = receive_message(channel)
        if message is None:  # the emulator closed its end: it is gone, or stopping
            os._exit(0)
        request, fds = message
        pid = os.fork()
        if pid == 0:
            channel.close()
            for fd in (wake_read, wake_write):
                os.close(fd)
            _become_environment(request, fds)
            return
        for fd in fds:
            os.close(fd)
        try:
            pidfd = [os.pidfd_open(pid)]  # the emulator signals it without fearing pid reuse
        except (AttributeError, OSError):
            pidfd = []
        send_message(channel, {"id": request["id"], "pid": pid}, pidfd)
        for fd in pidfd:
            os.close(fd)


def _report_exits(channel) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        send_message(channel, {"exited": pid, "status": status})


def _become_environment(request: dict, fds: list[int]) -> None:
    """In the forked process: what starting ``python -S bootstrap.py`` with the request's
    working directory, environment and standard streams would have given."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()  # nothing in the environment shares the template's session
    stdin, stdout, stderr = fds[:3]
    os.dup2(stdin, 0)
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    for fd in set(fds) - {0, 1, 2}:
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    time.tzset()  # TZ, read when the time module was loaded in the template
    sys.argv[:] = [os.path.abspath(__file__)]
    paths = [path for path in request["env"].get("PYTHONPATH", "").split(os.pathsep) if path]
    sys.path[:] = [sys.path[0], *paths, *sys.path[1:]]  # as PYTHONPATH puts them at start-up
    sys.dont_write_bytecode = bool(request["env"].get("PYTHONDONTWRITEBYTECODE"))


if __name__ == "__main__":
    if sys.argv[1:] == ["--template"]:
        serve_template()  # returns only in a forked environment
    sys.exit(main())
