"""Shared by tests/test_conformance*.py: where the AWS-recorded cases are, their runner script
loaded as a module, and the tally of a run.

The cases and their runners live in ``../shared/`` (next to this repository, not in it); each
test skips, saying where it looked, when they are absent.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from collections.abc import Callable
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def load_runner(path: Path, module_name: str):
    """The runner script at ``path`` as a module called ``module_name``, for its ``run_case``
    (set-up, masking and comparison, imported as is)."""
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tally(
    results: list[dict], known: dict[str, str], label: Callable[[dict], tuple[str, str]]
) -> tuple[int, str]:
    """How many ``results`` passed, and one line per failing case: how it is shown, what
    differed, and why if it is known. ``label(result)`` gives the case's key in ``known`` and
    how it is shown."""
    lines = []
    for result in results:
        if result["result"] == "pass":
            continue
        key, shown = label(result)
        why = known.get(key, "NEW: not a known failure")
        lines.append(f"FAIL {shown}: {result['detail']}\n     ({why})")
    return Counter(result["result"] for result in results)["pass"], "\n".join(lines)
