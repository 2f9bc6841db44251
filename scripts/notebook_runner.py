"""Running one notebook as Jupyter would, for the scripts and tests that run notebooks.

``scripts/run_notebooks.py`` (store the outputs), ``scripts/run_aws_account.py`` (a real
account) and ``tests/test_aws_target.py`` (the account-like stand-in) all run a notebook the
same way: a fresh ``python3`` kernel started in the notebook's folder (as JupyterLab's and
nbval's are: that is how the tutorial's code knows the language), every cell in order, stopping
at the first cell that raises. What each does with the result is its own.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ERROR_CHARACTERS = 3000  # the end of a failing cell's error: its traceback's last lines


def run_notebook(path: Path, *, timeout: int = 600) -> tuple[nbformat.NotebookNode, str | None]:
    """Run the notebook at ``path`` in a fresh kernel, each cell within ``timeout`` seconds.

    Returns the notebook with the outputs of the cells that ran, and the first failing cell's
    error (``"NAME.ipynb: "`` and the end of the error), or ``None`` if every cell ran."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    except CellExecutionError as error:
        return notebook, f"{path.name}: {str(error)[-ERROR_CHARACTERS:]}"
    return notebook, None
