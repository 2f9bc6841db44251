"""Keep the Korean twins (notebooks/ko/) in step with the English notebooks they translate.

    .venv/bin/python scripts/sync_korean.py                  # every twin
    .venv/bin/python scripts/sync_korean.py 04_executions.ipynb
    .venv/bin/python scripts/sync_korean.py --accept 04_executions.ipynb[:CELL_ID]
    .venv/bin/python scripts/sync_korean.py --check          # report only, change nothing

A twin is the English notebook with its markdown in Korean. Syncing rebuilds each twin from its
English notebook: the same cells in the same order, with the same ids, cell types, code, tags
and metadata. What is the twin's own is kept, by cell id: the Korean source of each markdown
cell, and the outputs of each code cell whose code has not changed (they are what the Korean
notebook printed; a cell whose code changed gets the English outputs until the twin is run
again with ``scripts/run_notebooks.py ko/NAME.ipynb``, which the report asks for).

Each translated markdown cell records in its metadata (``translation.source_sha256``) a hash of
the English source it translates. The report lists, per twin, the markdown cells a translator
must look at, and the script exits with 1 if there are any:

* ``new``: an English cell the twin does not have yet (it is added, in English, to translate);
* ``changed``: an English cell whose source changed since its translation (hash differs);
* ``unrecorded``: a translation with no hash yet (as a translator's first twin has).

Once a translator has brought a cell's Korean up to date, ``--accept NAME:CELL_ID`` (or
``--accept NAME`` for all of a twin's listed cells) records the hash of the English source it
now translates. docs/translating.md tells the whole routine.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LANGUAGE = "ko"
TWINS = NOTEBOOKS / LANGUAGE
KEY = "translation"  # the markdown cell's metadata key: {"language": "ko", "source_sha256": ...}
OWN_NOTEBOOK_METADATA = ("widgets",)  # the twin's own widget state, saved by its own run


def source_hash(source: str) -> str:
    """The hash a translation records of the English source it translates."""
    return hashlib.sha256(source.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Finding:
    """A markdown cell a translator has to look at."""

    notebook: str
    cell_id: str
    kind: str  # "new", "changed" or "unrecorded"
    first_line: str

    def __str__(self) -> str:
        return f"  {self.kind:10} cell {self.cell_id}: {self.first_line}"


def english_notebooks() -> list[Path]:
    """Every English notebook, in order."""
    return sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))


def twin_path(english: Path) -> Path:
    """Where an English notebook's Korean twin lives."""
    return TWINS / english.name


def _first_line(source: str) -> str:
    line = next((line for line in source.splitlines() if line.strip()), "")
    return line if len(line) <= 70 else line[:69] + "…"


def translation_state(english_cell, twin_cell) -> str:
    """``"current"``, or why the twin's markdown cell needs a translator: ``"new"`` (no
    translation), ``"changed"`` (the English changed since), ``"unrecorded"`` (no hash)."""
    if twin_cell is None or twin_cell.cell_type != "markdown":
        return "new"
    if twin_cell.source == english_cell.source:
        return "new"  # still the English text: not translated yet
    recorded = twin_cell.metadata.get(KEY, {}).get("source_sha256")
    if recorded is None:
        return "unrecorded"
    return "current" if recorded == source_hash(english_cell.source) else "changed"


def synced(english, twin, accept: set[str] | bool = frozenset()):
    """The twin rebuilt from ``english`` (both nbformat notebooks), and its findings.

    ``accept``: cell ids (or True for all) whose translation is now current: their hash is
    recorded."""
    own = {cell.id: cell for cell in twin.cells} if twin is not None else {}
    rebuilt = copy.deepcopy(english)
    if twin is not None:
        for key in OWN_NOTEBOOK_METADATA:
            if key in twin.metadata:
                rebuilt.metadata[key] = copy.deepcopy(twin.metadata[key])
            else:
                rebuilt.metadata.pop(key, None)
    findings = []
    for index, cell in enumerate(english.cells):
        mine = own.get(cell.id)
        new = rebuilt.cells[index]
        if cell.cell_type == "code":
            if mine is not None and mine.cell_type == "code" and mine.source == cell.source:
                new.outputs = copy.deepcopy(mine.outputs)
                new.execution_count = mine.execution_count
                if "execution" in mine.metadata:
                    new.metadata["execution"] = copy.deepcopy(mine.metadata["execution"])
            continue
        if cell.cell_type != "markdown":
            continue
        state = translation_state(cell, mine)
        if state == "new":
            findings.append(("new", cell))
            continue
        new.source = mine.source
        recorded = mine.metadata.get(KEY, {}).get("source_sha256")
        if accept is True or cell.id in accept:
            recorded, state = source_hash(cell.source), "current"
        if recorded is not None:
            new.metadata[KEY] = {"language": LANGUAGE, "source_sha256": recorded}
        if state != "current":
            findings.append((state, cell))
    return rebuilt, findings


def changed_code(english, twin) -> list[str]:
    """Ids of code cells whose code the twin does not have yet (its outputs are stale)."""
    own = {cell.id: cell for cell in twin.cells} if twin is not None else {}
    return [
        cell.id
        for cell in english.cells
        if cell.cell_type == "code" and (cell.id not in own or own[cell.id].source != cell.source)
    ]


def sync(english_path: Path, accept=frozenset(), write: bool = True):
    """Sync one twin; return its findings and the ids of code cells to run again."""
    english = nbformat.read(english_path, as_version=4)
    path = twin_path(english_path)
    twin = nbformat.read(path, as_version=4) if path.exists() else None
    rebuilt, found = synced(english, twin, accept)
    stale_code = changed_code(english, twin)
    if write and (twin is None or rebuilt != twin):
        path.parent.mkdir(exist_ok=True)
        nbformat.write(rebuilt, path)
    name = f"{LANGUAGE}/{english_path.name}"
    findings = [Finding(name, cell.id, kind, _first_line(cell.source)) for kind, cell in found]
    return findings, stale_code


def _accepted(arguments: list[str], name: str):
    """The cell ids ``--accept`` names for notebook ``name`` (True: all of them)."""
    ids: set[str] = set()
    for argument in arguments:
        notebook, _, cell_id = argument.partition(":")
        if Path(notebook).name == name:
            if not cell_id:
                return True
            ids.add(cell_id)
    return ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="English notebooks (default: all)")
    parser.add_argument("--accept", action="append", default=[], metavar="NAME[:CELL_ID]")
    parser.add_argument("--check", action="store_true", help="report only; write nothing")
    options = parser.parse_args(argv)
    accepted = [argument.partition(":")[0] for argument in options.accept]
    names = {Path(name).name for name in options.names + accepted}
    paths = [path for path in english_notebooks() if not names or path.name in names]
    all_findings, to_run = [], []
    for path in paths:
        findings, stale_code = sync(
            path, _accepted(options.accept, path.name), write=not options.check
        )
        if findings:
            print(f"{LANGUAGE}/{path.name}")
            print("\n".join(str(finding) for finding in findings))
        if stale_code:
            to_run.append(f"{LANGUAGE}/{path.name}")
        all_findings += findings
    if to_run:
        print(
            "Code changed in "
            + ", ".join(to_run)
            + ": store the twins' own outputs with\n  .venv/bin/python scripts/run_notebooks.py "
            + " ".join(to_run)
        )
    if all_findings:
        print(
            f"{len(all_findings)} markdown cells to translate. Once a cell's Korean is up to "
            "date, record it: scripts/sync_korean.py --accept NAME:CELL_ID (or --accept NAME)."
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
