"""Following executions: waiting, the history, the path, readable reports."""

import json

import boto3
import pytest

from sfn_tutorial import executions


@pytest.fixture(scope="module")
def purchase_run(blog_stack):
    sfn = boto3.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=blog_stack.state_machine_arn,
        input=json.dumps({"TransactionType": "PURCHASE"}),
    )["executionArn"]
    description = executions.wait_for_execution(arn, timeout_s=60)
    return description, executions.execution_history(arn)


def test_wait_reports_every_poll_and_returns_the_end(purchase_run, blog_stack):
    seen = []
    arn = boto3.client("stepfunctions").start_execution(
        stateMachineArn=blog_stack.state_machine_arn, input='{"TransactionType": "REFUND"}'
    )["executionArn"]
    description = executions.wait_for_execution(arn, on_poll=seen.append)
    assert description["status"] == "SUCCEEDED"
    assert seen[-1]["status"] == "SUCCEEDED"


def test_history_has_the_events_aws_records_for_a_lambda_task(purchase_run):
    _, events = purchase_run
    assert [event["type"] for event in events] == [
        "ExecutionStarted",
        "ChoiceStateEntered",
        "ChoiceStateExited",
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    assert executions.states_entered(events) == ["ProcessTransaction", "ProcessPurchase"]


def test_history_table_names_each_events_state(purchase_run):
    _, events = purchase_run
    table = executions.history_table(events)
    assert table.columns == ["#", "Type", "State", "Details"]
    states = {row[1]: row[2] for row in table.rows}
    assert states["LambdaFunctionSucceeded"] == "ProcessPurchase"
    assert states["ExecutionSucceeded"] == ""
    details = {row[1]: row[3] for row in table.rows}
    assert "Hello from lambda land" in details["LambdaFunctionSucceeded"]
    assert "<td" in table._repr_html_()


def test_report_of_a_success_shows_path_and_output(purchase_run):
    description, events = purchase_run
    report = executions.execution_report(description, events)
    assert "SUCCEEDED" in report
    assert "Path: Start -> ProcessTransaction -> ProcessPurchase -> End" in report
    assert '"Message": "Hello from lambda land inside the ProcessPurchase function"' in report


def test_report_of_a_failure_shows_error_and_cause(blog_stack):
    arn = boto3.client("stepfunctions").start_execution(
        stateMachineArn=blog_stack.state_machine_arn, input='{"TransactionType": "GIFT"}'
    )["executionArn"]
    description = executions.wait_for_execution(arn)
    report = executions.execution_report(description, executions.execution_history(arn))
    assert "Path: Start -> ProcessTransaction -> (FAILED)" in report
    assert "Error: States.NoChoiceMatched" in report


def test_pretty_json_leaves_non_json_alone():
    assert executions.pretty_json('{"a": 1}') == '{\n  "a": 1\n}'
    assert executions.pretty_json("not json") == "not json"
    assert executions.pretty_json(None) == ""
