"""The data-flow inspector, driven as a learner would: edit the state and the input, click.

Every answer comes from the emulator's real ``TestState`` (inspectionLevel DEBUG), whose stages
are AWS's (tests/test_conformance_test_state.py compares it with answers recorded on AWS).
"""

import json

import boto3
import pytest

from sfn_tutorial import inspector, resources

ORDER = {"order": {"id": "o-1001", "customer": "kim"}, "request": {"source": "web"}}
ADD_STATUS = {
    "Type": "Pass",
    "Result": {"status": "RECEIVED"},
    "ResultPath": "$.tracking",
    "Next": "KeepTracking",
}


@pytest.fixture(scope="module")
def role_arn(emulator):
    return resources.ensure_workflows_role()


@pytest.fixture
def form(role_arn):
    return inspector.DataFlowInspector(ADD_STATUS, ORDER, role_arn)


def shown(form):
    """{stage label: (data, what changed)} as the form shows it."""
    return {stage.label: (stage.value, stage.change) for stage in form.stages}


def test_the_form_starts_with_the_state_and_input_as_json(form):
    assert json.loads(form.state_box.value) == ADD_STATUS
    assert json.loads(form.input_box.value) == ORDER
    assert form.stages == [] and form.stages_view.value == ""


def test_each_stage_in_order_with_what_it_changed(form):
    form.test_button.click()
    assert form.message == "SUCCEEDED: the next state is KeepTracking"
    assert [stage.label for stage in form.stages] == [
        "Input",
        "Result",
        "After ResultSelector",
        "After ResultPath",
        "Output",
    ]
    stages = shown(form)
    assert stages["Result"] == ({"status": "RECEIVED"}, "new")
    assert stages["After ResultPath"] == (
        {**ORDER, "tracking": {"status": "RECEIVED"}},
        "added tracking",
    )
    assert stages["Output"][1] == "unchanged"
    after_result_path = form.stages[3]
    assert after_result_path.changed and after_result_path.changed_keys == {"tracking"}
    assert after_result_path.field == '"ResultPath": "$.tracking"'


def test_changed_stages_are_highlighted_in_the_view(form):
    form.test_button.click()
    view = form.stages_view.value
    row = view.split("data-stage='afterResultPath'")[0].rsplit("<tr", 1)[1]
    assert inspector.CHANGED_BACKGROUND in row  # the row is highlighted
    assert f"<mark style='background:{inspector.CHANGED_BACKGROUND}'>  &quot;tracking&quot;" in view
    output_row = view.split("data-stage='output'")[0].rsplit("<tr", 1)[1]
    assert inspector.CHANGED_BACKGROUND not in output_row  # OutputPath changed nothing


def test_changing_result_path_changes_the_stage(form):
    form.state_box.value = json.dumps({**ADD_STATUS, "ResultPath": "$"})
    form.test_button.click()
    assert shown(form)["After ResultPath"] == (
        {"status": "RECEIVED"},
        "added status; removed order, request",
    )


def test_input_path_and_parameters(form):
    state = {
        "Type": "Pass",
        "InputPath": "$.order",
        "Parameters": {"who.$": "$.customer"},
        "OutputPath": "$.who",
        "End": True,
    }
    form.state_box.value = json.dumps(state)
    form.test_button.click()
    stages = shown(form)
    assert stages["After InputPath"] == (
        ORDER["order"],
        "added id, customer; removed order, request",
    )
    assert stages["After Parameters"] == ({"who": "kim"}, "added who; removed id, customer")
    assert stages["Output"] == ("kim", "replaced")
    assert form.message == "SUCCEEDED: the execution would end here"


def test_jsonata_output_and_variables(form):
    state = {
        "Type": "Pass",
        "QueryLanguage": "JSONata",
        "Output": "{% $states.input.order %}",
        "Assign": {"source": "{% $states.input.request.source %}"},
        "End": True,
    }
    form.state_box.value = json.dumps(state)
    form.test_button.click()
    assert [stage.label for stage in form.stages] == ["Input", "Output", "Variables"]
    assert form.stages[1].field == '"Output": "{% $states.input.order %}"'
    assert shown(form)["Variables"] == ({"source": "web"}, "new")


def test_a_failing_state_shows_the_error_in_awss_words(form):
    form.state_box.value = json.dumps({"Type": "Pass", "OutputPath": "$.missing", "End": True})
    form.test_button.click()
    assert form.message == (
        "FAILED: States.Runtime: Invalid path '$.missing' : No results for path: $['missing']"
    )
    assert form.response["status"] == "FAILED"


def test_a_caught_error_names_the_catcher_and_the_next_state(form, blog_stack):
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": blog_stack.refund_arn, "Payload.$": "$"},
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Apologise"}],
        "End": True,
    }
    form.state_box.value = json.dumps(task)  # the refund function fails without TransactionType
    form.test_button.click()
    assert form.message.startswith("CAUGHT_ERROR: KeyError: ")  # lambda:invoke names the errorType
    assert form.message.endswith("caught by Catch #0, the next state is Apologise")
    assert shown(form)["After Parameters"][0]["FunctionName"] == blog_stack.refund_arn
    assert form.stages[-1].label == "Output"  # the error, put at ResultPath by the catcher
    assert form.stages[-1].value["error"]["Error"] == "KeyError"


def test_invalid_json_is_explained_and_nothing_is_sent(form, monkeypatch):
    form.test_button.click()
    calls = []
    monkeypatch.setattr(boto3, "client", lambda *args, **kwargs: calls.append(args))
    form.state_box.value = '{"Type": Pass}'
    form.test_button.click()
    assert form.message == (
        "The state is not valid JSON: Expecting value at line 1, column 10. "
        "Fix it and press Test state again."
    )
    assert form.stages == [] and form.stages_view.value == ""  # no earlier answer left
    form.state_box.value = json.dumps(ADD_STATUS)
    form.input_box.value = "{order: 1}"
    form.test_button.click()
    assert form.message.startswith("The input is not valid JSON: Expecting property name")
    assert calls == []


def test_a_task_result_names_its_resource(form, blog_stack):
    task = {
        "Type": "Task",
        "Resource": blog_stack.purchase_arn,
        "ResultPath": "$.purchase",
        "End": True,
    }
    form.input_box.value = json.dumps({"TransactionType": "PURCHASE"})
    form.state_box.value = json.dumps(task)
    form.test_button.click()
    result = shown(form)["Result"][0]
    assert result["Message"] == "Hello from lambda land inside the ProcessPurchase function"
    assert form.stages[[s.label for s in form.stages].index("Result")].field == (
        f'"Resource": "{blog_stack.purchase_arn}"'
    )
    assert shown(form)["After ResultPath"][1] == "added purchase"


def test_a_state_that_is_not_an_object(form):
    form.state_box.value = '"Pass"'
    form.test_button.click()
    assert form.message == 'The state must be a JSON object, such as {"Type": "Pass"}.'


def test_an_invalid_state_is_refused_in_awss_words(form):
    form.state_box.value = json.dumps({"Type": "Passs", "End": True})
    form.test_button.click()
    assert form.message.startswith("Step Functions refused the state: InvalidDefinition: ")
    assert "Traceback" not in form.status.value
    assert form.stages == []


def test_stages_table_is_the_same_as_text(form):
    form.test_button.click()
    table = form.stages_table()
    assert table.title == "SUCCEEDED: the next state is KeepTracking"
    assert table.rows[3] == [
        "After ResultPath",
        json.dumps({**ORDER, "tracking": {"status": "RECEIVED"}}),
        "added tracking",
    ]


def test_describe_change():
    assert inspector.describe_change({"a": 1}, {"a": 1}) == ("unchanged", frozenset())
    assert inspector.describe_change({"a": 1, "b": 2}, {"a": 3, "c": 4}) == (
        "added c; removed b; changed a",
        frozenset({"a", "c"}),
    )
    assert inspector.describe_change([1], [2]) == ("replaced", frozenset())


def test_outcome_of_a_retriable_error():
    response = {
        "status": "RETRIABLE",
        "error": "MockException",
        "cause": "Mock the cause of the error.",
        "inspectionData": {"errorDetails": {"retryBackoffIntervalSeconds": 16, "retryIndex": 0}},
    }
    assert inspector.outcome(response)[0] == (
        "RETRIABLE: MockException: Mock the cause of the error.; Retry #0 would retry after 16 s"
    )


def test_repr_is_short_and_stable(form):
    assert repr(form) == "DataFlowInspector(Pass state)"
    form.state_box.value = "{Type"
    assert repr(form) == "DataFlowInspector(unreadable state)"


def test_a_map_state_is_refused_as_aws_refuses_it(form):
    """AWS's TestState runs a Map or Parallel state only with a mocked result."""
    map_state = {
        "Type": "Map",
        "ItemProcessor": {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
        "End": True,
    }
    form.state_box.value = json.dumps(map_state)
    form.test_button.click()
    assert form.message == (
        "Step Functions refused the state: InvalidDefinition: TestState API does not support "
        "Map or Parallel states. Supported state types include: "
        "[Task, Wait, Pass, Succeed, Fail, Choice]"
    )
