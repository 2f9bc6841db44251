"""The ASL editor, driven as a learner would: type, wait, read the diagnostics, deploy, run.

Validation is the emulator's real ``ValidateStateMachineDefinition``; deploying and running are
real calls too (the run is notebook 04's runner, tests/test_widgets.py).
"""

import json
import re
import threading
import time

import boto3
import pytest

from sfn_tutorial import asl_editor, graph, resources

NAME = "editor-test"


@pytest.fixture
def editor(blog_stack):
    return asl_editor.AslEditor(
        blog_stack.definition, NAME, blog_stack.states_role_arn, ["PURCHASE", "REFUND"]
    )


def edited(editor, change) -> str:
    """The editor's definition with `change(definition)` applied, as indented JSON text."""
    definition = json.loads(editor.text_area.value)
    change(definition)
    return json.dumps(definition, indent=2)


def missing_target(definition):
    definition["States"]["ProcessTransaction"]["Choices"][1]["Next"] = "ProcessRefunds"


def rename_refund(definition):
    missing_target(definition)
    definition["States"]["ProcessRefunds"] = definition["States"].pop("ProcessRefund")


def node_fill(svg: str, state: str) -> str | None:
    """The fill colour graphviz gave the node of `state` (its first shape after the title)."""
    found = re.search(rf"<title>{state}</title>\s*<(?:path|polygon|ellipse) fill=\"([^\"]+)\"", svg)
    return found and found.group(1)


def wait_until(condition, timeout_s=30):
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the editor did not get there"
        time.sleep(0.02)


def test_the_text_area_holds_the_definition_and_has_the_dom_class(editor, blog_stack):
    assert json.loads(editor.text_area.value) == blog_stack.definition
    assert "asl-editor" in editor.text_area._dom_classes
    assert editor.text_area.continuous_update


def test_a_valid_definition_is_listed_as_valid_and_drawn(editor):
    assert editor.diagnostics == []
    assert "Valid" in editor.diagnostics_view.value
    assert editor.graph_view.value == editor.graph_svg
    assert "<title>ProcessRefund</title>" in editor.graph_svg


def test_a_missing_next_target_is_listed_with_severity_code_message_and_location(editor):
    svg_before = editor.graph_svg
    editor.text_area.value = edited(editor, missing_target)
    assert editor.validate() is False
    assert editor.diagnostics[0] == {
        "severity": "ERROR",
        "code": "MISSING_TRANSITION_TARGET",
        "message": "Missing 'Next' target: ProcessRefunds",
        "location": "/States/ProcessTransaction/Choices[1]/Next",
    }
    view = editor.diagnostics_view.value
    assert "data-result='FAIL'" in view
    for text in (
        "ERROR",
        "MISSING_TRANSITION_TARGET",
        "/States/ProcessTransaction/Choices[1]/Next",
    ):
        assert text in view
    assert editor.graph_svg == svg_before  # the last valid drawing stays


def test_fixing_it_redraws_the_graph(editor):
    editor.text_area.value = edited(editor, missing_target)
    editor.validate()
    editor.text_area.value = edited(editor, rename_refund)
    assert editor.validate() is True
    assert "<title>ProcessRefunds</title>" in editor.graph_svg
    assert editor.graph_view.value == editor.graph_svg


def test_typing_is_validated_once_after_the_last_keystroke(editor, monkeypatch):
    editor.debouncer.delay_s = 0.2
    validated = []
    done = threading.Event()
    original = editor.validate

    def counting_validate():
        validated.append(editor.text_area.value)
        result = original()
        done.set()
        return result

    editor.debouncer.callback = counting_validate
    text = edited(editor, missing_target)
    for length in range(len(text) - 5, len(text) + 1):  # six keystrokes in a burst
        editor.text_area.value = text[:length]
    assert done.wait(30)
    wait_until(lambda: not editor.debouncer.pending)
    assert validated == [text]
    assert editor.diagnostics[0]["code"] == "MISSING_TRANSITION_TARGET"


def test_text_that_is_not_json_is_diagnosed_by_the_api(editor):
    editor.text_area.value = '{"StartAt": "A", "States": {'
    assert editor.validate() is False
    assert editor.diagnostics and editor.diagnostics[0]["severity"] == "ERROR"
    assert "Traceback" not in editor.diagnostics_view.value


def test_deploy_creates_then_updates_the_tagged_state_machine(editor):
    sfn = boto3.client("stepfunctions")
    arn = editor.deploy_button.click() or editor.state_machine_arn
    assert editor.message == f"Deployed sfn-tutorial-{NAME}."
    tags = sfn.list_tags_for_resource(resourceArn=arn)["tags"]
    assert {"key": "created-by", "value": "sfn-tutorial"} in tags
    editor.text_area.value = edited(editor, rename_refund)
    editor.deploy_button.click()
    assert editor.state_machine_arn == arn  # the same machine, updated
    stored = json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"])
    assert "ProcessRefunds" in stored["States"]
    assert resources.find_state_machine_arn(f"sfn-tutorial-{NAME}") == arn


def test_an_invalid_definition_is_not_deployed_or_run(editor):
    editor.deploy_button.click()
    arn = editor.state_machine_arn
    editor.text_area.value = edited(editor, missing_target)
    editor.deploy_button.click()
    assert editor.message == "The definition has errors (listed above): fix them first."
    editor.start_button.click()
    assert editor.message == "The definition has errors (listed above): fix them first."
    stored = boto3.client("stepfunctions").describe_state_machine(stateMachineArn=arn)
    assert "ProcessRefunds" not in stored["definition"]


def test_run_deploys_what_is_shown_and_lights_up_the_path(editor):
    editor.text_area.value = edited(editor, rename_refund)
    editor.picker.value = "REFUND"
    editor.start_button.click()  # no Deploy pressed: Run deploys the edited text first
    assert editor.message == "SUCCEEDED: ProcessTransaction -> ProcessRefunds"
    assert "Hello from Refund Processor!" in editor.result.value
    assert editor.last_description["stateMachineArn"] == editor.state_machine_arn
    assert "ProcessRefunds" in editor.graph_svg and editor.graph_view.value == editor.graph_svg
    succeeded = graph.STATUS_COLOURS["succeeded"][0]
    assert node_fill(editor.graph_svg, "ProcessRefunds") == succeeded
    assert node_fill(editor.graph_svg, "ProcessPurchase") != succeeded


def test_an_input_that_is_not_json_is_explained(editor):
    editor.input_box.value = "{TransactionType: REFUND}"
    editor.start_button.click()
    assert editor.message.endswith("Fix it and press Run again; nothing was started.")


def test_a_definition_that_cannot_be_drawn_yet_starts_blank(blog_stack):
    editor = asl_editor.AslEditor("{}", NAME, blog_stack.states_role_arn)
    assert editor.graph_svg == "" and editor.definition is None
    assert editor.diagnostics and "data-result='FAIL'" in editor.diagnostics_view.value


def test_diagnostics_html_escapes_and_lists_warnings():
    view = asl_editor.diagnostics_html(
        "OK", [{"severity": "WARNING", "code": "X", "message": "<b>", "location": None}]
    )
    assert "&lt;b&gt;" in view and "Validation: OK" in view and "WARNING" in view


def test_repr_is_short(editor):
    assert repr(editor) == f"AslEditor(sfn-tutorial-{NAME})"


def test_an_empty_text_area_is_explained(editor):
    editor.text_area.value = ""
    assert editor.validate() is False
    assert "The text is empty: write a definition" in editor.diagnostics_view.value
    editor.start_button.click()
    assert editor.message == "The definition has errors (listed above): fix them first."


def test_an_unreachable_endpoint_is_explained(editor, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    editor.text_area.value += " "
    assert editor.validate() is False
    assert "Validation could not run: Could not connect to the endpoint URL" in (
        editor.diagnostics_view.value
    )
