"""The execution runner, driven as a learner would: pick, edit, click Start."""

import boto3
import pytest

from sfn_tutorial import widgets


@pytest.fixture
def runner(blog_stack):
    return widgets.ExecutionRunner(
        blog_stack.state_machine_arn, blog_stack.definition, ["PURCHASE", "REFUND"]
    )


def executions_of(arn):
    return boto3.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"]


def test_picking_a_type_fills_the_input(runner):
    runner.picker.value = "REFUND"
    assert runner.input_box.value == '{"TransactionType": "REFUND"}'


def test_start_purchase_shows_path_output_and_coloured_graph(runner):
    runner.picker.value = "PURCHASE"
    runner.start_button.click()
    assert runner.last_description["status"] == "SUCCEEDED"
    assert runner.message == "SUCCEEDED: ProcessTransaction -> ProcessPurchase"
    assert "Hello from lambda land inside the ProcessPurchase function" in runner.result.value
    assert runner.graph_view.value == runner.graph_svg
    assert runner.graph_svg.startswith("<?xml") and "ProcessPurchase" in runner.graph_svg


def test_graph_is_redrawn_while_the_execution_runs(runner, monkeypatch):
    drawn = []
    original = runner._show_graph
    monkeypatch.setattr(
        runner, "_show_graph", lambda events: drawn.append(len(events)) or original(events)
    )
    runner.picker.value = "REFUND"
    runner.start_button.click()
    assert drawn and drawn[-1] > 0  # the final drawing has the whole history


def test_input_matching_no_rule_shows_the_failure(runner):
    runner.picker.value = "(edit the JSON below)"
    runner.input_box.value = '{"TransactionType": "EXCHANGE"}'
    runner.start_button.click()
    assert runner.message == "FAILED: States.NoChoiceMatched"
    assert "Cause: No Choice Rule matched" in runner.result.value


def test_invalid_json_is_explained_and_nothing_starts(runner, blog_stack):
    runner.picker.value = "PURCHASE"
    runner.start_button.click()  # an earlier run's answer must not stay beside the new message
    before = len(executions_of(blog_stack.state_machine_arn))
    runner.input_box.value = "{TransactionType: PURCHASE}"
    runner.start_button.click()
    assert runner.message.startswith("The input is not valid JSON: Expecting property name")
    assert runner.message.endswith(
        "line 1, column 2. Fix it and press Start again; nothing was started."
    )
    assert "Traceback" not in runner.status.value
    assert runner.input_box.value == "{TransactionType: PURCHASE}"  # nothing lost
    assert runner.result.value == ""
    assert len(executions_of(blog_stack.state_machine_arn)) == before


def test_a_refused_start_is_explained(blog_stack):
    missing = blog_stack.state_machine_arn + "-gone"
    runner = widgets.ExecutionRunner(missing, blog_stack.definition, ["PURCHASE"])
    runner.start_button.click()
    assert runner.message.startswith("Step Functions refused to start:")
    assert "StateMachineDoesNotExist" in runner.message


def test_repr_is_short(runner):
    assert repr(runner) == f"ExecutionRunner({runner.state_machine_arn})"
