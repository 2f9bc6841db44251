"""The project's layout rules, checked on its source: modules talk to each other only through
public names, and no import leads back to the module it came from.

Every import counts, also those inside functions (which the emulator uses to import moto late):
a circle through a function-level import is still a circle a reader has to untangle.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "sfn_tutorial"


def project_modules() -> dict[str, Path]:
    """Every module of the project (``helpers`` and the package), by dotted name."""
    modules = {"helpers": ROOT / "helpers.py"}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def imports(path: Path, modules: dict[str, Path]) -> list[tuple[str, str]]:
    """``(module, name)`` for each project name ``path`` imports; ``name`` is empty for a
    whole module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names if alias.name in modules]
        elif isinstance(node, ast.ImportFrom) and node.module in modules and not node.level:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.append((submodule, "") if submodule in modules else (node.module, alias.name))
    return found


def test_no_module_imports_a_private_name_of_another():
    modules = project_modules()
    offences = [
        f"{name} imports {source}.{imported}"
        for name, path in modules.items()
        for source, imported in imports(path, modules)
        if imported.startswith("_") and source != name
    ]
    assert offences == []


def test_no_import_circles():
    modules = project_modules()
    graph = {
        name: {source for source, _ in imports(path, modules) if source != name}
        for name, path in modules.items()
    }
    circles = []

    def visit(name: str, trail: list[str]) -> None:
        for target in sorted(graph[name]):
            if target in trail:
                circles.append(" -> ".join(trail[trail.index(target) :] + [target]))
            elif target not in done:
                visit(target, trail + [target])
        done.add(name)

    done: set[str] = set()
    for name in sorted(graph):
        if name not in done:
            visit(name, [name])
    assert circles == []


def test_the_layout_rules_see_the_emulator():
    # Guards the two tests above against finding nothing to check.
    modules = project_modules()
    assert "sfn_tutorial.emulator.awslambda.service" in modules
    service_imports = imports(modules["sfn_tutorial.emulator.awslambda.service"], modules)
    assert ("sfn_tutorial.emulator.awslambda.runtime", "") in service_imports
