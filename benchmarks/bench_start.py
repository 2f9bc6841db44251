"""How long the local emulator takes to start, from ``ensure_running()`` until it is healthy.

Starts and stops an emulator on a free port ``STARTS`` times and prints one JSON line:
``{"name": "emulator_start_s", "median": <s>, "runs": [...]}``. Goal: ``median`` at most 2.0 s.
A learner waits this long in the first cell of a notebook after each ``make emulator-stop``.
"""

from __future__ import annotations

import json
import os
import statistics
import time

import common

STARTS = 5


def start_once() -> float:
    """Seconds from ``ensure_running()`` to a healthy emulator on a new port; then stop it."""
    from sfn_tutorial.emulator import server

    port = common.free_port()
    os.environ["SFN_TUTORIAL_PORT"] = str(port)
    started = time.perf_counter()
    server.ensure_running(progress=lambda message: None)
    elapsed = time.perf_counter() - started
    server.stop()
    return elapsed


def main() -> None:
    common.importable()
    runs = [start_once() for _ in range(STARTS)]
    figure = {
        "name": "emulator_start_s",
        "median": round(statistics.median(runs), 2),
        "runs": [round(run, 2) for run in runs],
    }
    print(json.dumps(figure), flush=True)


if __name__ == "__main__":
    main()
