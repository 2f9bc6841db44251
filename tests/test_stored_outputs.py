"""What the notebooks' stored outputs show a reader who opens them without running anything.

``scripts/run_notebooks.py`` runs the notebooks on an emulator that takes the port a learner's
would, so that the banners stored with them show the address the README gives. A run on a busy
machine, whose emulator got the next free port, would store another one: this test catches it.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from sfn_tutorial.emulator import server

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")) + sorted(
    (ROOT / "notebooks" / "ko").glob("[0-9]*.ipynb")
)
ENDPOINT = re.compile(r"(?:127\.0\.0\.1|localhost):(\d{2,5})")


def stored_text(path: Path) -> str:
    """Every text output stored in the notebook (streams, plain text, HTML)."""
    notebook = nbformat.read(path, as_version=4)
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            data = output.get("data", {})
            parts += [data.get("text/plain", ""), data.get("text/html", "")]
    return "\n".join(part if isinstance(part, str) else "".join(part) for part in parts)


def test_the_readme_gives_the_default_port():
    assert f"port {server.DEFAULT_PORT}" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: str(path.relative_to(ROOT)))
def test_stored_outputs_show_only_the_readmes_port(path):
    ports = set(ENDPOINT.findall(stored_text(path)))
    assert ports <= {str(server.DEFAULT_PORT)}, f"{path.name} stores endpoints on {ports}"
