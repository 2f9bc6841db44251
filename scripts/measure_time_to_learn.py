"""Measure what each notebook asks of a learner, and estimate its "Time to learn".

    .venv/bin/python scripts/measure_time_to_learn.py            # notebooks 00-14, in order
    .venv/bin/python scripts/measure_time_to_learn.py 06 07      # only these (still in order)

Runs copies of the English notebooks top to bottom, in order, on one fresh emulator (in a
temporary folder, so the notebooks themselves and their stored outputs are untouched), as a
learner runs them, and prints one row per notebook: the words of its prose, the lines of its
code cells (solutions left out: a learner writes those), its exercises, the interactive tools it
asks a learner to try, the seconds its cells took, and the estimate.

The estimate adds to the cells' time: reading the prose at READING_WPM words a minute, reading
the code at CODE_LINES_PER_MINUTE lines a minute, EXERCISE_MINUTES per exercise (write, run,
check) and TOOL_MINUTES per tool, rounded up to the next 5 minutes. Those rates are assumptions
about a learner, not measurements of one: the facilitator guide says so, and a room's own times
are better. docs/facilitator-guide.md's timing table comes from this script's output.
"""

from __future__ import annotations

import math
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
READING_WPM = 150
CODE_LINES_PER_MINUTE = 15
EXERCISE_MINUTES = 5
TOOL_MINUTES = 5
# helpers' interactive forms a notebook asks the learner to try
TOOLS = re.compile(r"helpers\.(asl_editor|execution_runner|data_flow_inspector|approval_form)\(")


def measure(notebook) -> dict:
    """What the notebook asks of a learner, before running it."""
    markdown = [c.source for c in notebook.cells if c.cell_type == "markdown"]
    code = [
        c.source
        for c in notebook.cells
        if c.cell_type == "code" and "solution" not in c.metadata.get("tags", [])
    ]
    return {
        "words": sum(len(re.findall(r"\w+", source)) for source in markdown),
        "code_lines": sum(len(source.splitlines()) for source in code),
        "exercises": sum("check" in c.metadata.get("tags", []) for c in notebook.cells),
        "tools": len({match for source in code for match in TOOLS.findall(source)}),
    }


def estimate(row: dict) -> int:
    """Minutes to learn, rounded up to the next 5."""
    minutes = (
        row["words"] / READING_WPM
        + row["code_lines"] / CODE_LINES_PER_MINUTE
        + row["seconds"] / 60
        + row["exercises"] * EXERCISE_MINUTES
        + row["tools"] * TOOL_MINUTES
    )
    return 5 * math.ceil(minutes / 5)


def main(prefixes: list[str]) -> None:
    paths = [
        path
        for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
        if not path.name.startswith("99") and (not prefixes or path.name[:2] in prefixes)
    ]
    os.environ["SFN_TUTORIAL_STATE_DIR"] = tempfile.mkdtemp(prefix="sfn-tutorial-timing-")
    from sfn_tutorial.emulator import server

    server.ensure_running()
    print("| Notebook | Time to learn | Prose (words) | Code (lines) | Exercises | Tools | Cells |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    try:
        with tempfile.TemporaryDirectory(prefix="sfn-tutorial-copies-") as folder:
            for path in paths:
                notebook = nbformat.read(path, as_version=4)
                row = measure(notebook)
                start = time.monotonic()
                NotebookClient(
                    notebook,
                    timeout=900,
                    kernel_name="python3",
                    resources={"metadata": {"path": folder}},
                ).execute()
                row["seconds"] = time.monotonic() - start
                print(
                    f"| `{path.stem}` | {estimate(row)} min | {row['words']:,} |"
                    f" {row['code_lines']} | {row['exercises']} | {row['tools']} |"
                    f" {row['seconds']:.1f} s |",
                    flush=True,
                )
    finally:
        server.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
