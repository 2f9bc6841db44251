"""Re-run every notebook, in order, on a fresh local emulator, and store the outputs in place.

`make notebooks` runs this after a change to code the notebooks use, so that the outputs
committed with them (which readers see on GitHub, and strict nbval compares) are today's.
Names of notebooks (e.g. `05_triggers.ipynb`) run only those.

The emulator is a new one with a record in a temporary folder, so it neither reuses nor
disturbs yours, and it takes the port a learner's would (4599 when free), so the banners that
the notebooks store show the address the README gives.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def main(names: list[str]) -> None:
    os.environ["TUTORIAL_TARGET"] = "local"
    os.environ.pop("SFN_TUTORIAL_PORT", None)
    state_dir = tempfile.mkdtemp(prefix="sfn-tutorial-notebooks-")
    os.environ["SFN_TUTORIAL_STATE_DIR"] = state_dir
    from sfn_tutorial.emulator import server

    server.ensure_running()
    try:
        paths = [NOTEBOOKS / name for name in names] or sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
        for path in paths:
            print(f"running {path.name}", flush=True)
            notebook = nbformat.read(path, as_version=4)
            NotebookClient(
                notebook,
                timeout=600,
                kernel_name="python3",
                resources={"metadata": {"path": str(NOTEBOOKS)}},
            ).execute()
            nbformat.write(notebook, path)
    finally:
        server.stop()
        shutil.rmtree(state_dir, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
