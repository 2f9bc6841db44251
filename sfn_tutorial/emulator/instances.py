"""Which emulator is this user's: a private record of its port, pid, version and credentials.

Each user's emulator is theirs alone. When it starts, its record is written to a folder only
that user can read (``state_dir()``, mode 0700): the port it listens on, its process id, the
fingerprint of the code it runs, an id for this start, and the credentials it accepts.
``connect()`` reads the record to find and sign for the user's emulator; a second user on the
same machine has another folder, so another emulator on another port.

The default emulator's record is ``emulator.json``; one started on a port chosen with
``SFN_TUTORIAL_PORT`` (as the tests do) has ``emulator-PORT.json``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

STATE_DIR_VARIABLE = "SFN_TUTORIAL_STATE_DIR"
SERVER_MODULE = "sfn_tutorial.emulator.server"
EMULATOR_SOURCES = Path(__file__).resolve().parent


class InstanceError(RuntimeError):
    """The user's emulator records cannot be kept safely; the message says why."""


@dataclass(frozen=True)
class Record:
    """One running emulator, as its owner's private record describes it."""

    port: int
    pid: int
    fingerprint: str
    instance_id: str
    access_key_id: str
    secret_access_key: str


def state_dir() -> Path:
    """The user's private folder for emulator records, created with mode 0700:
    ``$SFN_TUTORIAL_STATE_DIR``, else ``$XDG_RUNTIME_DIR/sfn-tutorial``, else
    ``~/.local/state/sfn-tutorial``. A folder another user owns or can read is refused."""
    if os.environ.get(STATE_DIR_VARIABLE):
        folder = Path(os.environ[STATE_DIR_VARIABLE])
    elif os.environ.get("XDG_RUNTIME_DIR"):
        folder = Path(os.environ["XDG_RUNTIME_DIR"]) / "sfn-tutorial"
    else:
        folder = Path.home() / ".local" / "state" / "sfn-tutorial"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.lstat()
    if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise InstanceError(
            f"{folder} must be a folder that only you can use (mode 0700, owned by you); it "
            "holds the local emulator's credentials. Fix it with `chmod 700` or choose another "
            f"folder with {STATE_DIR_VARIABLE}."
        )
    return folder


def record_path(port: int | None) -> Path:
    """The record of the user's default emulator (``port`` None) or of the one on ``port``."""
    return state_dir() / ("emulator.json" if port is None else f"emulator-{port}.json")


def read(path: Path) -> Record | None:
    """The record at ``path``, or ``None`` when there is none or it is unreadable."""
    try:
        return Record(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def write(path: Path, record: Record) -> None:
    """Write ``record`` to ``path`` atomically, readable by the user alone (mode 0600)."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".record-")
    with os.fdopen(descriptor, "w") as file:  # mkstemp creates it with mode 0600
        json.dump(asdict(record), file)
    os.replace(temporary, path)


def forget(path: Path) -> None:
    """Remove the record at ``path``, if any."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


@contextlib.contextmanager
def locked():
    """Hold the user's emulator lock: two kernels starting at once start one emulator."""
    import fcntl

    with open(state_dir() / "emulator.lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def fingerprint() -> str:
    """What identifies the emulator's code: a hash of its sources, moto's version and the
    Python running it. An emulator started from other code has another fingerprint."""
    from importlib.metadata import version

    digest = hashlib.sha256(f"{version('moto')}|{sys.version}".encode())
    for path in sorted(EMULATOR_SOURCES.rglob("*.py")):
        digest.update(str(path.relative_to(EMULATOR_SOURCES)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def is_users_emulator(pid: int, port: int) -> bool:
    """Whether process ``pid`` is an emulator of this user's serving ``port``: it runs the
    emulator's module with that port, and it belongs to this user."""
    command = [word for word in _command_line(pid) or [] if word]
    return (
        SERVER_MODULE in command
        and any(
            a == "--port" and b == str(port) for a, b in zip(command, command[1:], strict=False)
        )
        and _owner(pid) == os.getuid()
    )


def _command_line(pid: int) -> list[str] | None:
    if not Path("/proc/self").exists():  # macOS: no /proc, ask ps
        done = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True)
        return done.stdout.decode(errors="replace").split() if done.returncode == 0 else None
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return None


def _owner(pid: int) -> int | None:
    if not Path("/proc/self").exists():
        done = subprocess.run(["ps", "-o", "uid=", "-p", str(pid)], capture_output=True)
        return int(done.stdout) if done.returncode == 0 else None
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None
