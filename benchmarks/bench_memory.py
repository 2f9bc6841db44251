"""How much memory a learner's emulator holds: the emulator and every process under it.

Starts an emulator on a free port (with a record in a temporary folder, so a learner's own is
untouched), runs every notebook before ``99_clean_up`` in order, as a learner does in one session,
and reads the memory of the emulator's whole process tree from ``/proc`` (Linux only). Then, as a
longer session would, it runs notebooks 04 onward a second time and reads it again. One JSON line:

``{"name": "learner_memory_mb", "pss_mb": ..., "rss_mb": ..., "processes": ...,
"emulator_rss_mb": ..., "warm_environments": ..., "longer": {...}, "goal_mb": 500}``

``pss_mb`` is the proportional set size summed over the processes: what they hold of the
machine's memory, a page shared by n of them counted 1/n in each (Lambda environments share the
interpreter's pages). ``rss_mb`` sums each process's resident set, counting shared pages once per
process, so it overstates the machine's use. Goal: ``pss_mb`` at most 500 after the first pass and
after the second (``longer``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import common

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
GOAL_MB = 500


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{name}/stat").read_bytes()
        except OSError:
            continue
        parent = int(stat[stat.rfind(b")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(name))
    return children


def _tree(root: int) -> list[int]:
    children, found, todo = _children(), [root], [root]
    while todo:
        below = children.get(todo.pop(), [])
        found += below
        todo += below
    return found


def _memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in kB, from /proc/PID/smaps_rollup; zeros if it is gone."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def measure(emulator_pid: int) -> dict:
    """The memory of the emulator and everything under it, now."""
    pids = _tree(emulator_pid)
    sizes = [_memory_kb(pid) for pid in pids]
    from sfn_tutorial.emulator.awslambda import workers

    return {
        "pss_mb": round(sum(pss for _, pss in sizes) / 1024),
        "rss_mb": round(sum(rss for rss, _ in sizes) / 1024),
        "processes": len(pids),
        "emulator_rss_mb": round(sizes[0][0] / 1024),
        "warm_environments_max": workers.MAX_WARM,
    }


def run_notebooks(paths: list[Path]) -> None:
    import nbformat
    from nbclient import NotebookClient

    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        NotebookClient(
            notebook,
            timeout=600,
            kernel_name="python3",
            resources={"metadata": {"path": str(NOTEBOOKS)}},
            extra_arguments=["--log-level=ERROR"],  # no warning per kernel on stderr
        ).execute()


def main() -> None:
    with common.own_emulator("bench-memory-") as record:
        notebooks = [path for path in sorted(NOTEBOOKS.glob("[0-9]*.ipynb")) if path.stem < "99"]
        run_notebooks(notebooks)
        figure = {"name": "learner_memory_mb", **measure(record["pid"])}
        run_notebooks([path for path in notebooks if path.stem >= "04"])
        figure["longer"] = measure(record["pid"])
        figure["notebooks"] = f"{notebooks[0].stem[:2]}-{notebooks[-1].stem[:2]}, then 04 on again"
        figure["goal_mb"] = GOAL_MB
        print(json.dumps(figure), flush=True)


if __name__ == "__main__":
    main()
