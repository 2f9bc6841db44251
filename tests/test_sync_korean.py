"""scripts/sync_korean.py: a twin rebuilt from its English notebook, its Korean kept by cell id,
and the markdown cells a translator must redo found by the hash of the English they translate."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parents[1]


def _load():
    spec = importlib.util.spec_from_file_location("sync_korean", ROOT / "scripts/sync_korean.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


sync_korean = _load()


def cell(factory, cell_id, source, **fields):
    made = factory(source, **fields)
    made.id = cell_id
    return made


def english_notebook():
    return new_notebook(
        cells=[
            cell(new_markdown_cell, "intro", "# 04 Executions\n\nRun the machine."),
            cell(
                new_code_cell,
                "run",
                "helpers.run(arn)",
                metadata={"tags": ["check"]},
                outputs=[new_output("stream", name="stdout", text="Path: Start -> End\n")],
                execution_count=1,
            ),
            cell(new_markdown_cell, "summary", "## Summary\n\nYou ran it."),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )


def translated(english):
    """The twin a translator hands over: Korean markdown, its own outputs, no hashes yet."""
    twin = nbformat.from_dict(english)
    twin.cells[0].source = "# 04 실행\n\n상태 머신을 실행합니다."
    twin.cells[1].outputs = [new_output("stream", name="stdout", text="경로: 시작 -> 종료\n")]
    twin.cells[2].source = "## 요약\n\n실행해 보았습니다."
    twin.metadata["widgets"] = {"state": "the twin's own"}
    return twin


def kinds(findings):
    return [(kind, cell.id) for kind, cell in findings]


def test_a_first_twin_is_unrecorded_until_accepted_then_current():
    english = english_notebook()
    twin, findings = sync_korean.synced(english, translated(english))
    assert kinds(findings) == [("unrecorded", "intro"), ("unrecorded", "summary")]
    twin, findings = sync_korean.synced(english, twin, accept=True)
    assert findings == []
    recorded = twin.cells[0].metadata[sync_korean.KEY]
    assert recorded == {
        "language": "ko",
        "source_sha256": sync_korean.source_hash(english.cells[0].source),
    }
    assert sync_korean.synced(english, twin)[1] == []  # and it stays current


def test_the_twin_keeps_its_korean_and_its_own_outputs_and_takes_the_english_code():
    english = english_notebook()
    twin, _ = sync_korean.synced(english, translated(english), accept=True)
    english.cells[1].metadata["tags"] = ["check", "nbval-ignore-output"]
    rebuilt, _ = sync_korean.synced(english, twin)
    assert rebuilt.cells[0].source.startswith("# 04 실행")
    assert rebuilt.cells[1].outputs[0]["text"] == "경로: 시작 -> 종료\n"  # same code: kept
    assert rebuilt.cells[1].metadata["tags"] == ["check", "nbval-ignore-output"]
    assert rebuilt.metadata["widgets"] == {"state": "the twin's own"}
    english.cells[1].source = "helpers.run(arn, {})"
    rebuilt, _ = sync_korean.synced(english, twin)
    assert rebuilt.cells[1].source == "helpers.run(arn, {})"
    assert rebuilt.cells[1].outputs[0]["text"] == "Path: Start -> End\n"  # to be run again
    assert sync_korean.changed_code(english, twin) == ["run"]


def test_english_cells_new_changed_or_removed_are_reported_and_followed():
    english = english_notebook()
    twin, _ = sync_korean.synced(english, translated(english), accept=True)
    english.cells[2].source = "## Summary\n\nYou ran it twice."
    english.cells.insert(1, cell(new_markdown_cell, "more", "Read the history too."))
    del english.cells[-1]  # "summary" removed...
    english.cells.append(cell(new_markdown_cell, "summary", "## Summary\n\nYou ran it twice."))
    rebuilt, findings = sync_korean.synced(english, twin)
    assert [c.id for c in rebuilt.cells] == ["intro", "more", "run", "summary"]
    assert kinds(findings) == [("new", "more"), ("changed", "summary")]
    assert rebuilt.cells[1].source == "Read the history too."  # English until translated
    assert rebuilt.cells[3].source.startswith("## 요약")  # the old Korean, to be redone
    rebuilt.cells[3].source = "## 요약\n\n두 번 실행해 보았습니다."
    _, findings = sync_korean.synced(english, rebuilt, accept={"summary"})
    assert kinds(findings) == [("new", "more")]


@pytest.fixture
def written(tmp_path, monkeypatch):
    """Notebook 04 in English and its Korean twin, none of whose cells is recorded yet, written
    to ``tmp_path`` (the twin in ``ko/``), where the command reads them; the English one."""
    english = english_notebook()
    (tmp_path / "ko").mkdir()
    nbformat.write(english, tmp_path / "04_executions.ipynb")
    nbformat.write(translated(english), tmp_path / "ko" / "04_executions.ipynb")
    monkeypatch.setattr(sync_korean, "NOTEBOOKS", tmp_path)
    monkeypatch.setattr(sync_korean, "TWINS", tmp_path / "ko")
    return english


def test_the_command_writes_the_twin_and_exits_1_while_cells_need_a_translator(
    written, tmp_path, capsys
):
    assert sync_korean.main(["--check"]) == 1
    assert "unrecorded cell intro: # 04 Executions" in capsys.readouterr().out
    assert sync_korean.main(["--accept", "04_executions.ipynb"]) == 0
    assert sync_korean.main([]) == 0
    stored = nbformat.read(tmp_path / "ko" / "04_executions.ipynb", as_version=4)
    assert sync_korean.KEY in stored.cells[0].metadata


def test_accepting_one_cell_by_name_and_id_records_only_that_cell(written, tmp_path):
    first = written.cells[0].id
    assert sync_korean.main(["--accept", f"04_executions.ipynb:{first}"]) == 1  # others remain
    stored = nbformat.read(tmp_path / "ko" / "04_executions.ipynb", as_version=4)
    recorded = [cell.id for cell in stored.cells if sync_korean.KEY in cell.metadata]
    assert recorded == [first]
