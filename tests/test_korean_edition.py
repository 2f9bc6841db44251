"""The Korean edition: every English notebook has a Korean twin in notebooks/ko/ that runs the
same code and says the same things, in Korean.

For each English notebook (``notebooks/[0-9]*.ipynb``, so a missing twin fails here):

* the twin has the same cells, in the same order, with the same ids, cell types, code, tags and
  metadata (its markdown cells add only ``translation``, the hash of the English they translate;
  timings and the widgets' saved state are each run's own);
* its stored outputs are the English notebook's, line for line, except lines that are the same
  catalogue message in the two languages: the English line is an instance of an entry of
  ``sfn_tutorial/messages_ko.py`` and the twin's line of that entry's Korean, with the same
  values (``i18n.explain`` decides; values that change on every run are first replaced as
  nbval's sanitize file says). Such a line must be Korean in the twin: an English one there
  means the twin's outputs were not made by running it;
* each exercise's check answers in Korean there;
* every markdown cell is in Korean (mostly Hangul, code and names aside) and translates the
  English source it now has (the hash matches: ``scripts/sync_korean.py`` says what to redo).

So the twins need not run in CI beyond one: ko/04_executions.ipynb stays in the strict nbval
run (conftest.py) and tests/test_browser.py opens it.
"""

from __future__ import annotations

import html
import importlib.util
import re
import sys
from pathlib import Path

import nbformat
import pytest

from sfn_tutorial import i18n

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
ENGLISH = sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
SANITIZE = NOTEBOOKS / "sanitize.cfg"
# Outputs no two runs share byte for byte (conftest.py skips them under nbval too); figures
# (image/png) carry their labels in pixels.
UNCOMPARED = ("image/svg+xml", "image/png", "application/vnd.jupyter.widget-view+json")
RUN_OWN_CELL_METADATA = ("execution",)  # timings of the run
RUN_OWN_NOTEBOOK_METADATA = ("widgets",)  # the widgets' saved state (their ids, their labels)
HANGUL = re.compile("[\uac00-\ud7a3]")
LATIN = re.compile("[A-Za-z]")
MIN_KOREAN_SHARE = 0.3  # of a markdown cell's letters outside code, names and links
# A catalogue entry this specific cannot be hit by chance: an English line that is an instance of
# one must be translated in the twin. A sentence (four words or more) or a phrase of two words or
# more with a field, of enough letters of its own; not a name such as "DynamoDB table", which a
# notebook's own code may print as it is (a resource kind is also an entry, for the tables the
# tutorial's code makes).
SPECIFIC_LETTERS = 8
SPECIFIC_WORDS = 4


def _load_sync():
    spec = importlib.util.spec_from_file_location("sync_korean", ROOT / "scripts/sync_korean.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


sync_korean = _load_sync()


def sanitizers() -> list[tuple[re.Pattern, str]]:
    """nbval's rules from notebooks/sanitize.cfg: (regex, replacement) pairs."""
    rules, pattern = [], None
    for line in SANITIZE.read_text().splitlines():
        if line.startswith("regex: "):
            pattern = re.compile(line[len("regex: ") :])
        elif line.startswith("replace: ") and pattern is not None:
            rules.append((pattern, line[len("replace: ") :]))
            pattern = None
    return rules


RULES = sanitizers()


def sanitized(text: str) -> str:
    for pattern, replacement in RULES:
        text = pattern.sub(replacement, text)
    return text


def twin_of(english: Path) -> Path:
    return NOTEBOOKS / "ko" / english.name


def read_pair(english: Path):
    twin = twin_of(english)
    if not twin.exists():
        pytest.fail(
            f"{english.name} has no Korean twin: translate it into notebooks/ko/{english.name} "
            "(docs/translating.md)",
            pytrace=False,
        )
    return nbformat.read(english, as_version=4), nbformat.read(twin, as_version=4)


def _ids(notebook) -> list[str]:
    return [f"{cell.id} {cell.cell_type}" for cell in notebook.cells]


# ---------------------------------------------------------------- comparing outputs


def _specific(template: str) -> bool:
    words = " ".join(part for index, part in enumerate(i18n._parts(template)) if index % 2 == 0)
    # a phrase of one word and a field ("{count} versions") also ends lines that say other things
    phrase = bool(i18n.fields(template)) and len(words.split()) >= 2
    sentence = len(words.split()) >= SPECIFIC_WORDS or phrase
    return sentence and len(LATIN.findall(words)) >= SPECIFIC_LETTERS


SPECIFIC = {english for english, korean in i18n.CATALOGUES["ko"].items() if _specific(english)}


def must_be_translated(line: str) -> str | None:
    """The specific catalogue entry ``line`` is an instance of, if any."""
    normal = " ".join(line.split())
    for template in SPECIFIC:
        if i18n.CATALOGUES["ko"][template] == template:
            continue
        if next(i18n.matches(template, normal), None) is not None:
            return template
    return None


def _cells_of(line: str) -> list[str]:
    """A line of a text table, cut into its cells (two or more spaces apart)."""
    return [cell for cell in re.split(r"\s{2,}", line.strip()) if cell]


def compare_line(english: str, korean: str) -> tuple[str | None, str]:
    """``(problem or None, how)``: whether the twin's line says what the English one says."""
    if " ".join(english.split()) == " ".join(korean.split()):
        template = must_be_translated(english)
        if template is not None:
            return f"is the catalogue message {template!r}, but still in English", ""
        return None, "same"
    if i18n.explain(english, korean) is not None:
        return None, "catalogue"
    if set(english.strip()) <= set("- ") and set(korean.strip()) <= set("- "):
        return None, "rule"  # the rule under a text table's headings: as wide as the headings
    cells, translated = _cells_of(english), _cells_of(korean)
    if len(cells) > 1 and len(cells) == len(translated):
        if all(i18n.explain(a, b) is not None for a, b in zip(cells, translated, strict=True)):
            return None, "catalogue"
    return "differs and is no catalogue message in both languages", ""


def _html_parts(text: str) -> list[str]:
    """HTML cut into its tags and the text between them (unescaped, blank text left out)."""
    parts = re.split(r"(<[^>]*>)", text)
    return [part if part.startswith("<") else html.unescape(part) for part in parts if part.strip()]


def compare_text(english: str, korean: str, mime: str) -> list[str]:
    """The problems of a twin's text output (after nbval's sanitizing) against the English."""
    english, korean = sanitized(english), sanitized(korean)
    if mime == "text/html":
        lines, translated = _html_parts(english), _html_parts(korean)
    else:
        lines, translated = english.splitlines(), korean.splitlines()
    if len(lines) != len(translated):
        return [f"{mime}: {len(translated)} lines where the English has {len(lines)}"]
    problems = []
    for line, twin_line in zip(lines, translated, strict=True):
        if line.startswith("<") or twin_line.startswith("<"):
            if line != twin_line:
                problems.append(f"{mime}: markup {twin_line!r} where the English has {line!r}")
            continue
        problem, _how = compare_line(line, twin_line)
        if problem:
            problems.append(f"{mime}: {twin_line!r} for {line!r}: {problem}")
    return problems


def merged(outputs) -> list[dict]:
    """Outputs with neighbouring pieces of the same stream joined: how they split is timing."""
    result: list[dict] = []
    for output in outputs:
        if (
            output["output_type"] == "stream"
            and result
            and result[-1]["output_type"] == "stream"
            and result[-1]["name"] == output["name"]
        ):
            result[-1] = {**result[-1], "text": result[-1]["text"] + output["text"]}
        else:
            result.append(dict(output))
    return result


def compare_outputs(english_cell, twin_cell) -> list[str]:
    """The problems of a twin's code cell's outputs, against the English cell's."""
    english, twin = merged(english_cell.outputs), merged(twin_cell.outputs)
    shape = [(o["output_type"], o.get("name")) for o in english]
    if shape != [(o["output_type"], o.get("name")) for o in twin]:
        return [
            f"outputs {[(o['output_type'], o.get('name')) for o in twin]} where the English "
            f"has {shape}"
        ]
    problems = []
    for output, twin_output in zip(english, twin, strict=True):
        kind = output["output_type"]
        if kind == "stream":
            problems += compare_text(output["text"], twin_output["text"], output["name"])
        elif kind == "error":
            if output["ename"] != twin_output["ename"]:
                problems.append(
                    f"error {twin_output['ename']} where the English has {output['ename']}"
                )
            problems += compare_text(output["evalue"], twin_output["evalue"], "error")
        else:
            if sorted(output["data"]) != sorted(twin_output["data"]):
                problems.append(
                    f"{sorted(twin_output['data'])} where the English has {sorted(output['data'])}"
                )
                continue
            for mime, value in output["data"].items():
                if mime in UNCOMPARED or not isinstance(value, str):
                    continue
                problems += compare_text(value, twin_output["data"][mime], mime)
    return problems


# ---------------------------------------------------------------- the tests


def _name(path: Path) -> str:
    return path.stem


def test_there_are_notebooks_to_compare():
    assert len(ENGLISH) >= 15  # 00-13 and 99: the tests below are not vacuous


@pytest.mark.parametrize("english_path", ENGLISH, ids=_name)
def test_the_twin_has_the_same_cells_code_tags_and_metadata(english_path):
    english, twin = read_pair(english_path)
    assert _ids(twin) == _ids(english), "run scripts/sync_korean.py"
    notebook_metadata = {
        key: value for key, value in twin.metadata.items() if key not in RUN_OWN_NOTEBOOK_METADATA
    }
    assert notebook_metadata == {
        key: value
        for key, value in english.metadata.items()
        if key not in RUN_OWN_NOTEBOOK_METADATA
    }
    assert (twin.nbformat, twin.nbformat_minor) == (english.nbformat, english.nbformat_minor)
    for cell, twin_cell in zip(english.cells, twin.cells, strict=True):
        own = (*RUN_OWN_CELL_METADATA, sync_korean.KEY)
        metadata = {k: v for k, v in twin_cell.metadata.items() if k not in own}
        assert metadata == {k: v for k, v in cell.metadata.items() if k not in own}, cell.id
        if cell.cell_type == "code":
            assert twin_cell.source == cell.source, f"cell {cell.id}: run scripts/sync_korean.py"
            assert twin_cell.execution_count == cell.execution_count, cell.id
        else:
            assert sync_korean.KEY not in cell.metadata  # the English translates nothing


@pytest.mark.parametrize("english_path", ENGLISH, ids=_name)
def test_the_twin_prints_the_same_in_korean(english_path):
    """Outputs identical except lines that are one catalogue message in the two languages."""
    english, twin = read_pair(english_path)
    assert _ids(twin) == _ids(english), "run scripts/sync_korean.py"
    problems = []
    translated = 0
    for cell, twin_cell in zip(english.cells, twin.cells, strict=True):
        if cell.cell_type != "code" or "nbval-ignore-output" in cell.metadata.get("tags", []):
            continue  # outputs nbval does not compare either (timings, run-to-run values)
        problems += [f"cell {cell.id}: {problem}" for problem in compare_outputs(cell, twin_cell)]
        translated += sum(bool(HANGUL.search(str(output))) for output in merged(twin_cell.outputs))
    assert problems == [], (
        f"ko/{english_path.name} does not print what {english_path.name} prints, in Korean; "
        f"run it again (scripts/run_notebooks.py ko/{english_path.name}):\n  "
        + "\n  ".join(problems)
    )
    assert translated, "no output of the twin is in Korean: was it run in notebooks/ko/?"


@pytest.mark.parametrize("english_path", ENGLISH, ids=_name)
def test_the_twin_s_checks_answer_in_korean(english_path):
    _english, twin = read_pair(english_path)
    checks = [cell for cell in twin.cells if "check" in cell.metadata.get("tags", [])]
    for cell in checks:
        text = "".join(o.get("text", "") for o in cell.outputs if o["output_type"] == "stream")
        assert text.startswith(("✅", "❌")) and HANGUL.search(text), (cell.id, text)


def prose(markdown: str) -> str:
    """A markdown cell's words: code blocks, code spans, links' targets, HTML tags left out."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"https?://\S+", " ", text)
    return re.sub(r"<[^>]+>", " ", text)


@pytest.mark.parametrize("english_path", ENGLISH, ids=_name)
def test_every_markdown_cell_of_the_twin_is_korean_and_current(english_path):
    english, twin = read_pair(english_path)
    findings, _stale_code = sync_korean.sync(english_path, write=False)
    assert [str(finding) for finding in findings] == [], (
        "translate these cells, then record them: scripts/sync_korean.py --accept NAME:CELL_ID"
    )
    english_cells = {cell.id: cell for cell in english.cells}
    for cell in twin.cells:
        if cell.cell_type != "markdown":
            continue
        words = prose(cell.source)
        hangul, latin = len(HANGUL.findall(words)), len(LATIN.findall(words))
        if len(LATIN.findall(prose(english_cells[cell.id].source))) < 20:
            continue  # hardly any prose to translate (a heading that is a name)
        assert hangul / max(1, hangul + latin) >= MIN_KOREAN_SHARE, (cell.id, words[:200])


# ---------------------------------------------------------------- the comparison itself


def test_a_translated_line_is_accepted_and_an_untranslated_one_is_not():
    english = "✅ sfn-tutorial-x has 256 MB of memory and STAGE=tutorial in its environment."
    korean = "✅ sfn-tutorial-x의 메모리는 256MB이고 환경 변수에 STAGE=tutorial이 있습니다."
    assert compare_line(english, korean) == (None, "catalogue")
    problem, _ = compare_line(english, english)
    assert "still in English" in problem
    assert compare_line("Hello from Refund Processor!", "Hello from Refund Processor!") == (
        None,
        "same",
    )
    problem, _ = compare_line("Hello from Refund Processor!", "환불 처리기입니다!")
    assert problem is not None


def test_text_tables_compare_cell_by_cell():
    english = "Kind           Name\n-------------  ------\nstate machine  sfn-x"
    korean = "종류       이름\n---------  ------\n상태 머신  sfn-x"
    assert compare_text(english, korean, "text/plain") == []
    assert compare_text(english, korean.replace("sfn-x", "sfn-y"), "text/plain") != []


def test_html_compares_its_text_and_keeps_its_markup():
    english = "<table><tr><th style='text-align:left'>Kind</th></tr></table>"
    assert compare_text(english, english.replace("Kind", "종류"), "text/html") == []
    assert compare_text(english, english.replace("left", "right"), "text/html") != []


def test_values_that_change_on_every_run_are_sanitized_first():
    english = "Execution 32237012-5b2c-4129-ae1e-5b4967d733ec: SUCCEEDED"
    korean = "실행 968b21d8-2cee-45b2-805c-69bcfa30d2b0: SUCCEEDED"
    assert compare_text(english, korean, "stdout") == []
