"""pytest inside a notebook (ipytest, notebook 14) keeps to the notebook's tests.

A kernel runs in ``notebooks/``, so the pytest that ipytest starts in it would take this
repository's configuration: ``pyproject.toml``'s options (``--nbval``..., which a learner's
environment, without nbval, does not even know) and the root ``conftest.py``, which starts an
emulator of its own on a new port and points ``SFN_TUTORIAL_PORT`` at it, in the very process
whose cells use the notebook's emulator. Notebook 14's ``ipytest.autoconfig`` options keep all
of that out; the control shows that without them it does happen.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK = NOTEBOOKS / "14_testing_workflows.ipynb"
WHERE = 'import os\nprint(os.environ.get("SFN_TUTORIAL_PORT"), os.environ.get("AWS_ENDPOINT_URL"))'
TESTS = """%%ipytest
def test_the_projects_options_do_not_apply(pytestconfig):
    assert pytestconfig.getini("addopts") == []
    assert pytestconfig.getoption("noconftest")
"""


def configuration_cell() -> str:
    """Notebook 14's cell that configures ipytest."""
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    (source,) = [cell.source for cell in cells if "ipytest.autoconfig(" in cell.source]
    return source


def outputs(*sources: str) -> list[str]:
    """The text each cell printed, run in order in one kernel in ``notebooks/``."""
    notebook = new_notebook(cells=[new_code_cell(source) for source in sources])
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    ).execute()
    return ["".join(output.get("text", "") for output in cell.outputs) for cell in notebook.cells]


def test_notebook_14s_pytest_takes_neither_the_projects_options_nor_its_conftest(emulator):
    before, _, tests, after = outputs(
        WHERE, "import ipytest\n" + configuration_cell(), TESTS, WHERE
    )
    assert "1 passed" in tests, tests
    assert after == before  # the same emulator, at the same port


def test_without_those_options_the_projects_conftest_moves_the_kernel_to_an_emulator_of_its_own(
    emulator,
):
    plain = "import ipytest\nipytest.autoconfig(addopts=['-q', '--color=no'])"
    before, _, tests, after = outputs(WHERE, plain, TESTS, WHERE)
    assert "1 failed" in tests  # --nbval and the rest came from pyproject.toml
    assert after.split()[0] != before.split()[0]  # SFN_TUTORIAL_PORT: another emulator's
