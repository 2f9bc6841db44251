"""helpers.py, the notebooks' one import: each function a learner calls."""

import blog_orders
import boto3

import helpers


def test_connect_prints_the_banner(capsys):
    target = helpers.connect("local")
    assert target.is_local
    assert "Target: local" in capsys.readouterr().out


def test_check_environment_reports_ok(capsys):
    helpers.check_environment()
    out = capsys.readouterr().out
    assert "[ OK ] boto3" in out and "Everything the tutorial needs is here." in out


def test_show_invocation_prints_payload_and_log(blog_stack, capsys):
    response = boto3.client("lambda").invoke(
        FunctionName=blog_stack.refund_arn, Payload=b'{"TransactionType": "REFUND"}', LogType="Tail"
    )
    payload = helpers.show_invocation(response)
    out = capsys.readouterr().out
    assert payload["Message"] == "Hello from Refund Processor!"
    assert "StatusCode: 200" in out and "Log tail:" in out and "START RequestId:" in out
    assert "FunctionError" not in out


def test_show_invocation_shows_function_error(blog_stack, capsys):
    response = boto3.client("lambda").invoke(FunctionName=blog_stack.refund_arn, Payload=b"{}")
    payload = helpers.show_invocation(response)
    assert "FunctionError: Unhandled" in capsys.readouterr().out
    assert payload["errorType"] == "KeyError"


def test_function_summary_shows_the_fields_that_matter(blog_stack):
    configuration = boto3.client("lambda").get_function_configuration(
        FunctionName=blog_stack.purchase_arn
    )
    rows = dict(helpers.function_summary(configuration).rows)
    assert rows["Handler"] == "lambda_function.process_purchase"
    assert rows["State"] == "Active"
    assert "ResponseMetadata" not in rows and "RevisionId" not in rows


def test_show_execution_and_history_table(blog_stack, capsys):
    arn = blog_orders.start(blog_stack, "PURCHASE")
    events = helpers.show_execution(arn)
    assert "Path: Start -> ProcessTransaction -> ProcessPurchase -> End" in capsys.readouterr().out
    assert events == helpers.execution_history(arn)
    assert len(helpers.history_table(events).rows) == len(events)


def test_find_and_clean_up(blog_stack, capsys):
    assert "resources" in helpers.find_tutorial_resources().title
    deleted = helpers.clean_up()
    assert deleted and f"Deleted {len(deleted)} resources." in capsys.readouterr().out
    assert helpers.find_tutorial_resources().rows == []


def test_data_flow_inspector_tests_a_state_as_the_workflows_role(emulator):
    form = helpers.data_flow_inspector(
        {"Type": "Pass", "ResultPath": "$.copy", "End": True}, {"a": 1}
    )
    assert form.role_arn.endswith(":role/sfn-tutorial-workflows-role")
    form.test_button.click()
    assert form.stages[-1].value == {"a": 1, "copy": {"a": 1}}


def test_asl_editor_deploys_as_the_workflows_role(blog_stack):
    editor = helpers.asl_editor(blog_stack.definition, "helpers-editor", ["PURCHASE"])
    assert editor.diagnostics == [] and editor.name == "sfn-tutorial-helpers-editor"
    arn = editor.deploy()
    role = boto3.client("stepfunctions").describe_state_machine(stateMachineArn=arn)["roleArn"]
    assert role.endswith(":role/sfn-tutorial-workflows-role")
