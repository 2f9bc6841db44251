"""Shared by the benchmarks (benchmarks/bench_*.py, each run as a script): the repository and
the tests' helpers on ``sys.path``, and an emulator of the benchmark's own.

Not a benchmark itself: ``make bench`` runs the files named ``bench_*.py``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def importable() -> None:
    """Make ``sfn_tutorial`` (the repository) and the tests' helpers (``tests/``: ``asl``,
    ``lambda_code``, ``policies``) importable."""
    for folder in (ROOT / "tests", ROOT):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))


@contextlib.contextmanager
def own_emulator(prefix: str) -> Iterator[dict]:
    """The local target on an emulator of its own: a free port, its state in a new temporary
    folder (named ``prefix``...); its record while it runs; stopped and removed at the end."""
    importable()
    state_dir = tempfile.mkdtemp(prefix=prefix)
    os.environ.update(
        TUTORIAL_TARGET="local",
        SFN_TUTORIAL_PORT=str(free_port()),
        SFN_TUTORIAL_STATE_DIR=state_dir,
    )
    from sfn_tutorial.emulator import server

    try:
        yield server.ensure_running(progress=lambda message: None)
    finally:
        server.stop()
        shutil.rmtree(state_dir, ignore_errors=True)
