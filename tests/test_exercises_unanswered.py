"""A learner who skips every exercise: each notebook runs with its solution cells emptied, and
every check cell says ❌ while no cell raises.

Strict nbval (``notebooks/``) proves the other side: run with the solutions, each check cell's
stored output, its ✅ line, is what it prints. Each notebook runs on its own, as a learner may
run it, on its worker's emulator, emptied first (by the ``emulator`` fixture) so that nothing
built by earlier tests answers an exercise; a notebook of this file that ran before it on the same
worker may have left what it built, as a learner's earlier notebooks do.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
WITH_EXERCISES = [
    path.name for path in sorted(NOTEBOOKS.glob("[0-9]*.ipynb")) if '"exercise"' in path.read_text()
]


def tagged(cell, tag: str) -> bool:
    return tag in cell.get("metadata", {}).get("tags", [])


def test_every_notebook_from_01_on_has_exercises():
    numbered = [path.name for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))]
    lessons = [name for name in numbered if name[:2] not in ("00", "99")]
    assert WITH_EXERCISES == lessons


@pytest.mark.parametrize("name", WITH_EXERCISES)
def test_skipping_every_exercise_gives_a_cross_per_check_and_no_error(emulator, name):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    for cell in notebook.cells:
        if tagged(cell, "solution"):
            cell.source = ""
    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    ).execute()

    errors = [
        f"cell {index}: {output['ename']}: {output['evalue']}"
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert errors == []
    lines = [
        "".join(output.get("text", "") for output in cell.outputs)
        for cell in notebook.cells
        if tagged(cell, "check")
    ]
    assert lines, f"{name} has no check cell"
    not_crosses = [line for line in lines if not line.startswith("❌ ") or line.count("\n") != 1]
    assert not_crosses == [], json.dumps(lines, ensure_ascii=False, indent=1)
