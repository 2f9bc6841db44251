"""Following executions: waiting, the history, the path, readable reports."""

import json

import asl
import blog_orders
import boto3
import pytest

from sfn_tutorial import executions, resources
from sfn_tutorial.emulator.iam.authorization import LOG_DELIVERY_ACTIONS


@pytest.fixture(scope="module")
def purchase_run(blog_stack):
    arn = blog_orders.start(blog_stack, "PURCHASE")
    description = executions.wait_for_execution(arn, timeout_s=60)
    return description, executions.execution_history(arn)


def test_wait_reports_every_poll_and_returns_the_end(purchase_run, blog_stack):
    seen = []
    arn = blog_orders.start(blog_stack, "REFUND")
    description = executions.wait_for_execution(arn, on_poll=seen.append)
    assert description["status"] == "SUCCEEDED"
    assert seen[-1]["status"] == "SUCCEEDED"


def test_history_has_the_events_aws_records_for_a_lambda_task(purchase_run):
    _, events = purchase_run
    assert [event["type"] for event in events] == blog_orders.PURCHASE_EVENT_TYPES
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
    arn = blog_orders.start(blog_stack, "GIFT")
    description = executions.wait_for_execution(arn)
    report = executions.execution_report(description, executions.execution_history(arn))
    assert "Path: Start -> ProcessTransaction -> (FAILED)" in report
    assert "Error: States.NoChoiceMatched" in report


def test_pretty_json_leaves_non_json_alone():
    assert executions.pretty_json('{"a": 1}') == '{\n  "a": 1\n}'
    assert executions.pretty_json("not json") == "not json"
    assert executions.pretty_json(None) == ""


def test_top_level_path_leaves_out_branch_states(emulator):
    from sfn_tutorial import resources

    definition = asl.in_parallel(
        asl.branch(A={"Type": "Pass", "End": True}),
        asl.branch(B={"Type": "Pass", "End": True}),
        then={"Type": "Pass", "End": True},
    )
    role = resources.ensure_workflows_role()
    arn = resources.ensure_state_machine(resources.resource_name("both"), definition, role)
    description, events = executions.start_and_wait(arn, {})
    assert sorted(executions.states_entered(events)) == ["A", "After", "B", "Both"]
    assert executions.states_entered(events, top_level_only=True) == ["Both", "After"]
    assert "Path: Start -> Both -> After -> End" in executions.execution_report(description, events)


def test_data_flow_table_shows_each_states_input_and_output(emulator):
    from sfn_tutorial import resources

    definition = {
        "StartAt": "Pick",
        "States": {"Pick": {"Type": "Pass", "InputPath": "$.a", "End": True}},
    }
    role = resources.ensure_workflows_role()
    arn = resources.ensure_state_machine(resources.resource_name("pick"), definition, role)
    _, events = executions.start_and_wait(arn, {"a": {"b": 1}, "c": 2})
    table = executions.data_flow_table(events)
    assert table.rows == [["Pick", '{"a":{"b":1},"c":2}', '{"b":1}']]


def test_event_summary_shows_a_lambda_errors_message_not_its_json():
    cause = json.dumps(
        {"errorMessage": "Card declined", "errorType": "CardDeclined", "stackTrace": []}
    )
    event = {
        "type": "TaskFailed",
        "taskFailedEventDetails": {"error": "CardDeclined", "cause": cause},
    }
    assert executions.event_summary(event) == "CardDeclined: Card declined"
    plain = {
        "type": "ExecutionFailed",
        "executionFailedEventDetails": {"error": "E", "cause": "why"},
    }
    assert executions.event_summary(plain) == "E: why"


def test_event_summary_names_the_worker_that_took_an_activity_task():
    event = {"type": "ActivityStarted", "activityStartedEventDetails": {"workerName": "packer-1"}}
    assert executions.event_summary(event) == "worker: packer-1"


def test_an_aws_execution_report_links_to_the_console(monkeypatch):
    arn = "arn:aws:states:ap-northeast-2:210987654321:execution:sfn-tutorial-Transactions:run-1"
    monkeypatch.setenv("TUTORIAL_TARGET", "aws")
    assert executions.console_link(arn) == (
        "https://ap-northeast-2.console.aws.amazon.com/states/home?region=ap-northeast-2"
        f"#/v2/executions/details/{arn}"
    )
    monkeypatch.setenv("TUTORIAL_TARGET", "local")
    assert executions.console_link(arn) is None


def test_a_logged_event_becomes_a_history_event():
    # AWS's log event: text fields, details as the history event's details.
    message = {
        "id": "4",
        "type": "TaskStateEntered",
        "details": {"name": "ProcessPurchase", "input": "{}"},
        "previous_event_id": "3",
        "event_timestamp": "1668095539607",
        "execution_arn": "arn:aws:states:us-east-1:123456789012:express:M:n:i",
        "redrive_count": "0",
    }
    event = executions.history_event(message)
    assert event["id"] == 4 and event["previousEventId"] == 3
    assert event["stateEnteredEventDetails"] == {"name": "ProcessPurchase", "input": "{}"}
    assert event["timestamp"].timestamp() == 1668095539.607
    failed = executions.history_event({**message, "type": "LambdaFunctionFailed", "details": {}})
    assert not any(key.endswith("EventDetails") for key in failed)
    scheduled = executions.history_event({**message, "type": "TaskScheduled"})
    assert "taskScheduledEventDetails" in scheduled


def test_arns_of_express_executions():
    express = "arn:aws:states:us-east-1:123456789012:express:Machine:name:id"
    standard = "arn:aws:states:us-east-1:123456789012:execution:Machine:name"
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:Machine"
    assert executions.is_express(express) and not executions.is_express(standard)
    assert executions.machine_of(express) == machine == executions.machine_of(standard)
    group = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/x:*"
    assert executions.log_group_name(group) == "/aws/vendedlogs/states/x"


def test_logged_history_reads_an_express_execution_back_from_its_log_group(blog_stack):
    group = resources.ensure_log_group("executions-test")
    invoke = resources.invoke_policy([blog_stack.purchase_arn, blog_stack.refund_arn])
    deliver = {"Effect": "Allow", "Action": list(LOG_DELIVERY_ACTIONS), "Resource": "*"}
    role = resources.ensure_role(  # AWS: logging needs the log-delivery actions, on "*"
        resources.resource_name("executions-express-role"),
        "states.amazonaws.com",
        inline_policies={
            "invoke": invoke,
            "deliver-logs": {"Version": "2012-10-17", "Statement": [deliver]},
        },
    )
    arn = resources.ensure_state_machine(
        resources.resource_name("executions-express"),
        blog_stack.definition,
        role,
        lambda message: None,
        type="EXPRESS",
        loggingConfiguration={
            "level": "ALL",
            "includeExecutionData": True,
            "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group}}],
        },
    )
    sfn = boto3.client("stepfunctions")
    started = sfn.start_execution(stateMachineArn=arn, input='{"TransactionType": "REFUND"}')
    events = executions.logged_history(group, started["executionArn"])
    assert executions.states_entered(events) == ["ProcessTransaction", "ProcessRefund"]
    assert events[-1]["type"] == "ExecutionSucceeded"
    assert [row[1] for row in executions.history_table(events).rows][0] == "ExecutionStarted"


def test_logged_history_says_what_to_check_when_nothing_was_logged(emulator):
    group = resources.ensure_log_group("executions-test")
    missing = "arn:aws:states:ap-northeast-2:123456789012:express:nobody:n:i"
    with pytest.raises(LookupError, match="loggingConfiguration level ALL"):
        executions.logged_history(group, missing, wait_s=0)


LAMBDA_REPORT = json.dumps(
    {
        "errorMessage": "Card ending 4444 was declined",
        "errorType": "CardDeclined",
        "requestId": "88204693-6e7b-47f1-800a-730aee38e616",
        "stackTrace": [
            '  File "/var/task/lambda_function.py", line 3, in outer\n    inner()\n',
            '  File "/var/task/lambda_function.py", line 9, in helper\n    check()\n',
            '  File "/var/task/lambda_function.py", line 25, in charge\n    raise CardDeclined()\n',
        ],
    }
)


def test_a_caught_lambda_error_is_folded_in_the_report_of_a_success():
    output = json.dumps({"amount": 42, "error": {"Error": "CardDeclined", "Cause": LAMBDA_REPORT}})
    description = {
        "name": "n",
        "status": "SUCCEEDED",
        "output": output,
        "executionArn": "arn:aws:states:us-east-1:123456789012:execution:M:n",
    }
    report = executions.execution_report(description, [])
    assert '"Cause": "<CardDeclined: Card ending 4444 was declined>"' in report
    assert "stackTrace" not in report and "Cause folded" in report
    plain = {**description, "output": json.dumps({"error": {"Cause": "not JSON"}})}
    assert "Cause folded" not in executions.execution_report(plain, [])


def test_cause_text_shows_type_message_and_the_end_of_the_trace():
    text = executions.cause_text(LAMBDA_REPORT)
    assert text.splitlines()[:2] == [
        "errorType:    CardDeclined",
        "errorMessage: Card ending 4444 was declined",
    ]
    assert "(1 earlier frame left out)" in text and "line 25, in charge" in text
    assert "in outer" not in text
    assert executions.cause_text("The payment could not be completed") == (
        "The payment could not be completed"
    )
