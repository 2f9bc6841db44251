"""Re-run every notebook, in order, on a fresh local emulator, and store the outputs in place.

`make notebooks` runs this after a change to code the notebooks use, so that the outputs
committed with them (which readers see on GitHub, and strict nbval compares) are today's.
Names of notebooks (e.g. `05_triggers.ipynb`, or a Korean twin: `ko/05_triggers.ipynb`) run
only those.

Each folder's notebooks (the English ones in notebooks/, the Korean twins in notebooks/ko/) run
on an emulator of their own, started fresh for them, so a twin prints what its English notebook
printed on the same fresh start, in its own language. Each kernel starts in its notebook's
folder, as JupyterLab's and nbval's do: that is how the tutorial's code knows the language.

The emulator is a new one with a record in a temporary folder, so it neither reuses nor
disturbs yours, and it takes the port a learner's would (4599 when free), so the banners that
the notebooks store show the address the README gives.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from itertools import groupby
from pathlib import Path

import nbformat
from notebook_runner import run_notebook

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TWIN_FOLDERS = ("ko",)  # notebooks/<language>/: the translated editions


def all_notebooks() -> list[Path]:
    """The English notebooks, then each translated edition's twins."""
    found = sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
    for folder in TWIN_FOLDERS:
        found += sorted((NOTEBOOKS / folder).glob("[0-9]*.ipynb"))
    return found


def run(paths: list[Path]) -> None:
    """Run ``paths`` (notebooks of one folder) in order on a fresh emulator, storing outputs."""
    state_dir = tempfile.mkdtemp(prefix="sfn-tutorial-notebooks-")
    os.environ["SFN_TUTORIAL_STATE_DIR"] = state_dir
    from sfn_tutorial.emulator import server

    record = server.ensure_running()
    try:
        if record["port"] != server.DEFAULT_PORT:  # the stored banners would show this port
            raise SystemExit(
                f"Port {server.DEFAULT_PORT}, the one the README gives, is taken (another "
                "emulator? `make emulator-stop` stops yours): stop what uses it, then run again."
            )
        for path in paths:
            print(f"running {path.relative_to(NOTEBOOKS)}", flush=True)
            notebook, error = run_notebook(path, timeout=600)
            if error:  # stop at the first failure, storing nothing of that notebook
                raise SystemExit(f"FAILED {error}")
            nbformat.write(notebook, path)
    finally:
        server.stop()
        shutil.rmtree(state_dir, ignore_errors=True)


def main(names: list[str]) -> None:
    os.environ["TUTORIAL_TARGET"] = "local"
    os.environ.pop("SFN_TUTORIAL_PORT", None)
    paths = [NOTEBOOKS / name for name in names] or all_notebooks()
    for _folder, group in groupby(paths, key=lambda path: path.parent):
        run(list(group))


if __name__ == "__main__":
    main(sys.argv[1:])
