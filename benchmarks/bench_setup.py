"""How long a learner's set-up takes on a fresh clone, beside plain pip, both with warm caches.

Clones this checkout's HEAD into a temporary folder and times, in alternation, ``RUNS`` times each:

* ``scripts/setup.sh`` (what ``make lab`` runs first) making the clone's ``.venv`` from nothing,
  with uv's cache (and the cached uv) warm;
* plain ``python3 -m venv`` and ``pip install -r requirements.txt -c constraints.txt`` into a
  fresh folder, with pip's cache warm.

A first, untimed run of each fills the caches. One JSON line: ``{"name": "setup_s", "median":
<s>, "pip_s": <s>, "ratio": <median / pip_s>, ...}``. Goal: ``ratio`` at most 0.33 (a third of
pip's time).
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 3
GOAL_RATIO = 0.33


def _timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def learner_setup(clone: Path) -> float:
    shutil.rmtree(clone / ".venv", ignore_errors=True)
    return _timed(["bash", "scripts/setup.sh"], clone)


def plain_pip(clone: Path) -> float:
    venv = clone.parent / "pip-venv"
    shutil.rmtree(venv, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run(["python3", "-m", "venv", str(venv)], check=True, capture_output=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run(
        [*pip, "-r", "requirements.txt", "-c", "constraints.txt"],
        cwd=clone,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-setup-") as folder:
        clone = Path(folder) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        learner_setup(clone)  # warm-up: uv and the packages in their caches
        plain_pip(clone)
        pairs = [(learner_setup(clone), plain_pip(clone)) for _ in range(RUNS)]
    setup_s = statistics.median(setup for setup, _ in pairs)
    pip_s = statistics.median(pip for _, pip in pairs)
    figure = {
        "name": "setup_s",
        "median": round(setup_s, 1),
        "runs": [round(setup, 1) for setup, _ in pairs],
        "pip_s": round(pip_s, 1),
        "ratio": round(setup_s / pip_s, 2),
        "goal_ratio": GOAL_RATIO,
    }
    print(json.dumps(figure), flush=True)


if __name__ == "__main__":
    main()
