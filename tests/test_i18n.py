"""The language of the tutorial's messages (sfn_tutorial/i18n.py) and its Korean catalogue.

The catalogue must cover every message of the code (a template missing from it would print in
English in a Korean notebook), hold nothing unused, and say the same in both languages: the same
fields, one line each, Korean words. ``explain`` must accept a Korean line for the English one
only when both are the same catalogue entry with the same values.
"""

from __future__ import annotations

import ast
import json
import re
import string
from pathlib import Path

import pytest

from sfn_tutorial import costs, exercises, i18n, inspector, resources, tables, widgets
from sfn_tutorial.asl_editor import AslEditor
from sfn_tutorial.graph.render import STATUS_COLOURS
from sfn_tutorial.messages_ko import KOREAN

ROOT = Path(__file__).resolve().parents[1]
HANGUL = re.compile("[\uac00-\ud7a3]")
# Catalogue entries whose Korean has no Korean word: names, and symbols around values
WITHOUT_HANGUL = {"REST API", "HTTP API", "Express", "❌ {message}", "{status} with {error}"}


def code_templates() -> dict[str, str]:
    """Each template the code passes to ``t`` as a literal: ``{template: "file:line"}``."""
    found = {}
    for path in [ROOT / "helpers.py", *sorted((ROOT / "sfn_tutorial").rglob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "t"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.setdefault(node.args[0].value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def cost_items() -> set[str]:
    """The items of the cost estimates (``estimate.add("state transitions", ...)``)."""
    tree = ast.parse((ROOT / "sfn_tutorial" / "costs.py").read_text())
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", None) == "add"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def value_words() -> set[str]:
    """Words the code translates as values, ``t(kind)``: not literals ``code_templates`` sees."""
    return {
        *resources.KINDS,
        *costs.MAP_DESIGNS,
        "Standard",
        "Express",
        *cost_items(),
        *(label for _key, label, _field, _compared in inspector.STAGES),
        widgets.EDIT_YOUR_OWN,
        *(text for _fill, _border, text in STATUS_COLOURS.values()),
        widgets.ExecutionRunner.start_word,
        AslEditor.start_word,
    }


def test_every_message_of_the_code_is_in_the_korean_catalogue():
    missing = {
        template: where for template, where in code_templates().items() if template not in KOREAN
    }
    missing.update({word: "a value" for word in value_words() if word not in KOREAN})
    assert missing == {}


def test_the_catalogue_holds_nothing_the_code_does_not_say():
    used = set(code_templates()) | value_words()
    assert sorted(set(KOREAN) - used) == []


def test_the_code_passes_t_no_message_that_is_not_a_literal_or_a_known_word():
    # t(something) other than a literal must be one of value_words(): the two tests above see it
    dynamic = []
    for path in [ROOT / "helpers.py", *sorted((ROOT / "sfn_tutorial").rglob("*.py"))]:
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "t"
                and not isinstance(node.args[0], ast.Constant)
            ):
                dynamic.append(ast.get_source_segment(source, node.args[0]))
    assert set(dynamic) <= {
        "r.kind",
        "stack.kind",
        "resource.kind",
        "item",
        "name",
        "label",
        "EDIT_YOUR_OWN",
        "self.start_word",
        "text",
    }


@pytest.mark.parametrize("english", sorted(KOREAN))
def test_an_entry_says_the_same_in_korean(english):
    korean = KOREAN[english]
    assert sorted(i18n.fields(english)) == sorted(i18n.fields(korean))
    assert "\n" not in english and "\n" not in korean  # one line each: outputs compare by line
    values = {name: "x" for name, _spec, _conversion in i18n.fields(english)}
    numbers = {name: 1 for name, spec, _ in i18n.fields(english) if spec and spec[-1] in "gfd,"}
    for template in (english, korean):
        template.format(**{**values, **numbers})  # a stray brace would raise here
    assert HANGUL.search(korean) or english in WITHOUT_HANGUL, korean
    assert any(literal.strip() for literal, *_ in string.Formatter().parse(english))


def test_the_language_comes_from_the_notebooks_folder(tmp_path, monkeypatch):
    korean_folder = tmp_path / "notebooks" / "ko"
    korean_folder.mkdir(parents=True)
    assert i18n.folder_language(korean_folder) == "ko"
    assert i18n.folder_language(tmp_path / "notebooks") == "en"
    monkeypatch.chdir(korean_folder)  # where JupyterLab and nbval start the kernel
    assert i18n.current() == "ko"
    assert i18n.t("Deleted {count} resources.", count=3) == "리소스 3개를 삭제했습니다."
    monkeypatch.chdir(tmp_path)
    assert i18n.t("Deleted {count} resources.", count=3) == "Deleted 3 resources."


def test_a_language_chosen_explicitly_wins_until_unchosen(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    try:
        assert i18n.choose("ko") == "ko"
        assert i18n.t("Output:") == "출력:"
        (tmp_path / "ko").mkdir()
        monkeypatch.chdir(tmp_path / "ko")
        assert i18n.choose("en") == "en"
        assert i18n.t("Output:") == "Output:"
    finally:
        assert i18n.choose(None) == "ko"  # back to the folder's language
    with pytest.raises(i18n.LanguageError, match="'fr'"):
        i18n.choose("fr")


@pytest.fixture
def korean(monkeypatch):
    """Korean for one test."""
    monkeypatch.setattr(i18n, "_chosen", "ko")


def test_a_check_answers_in_korean(korean):
    line = exercises.check("99-nothing")
    assert line.startswith("❌ 연습 문제 '99-nothing'은(는) 없습니다.")
    assert "01-error" in line  # the ids stay as they are


def test_the_execution_report_speaks_korean_and_keeps_aws_words(korean):
    from sfn_tutorial import executions

    description = {
        "name": "run-1",
        "status": "FAILED",
        "error": "States.NoChoiceMatched",
        "cause": "No Choice Rule matched",
        "executionArn": "arn:aws:states:ap-northeast-2:123456789012:execution:m:run-1",
    }
    events = [{"type": "ChoiceStateEntered", "stateEnteredEventDetails": {"name": "Route"}}]
    assert executions.execution_report(description, events).splitlines() == [
        "실행 run-1: FAILED",
        "경로: 시작 -> Route -> (FAILED)",
        "오류: States.NoChoiceMatched",
        "원인: No Choice Rule matched",
    ]


def test_the_runner_s_labels_and_messages_speak_korean(korean):
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
    runner = widgets.ExecutionRunner("arn:aws:states:::stateMachine:x", definition, ["PURCHASE"])
    assert runner.start_button.description == "실행 시작"
    assert runner.picker.options == ("PURCHASE", "(아래 JSON을 직접 편집)")
    runner.input_box.value = "{TransactionType: PURCHASE}"
    assert runner.start() is None
    assert runner.message.startswith("입력이(가) 올바른 JSON이 아닙니다: 1번째 줄, 2번째 열에서")
    assert runner.message.endswith(
        "고친 뒤 다시 시작을(를) 누르십시오. 아무것도 시작하지 않았습니다."
    )


def test_tables_align_korean_headings_by_their_width(korean):
    table = tables.key_value_table({"Runtime": "python3.13"})
    assert repr(table).splitlines() == ["필드     값", "-------  ----------", "Runtime  python3.13"]
    assert tables.width("상태 머신") == 9


# ---------------------------------------------------------------- explain


def test_explain_accepts_the_same_entry_with_the_same_values():
    english = "✅ sfn-tutorial-x has 256 MB of memory and STAGE=tutorial in its environment."
    korean = "✅ sfn-tutorial-x의 메모리는 256MB이고 환경 변수에 STAGE=tutorial이 있습니다."
    assert i18n.explain(english, korean) == (
        "✅ {name} has 256 MB of memory and STAGE=tutorial in its environment."
    )
    assert i18n.explain(english, korean.replace("-x", "-y")) is None
    assert i18n.explain(english, english) == ""


def test_explain_reads_values_that_are_messages_themselves():
    english = (
        "The newest execution of sfn-tutorial-x ended FAILED with States.Runtime: "
        "run it with busy_twice."
    )
    korean = (
        "sfn-tutorial-x의 최신 실행이 FAILED(States.Runtime)(으)로 끝났습니다: "
        "busy_twice로 실행하십시오."
    )
    assert i18n.explain(english, korean) is not None
    wrong_error = korean.replace("States.Runtime", "States.Timeout")
    assert i18n.explain(english, wrong_error) is None


def test_explain_ignores_padding_and_tries_every_split():
    english = "deleted state machine version   sfn-tutorial-Fulfilment:1"
    korean = "삭제함: 상태 머신 버전        sfn-tutorial-Fulfilment:1"
    assert i18n.explain(english, korean) == "deleted {kind} {name}"
    assert i18n.explain("Error: ", "오류:") == "Error: {error}"  # an empty value


def test_explain_refuses_an_english_line_that_is_no_entry():
    assert i18n.explain("Hello from Refund Processor!", "안녕하세요") is None


def test_matches_lists_every_way_a_text_fits_a_template():
    found = list(i18n.matches("deleted {kind} {name}", "deleted state machine   sfn-x"))
    assert {"kind": "state machine", "name": "sfn-x"} in found
    assert json.dumps(found[0])  # plain values


def test_jupyterlab_can_switch_its_interface_to_korean():
    """The pinned language pack is installed where JupyterLab looks (Settings -> Language)."""
    from jupyterlab_server.translation_utils import get_language_packs

    packs, message = get_language_packs("en")
    assert "ko_KR" in packs, message
