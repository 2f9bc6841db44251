"""Re-run every notebook, in order, on a fresh local emulator, and store the outputs in place.

`make notebooks` runs this after a change to code the notebooks use, so that the outputs
committed with them (which readers see on GitHub, and strict nbval compares) are today's.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main(names: list[str]) -> None:
    os.environ["TUTORIAL_TARGET"] = "local"
    os.environ["SFN_TUTORIAL_PORT"] = str(free_port())
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


if __name__ == "__main__":
    main(sys.argv[1:])
