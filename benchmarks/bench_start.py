"""How long the local emulator takes to start, from ``ensure_running()`` until it is healthy.

Starts and stops an emulator on a free port ``STARTS`` times and prints one JSON line:
``{"name": "emulator_start_s", "median": <s>, "runs": [...]}``. Goal: ``median`` at most 2.0 s.
A learner waits this long in the first cell of a notebook after each ``make emulator-stop``.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import sys
import time
from pathlib import Path

STARTS = 5


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_once() -> float:
    """Seconds from ``ensure_running()`` to a healthy emulator on a new port; then stop it."""
    from sfn_tutorial.emulator import server

    port = _free_port()
    os.environ["SFN_TUTORIAL_PORT"] = str(port)
    started = time.perf_counter()
    server.ensure_running(progress=lambda message: None)
    elapsed = time.perf_counter() - started
    server.stop()
    return elapsed


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    runs = [start_once() for _ in range(STARTS)]
    figure = {
        "name": "emulator_start_s",
        "median": round(statistics.median(runs), 2),
        "runs": [round(run, 2) for run in runs],
    }
    print(json.dumps(figure), flush=True)


if __name__ == "__main__":
    main()
