"""sfn_tutorial/exercises/ (a module a notebook): each exercise's check says ✅ for a right answer
built on the emulator, and ❌ with what is wrong (never an exception) for a missing, unfinished or
wrong one.
Also: the notebooks' exercise cells have the shape the checks rely on.

tests/test_exercises_unanswered.py runs the notebooks with their solutions left out.
"""

from __future__ import annotations

import copy
import json
import re
import time
from pathlib import Path

import boto3
import broad_roles
import pytest

import helpers
from sfn_tutorial import approval, executions, exercises, integrations, resources
from sfn_tutorial.emulator.iam.authorization import LOG_DELIVERY_ACTIONS
from sfn_tutorial.resources import STATE_MACHINE, resource_name

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
ORDER = {
    "order": {"id": "o-1001", "customer": "kim", "lines": [{"sku": "tea", "qty": 2}]},
    "request": {"source": "web", "trace": "abc-123"},
}


def quiet(message: str) -> None:
    """A progress callback that prints nothing."""


def right(exercise_id: str) -> str:
    line = exercises.check(exercise_id)
    assert line.startswith("✅ ") and "\n" not in line, line
    return line


def wrong(exercise_id: str, *words: str) -> str:
    line = exercises.check(exercise_id)
    assert line.startswith("❌ ") and "\n" not in line, line
    for word in words:
        assert word in line, line
    return line


@pytest.fixture(scope="module")
def workflows_role(emulator) -> str:
    return resources.ensure_workflows_role()


def deploy(name: str, definition: dict, role_arn: str) -> str:
    return resources.ensure_state_machine(resource_name(name), definition, role_arn, quiet)


def run(arn: str, execution_input) -> dict:
    description, _ = executions.start_and_wait(arn, execution_input)
    return description


def function_settings(arn: str, **settings) -> None:
    client = boto3.client("lambda")
    client.update_function_configuration(FunctionName=arn, **settings)
    client.get_waiter("function_updated_v2").wait(FunctionName=arn)


# ---------------------------------------------------------------- the registry and helpers.check


def lesson_numbers() -> list[str]:
    """The numbers of the notebooks that teach: every numbered one but 00 (the overview) and
    99 (clean-up)."""
    numbers = [path.name[:2] for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))]
    return [number for number in numbers if number not in ("00", "99")]


def test_every_notebook_from_01_on_has_one_to_three_checks():
    ids = list(exercises.CHECKS)
    assert all(re.fullmatch(r"\d\d-[a-z]+(-[a-z]+)*", exercise_id) for exercise_id in ids), ids
    per_notebook = {n: sum(i.startswith(f"{n}-") for i in ids) for n in lesson_numbers()}
    assert all(1 <= count <= 3 for count in per_notebook.values()), per_notebook
    assert {exercise_id[:2] for exercise_id in ids} <= set(per_notebook), ids


def test_every_check_is_documented():
    for exercise_id, check in exercises.CHECKS.items():
        assert check.__doc__ and check.__name__ != "line", exercise_id


def test_an_unknown_exercise_is_a_cross_that_lists_the_exercises():
    assert wrong("03-nothing", "03-default", "09-variables")


def test_a_check_that_breaks_says_so_instead_of_raising(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("no\nnetwork")

    monkeypatch.setattr(boto3, "client", broken)
    for exercise_id in exercises.CHECKS:
        assert wrong(exercise_id, "could not finish", "RuntimeError: no network")


def test_helpers_check_prints_the_line(emulator, capsys):
    helpers.check("03-default")
    out = capsys.readouterr().out
    assert out.startswith("❌ There is no state machine sfn-tutorial-TransactionsWithDefault")
    assert out.count("\n") == 1


# ---------------------------------------------------------------- 01 Lambda functions


def test_01_error_reads_the_newest_invocation_in_the_log(blog_stack):
    client = boto3.client("lambda")
    wrong("01-error", "no invocation in its log")
    client.invoke(FunctionName=blog_stack.purchase_arn, Payload=b'{"TransactionType": "PURCHASE"}')
    wrong("01-error", "succeeded", "empty event")
    client.invoke(FunctionName=blog_stack.purchase_arn, Payload=b"{}")
    right("01-error")
    client.invoke(FunctionName=blog_stack.purchase_arn, Payload=b'{"TransactionType": "REFUND"}')
    wrong("01-error", "succeeded")  # the newest one counts


def test_01_settings_reads_the_refund_function_configuration(blog_stack):
    try:
        function_settings(blog_stack.refund_arn, MemorySize=128, Environment={"Variables": {}})
        wrong("01-settings", "128 MB, not 256", "no environment variable STAGE")
        function_settings(
            blog_stack.refund_arn, MemorySize=256, Environment={"Variables": {"STAGE": "test"}}
        )
        wrong("01-settings", "its STAGE is 'test'")
        function_settings(blog_stack.refund_arn, Environment={"Variables": {"STAGE": "tutorial"}})
        right("01-settings")
    finally:
        function_settings(blog_stack.refund_arn, MemorySize=128, Environment={"Variables": {}})


# ---------------------------------------------------------------- 02 the role


def test_02_role_reads_trust_tags_and_policies(blog_stack):
    iam = boto3.client("iam")
    name = resource_name("purchase-only-role")
    purchase, refund = blog_stack.purchase_arn, blog_stack.refund_arn

    def policy(actions, arns) -> None:
        document = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": arns}],
        }
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(document))

    wrong("02-role", "There is no role sfn-tutorial-purchase-only-role")
    resources.ensure_role(name, "lambda.amazonaws.com")
    wrong("02-role", "trust policy", "states.amazonaws.com")
    resources.ensure_role(name, "states.amazonaws.com")
    wrong("02-role", "no inline policy")
    iam.attach_role_policy(RoleName=name, PolicyArn=resources.BLOG_STATES_POLICY)
    wrong("02-role", "managed policy AWSLambdaRole")
    iam.detach_role_policy(RoleName=name, PolicyArn=resources.BLOG_STATES_POLICY)
    policy("lambda:InvokeFunction", [purchase, refund])
    wrong("02-role", "may also invoke sfn-tutorial-ProcessRefund")
    policy("lambda:InvokeFunction", "*")
    wrong("02-role", "may also invoke")
    policy("lambda:*", [purchase])
    wrong("02-role", "also allows lambda:*")
    policy("lambda:InvokeFunction", [refund])
    wrong("02-role", "may not invoke")
    policy(["lambda:InvokeFunction"], [purchase, purchase + ":*"])
    assert "ProcessPurchase and nothing else" in right("02-role")
    iam.untag_role(RoleName=name, TagKeys=[resources.TAG_KEY])
    wrong("02-role", "not tagged created-by=sfn-tutorial")


# ---------------------------------------------------------------- 03 the state machine


def test_03_default_reads_the_definition(blog_stack, workflows_role):
    wrong("03-default", "no state machine sfn-tutorial-TransactionsWithDefault")
    blog = blog_stack.definition
    deploy("TransactionsWithDefault", blog, workflows_role)
    wrong("03-default", "has no Default")

    def with_default(name: str, state: dict) -> dict:
        edited = copy.deepcopy(blog)
        edited["States"]["ProcessTransaction"]["Default"] = name
        edited["States"][name] = state
        return edited

    fail = {"Type": "Fail", "Error": "UnknownTransactionType"}
    deploy("TransactionsWithDefault", with_default("Other", fail), workflows_role)
    wrong("03-default", "goes to 'Other'")
    pass_state = {"Type": "Pass", "End": True}
    deploy(
        "TransactionsWithDefault", with_default("UnknownTransaction", pass_state), workflows_role
    )
    wrong("03-default", "a Pass state", "Fail")
    no_refund = with_default("UnknownTransaction", fail)
    del no_refund["States"]["ProcessRefund"]
    no_refund["States"]["ProcessTransaction"]["Choices"].pop()
    deploy("TransactionsWithDefault", no_refund, workflows_role)
    wrong("03-default", "rules no longer lead to both functions")
    deploy("TransactionsWithDefault", with_default("UnknownTransaction", fail), workflows_role)
    right("03-default")


# ---------------------------------------------------------------- 04 executions


def test_04_exchange_reads_the_newest_execution(blog_stack):
    wrong("04-exchange", "has no execution yet")
    run(blog_stack.state_machine_arn, {"TransactionType": "REFUND"})
    wrong("04-exchange", '{"TransactionType": "REFUND"}')
    run(blog_stack.state_machine_arn, {"TransactionType": "EXCHANGE"})
    right("04-exchange")
    run(blog_stack.state_machine_arn, {"TransactionType": "PURCHASE"})
    wrong("04-exchange", "PURCHASE")


def test_04_exchange_says_when_the_machine_was_changed(blog_stack, workflows_role):
    # A machine with a Default no longer fails: the check says what ended differently.
    edited = copy.deepcopy(blog_stack.definition)
    edited["States"]["ProcessTransaction"]["Default"] = "ProcessRefund"
    try:
        deploy(STATE_MACHINE, edited, blog_stack.states_role_arn)
        run(blog_stack.state_machine_arn, {"TransactionType": "EXCHANGE"})
        wrong("04-exchange", "ended SUCCEEDED")
    finally:
        deploy(STATE_MACHINE, blog_stack.definition, blog_stack.states_role_arn)


# ---------------------------------------------------------------- 05 triggers


def test_05_rule_reads_pattern_state_tags_and_target(blog_stack):
    events = boto3.client("events")
    name = resource_name("refunds-rule")
    shop = {"source": ["tutorial.shop"], "detail-type": ["Transaction"]}

    def rule(pattern: dict) -> None:
        events.put_rule(Name=name, EventPattern=json.dumps(pattern), Tags=resources.tags("Key"))

    wrong("05-rule", "There is no rule sfn-tutorial-refunds-rule")
    rule(shop)
    wrong("05-rule", "also matches PURCHASE")
    rule({**shop, "source": ["another.shop"], "detail": {"TransactionType": ["REFUND"]}})
    wrong("05-rule", "does not match a REFUND")
    rule({**shop, "detail": {"TransactionType": ["REFUND"]}})
    wrong("05-rule", "has no target sfn-tutorial-Transactions")
    target = {"Id": "m", "Arn": blog_stack.state_machine_arn, "RoleArn": blog_stack.states_role_arn}
    events.put_targets(Rule=name, Targets=[target])
    wrong("05-rule", "InputPath")
    events.put_targets(Rule=name, Targets=[{**target, "InputPath": "$.detail"}])
    right("05-rule")
    rule({**shop, "detail": {"TransactionType": [{"prefix": "REF"}]}})  # any right pattern
    right("05-rule")
    events.disable_rule(Name=name)
    wrong("05-rule", "DISABLED")
    events.enable_rule(Name=name)
    arn = events.describe_rule(Name=name)["Arn"]
    events.untag_resource(ResourceARN=arn, TagKeys=[resources.TAG_KEY])
    wrong("05-rule", "not tagged")


def test_05_route_reads_routes_and_integrations(blog_stack):
    apigw = boto3.client("apigatewayv2")
    wrong("05-route", "There is no HTTP API sfn-tutorial-transactions-http")
    api = apigw.create_api(Name=resource_name("transactions-http"), ProtocolType="HTTP")["ApiId"]

    def integration(machine_arn: str) -> str:
        return apigw.create_integration(
            ApiId=api,
            IntegrationType="AWS_PROXY",
            IntegrationSubtype="StepFunctions-StartExecution",
            CredentialsArn=blog_stack.states_role_arn,
            PayloadFormatVersion="1.0",
            RequestParameters={"StateMachineArn": machine_arn, "Input": "$request.body"},
        )["IntegrationId"]

    transactions = integration(blog_stack.state_machine_arn)
    apigw.create_route(
        ApiId=api, RouteKey="POST /transactions", Target=f"integrations/{transactions}"
    )
    wrong("05-route", "POST /transactions but no POST /refunds")
    route = apigw.create_route(ApiId=api, RouteKey="POST /refunds")["RouteId"]
    wrong("05-route", "no integration")
    other = integration(blog_stack.state_machine_arn.replace("Transactions", "Other"))
    apigw.update_route(ApiId=api, RouteId=route, Target=f"integrations/{other}")
    wrong("05-route", "does not start executions of sfn-tutorial-Transactions")
    apigw.update_route(ApiId=api, RouteId=route, Target=f"integrations/{transactions}")
    right("05-route")


# ---------------------------------------------------------------- 06 state types and data flow

DATA_FLOW = {
    "StartAt": "PickOrder",
    "States": {
        "PickOrder": {"Type": "Pass", "InputPath": "$.order", "Next": "AddStatus"},
        "AddStatus": {
            "Type": "Pass",
            "Result": {"status": "RECEIVED"},
            "ResultPath": "$.tracking",
            "Next": "KeepTracking",
        },
        "KeepTracking": {"Type": "Pass", "OutputPath": "$.tracking", "End": True},
    },
}


def test_06_result_path_reads_the_definition_and_the_newest_run(workflows_role):
    wrong("06-result-path", "no state machine sfn-tutorial-data-flow-exercise")
    arn = deploy("data-flow-exercise", DATA_FLOW, workflows_role)
    wrong("06-result-path", "ResultPath '$.tracking'")
    replace_all = copy.deepcopy(DATA_FLOW)
    replace_all["States"]["AddStatus"]["ResultPath"] = "$"
    deploy("data-flow-exercise", replace_all, workflows_role)
    wrong("06-result-path", "has no execution yet")
    run(arn, ORDER)
    right("06-result-path")
    del replace_all["States"]["KeepTracking"]["OutputPath"]
    deploy("data-flow-exercise", replace_all, workflows_role)
    run(arn, ORDER)
    wrong("06-result-path", "ended SUCCEEDED")


def test_06_parameters_reads_the_newest_output(workflows_role):
    wrong("06-parameters", "no state machine sfn-tutorial-order-summary")

    def summary(parameters: dict) -> dict:
        return {
            "StartAt": "Summarise",
            "States": {"Summarise": {"Type": "Pass", "Parameters": parameters, "End": True}},
        }

    partial = {"orderId.$": "$.order.id", "customer.$": "$.order.customer"}
    arn = deploy("order-summary", summary(partial), workflows_role)
    wrong("06-parameters", "has no execution yet")
    run(arn, ORDER)
    wrong("06-parameters", "returned", '"source": "web"')
    deploy("order-summary", summary({**partial, "source.$": "$.request.source"}), workflows_role)
    run(arn, {"something": "else"})
    wrong("06-parameters", "FAILED with States.Runtime")
    run(arn, ORDER)
    right("06-parameters")
    deploy("order-summary", summary(partial), workflows_role)
    run(arn, {"order": ORDER["order"]})
    wrong("06-parameters", "did not run with `order`")


# ---------------------------------------------------------------- 07 error handling


@pytest.fixture(scope="module")
def lambdas_07(blog_stack) -> dict:
    role = blog_stack.lambda_role_arn
    charge = resources.ensure_function("ChargePayment", "lambda_function.charge", role, quiet)
    ship = resources.ensure_function("ShipOrder", "lambda_function.ship", role, quiet, Timeout=30)
    return {"charge": charge["FunctionArn"], "ship": ship["FunctionArn"]}


def test_07_retry_timeout_counts_the_timeouts_of_the_newest_run(lambdas_07, workflows_role):
    def checkout(retry: list) -> dict:
        ship = {
            "Type": "Task",
            "Resource": lambdas_07["ship"],
            "TimeoutSeconds": 1,
            "ResultPath": "$.shipping",
            "Catch": [
                {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "Later"}
            ],
            "End": True,
        }
        return {
            "StartAt": "Ship",
            "States": {
                "Ship": {**ship, "Retry": retry} if retry else ship,
                "Later": {"Type": "Pass", "End": True},
            },
        }

    wrong("07-retry-timeout", "no state machine sfn-tutorial-checkout-exercise")
    arn = deploy("checkout-exercise", checkout([]), workflows_role)
    wrong("07-retry-timeout", "no Retry for States.Timeout")
    deploy("checkout-exercise", checkout([{"ErrorEquals": ["States.Timeout"]}]), workflows_role)
    wrong("07-retry-timeout", "3 times")
    once = {"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 1}
    deploy("checkout-exercise", checkout([once]), workflows_role)
    wrong("07-retry-timeout", "has no execution yet")
    run(arn, {"partner_delay_s": 0})
    wrong("07-retry-timeout", "timed out 0 times")
    run(arn, {"partner_delay_s": 2})
    right("07-retry-timeout")


def test_07_lambda_retrier_reads_charge_retriers(lambdas_07, workflows_role):
    busy = {"ErrorEquals": ["GatewayBusy"], "IntervalSeconds": 1, "MaxAttempts": 3}
    lambda_errors = {"ErrorEquals": list(exercises.LAMBDA_TRANSIENT_ERRORS), "MaxAttempts": 3}

    def checkout(retry: list) -> dict:
        payload = {
            "amount.$": "$.amount",
            "card.$": "$.card",
            "busy_attempts.$": "$.busy_attempts",
            "attempt.$": "$$.State.RetryCount",
        }
        charge = {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": lambdas_07["charge"], "Payload": payload},
            "Retry": retry,
            "End": True,
        }
        return {"StartAt": "Charge", "States": {"Charge": charge}}

    wrong("07-lambda-retrier", "no state machine sfn-tutorial-checkout-resilient")
    arn = deploy("checkout-resilient", checkout([busy]), workflows_role)
    wrong("07-lambda-retrier", "does not retry Lambda.ServiceException")
    deploy("checkout-resilient", checkout([lambda_errors]), workflows_role)
    wrong("07-lambda-retrier", "no longer retries GatewayBusy")
    deploy("checkout-resilient", checkout([lambda_errors, busy]), workflows_role)
    wrong("07-lambda-retrier", "has no execution yet")
    run(arn, {"amount": 42, "card": "0000222233334444", "busy_attempts": 0})
    wrong("07-lambda-retrier", "FAILED with CardDeclined")
    run(arn, {"amount": 42, "card": "4111111111111111", "busy_attempts": 1})
    right("07-lambda-retrier")


# ---------------------------------------------------------------- 08 more than fifteen minutes


def test_08_strict_reads_the_tolerance_and_the_newest_run(workflows_role):
    def strict(tolerated: int) -> dict:
        check_line = {
            "Type": "Choice",
            "Choices": [{"Variable": "$.quantity", "NumericGreaterThan": 0, "Next": "Priced"}],
            "Default": "BadLine",
        }
        processor = {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
            "StartAt": "CheckLine",
            "States": {
                "CheckLine": check_line,
                "Priced": {"Type": "Succeed"},
                "BadLine": {"Type": "Fail", "Error": "NegativeQuantity"},
            },
        }
        lines = {
            "Type": "Map",
            "ItemsPath": "$.lines",
            "ToleratedFailurePercentage": tolerated,
            "ItemProcessor": processor,
            "End": True,
        }
        return {"StartAt": "PriceAllLines", "States": {"PriceAllLines": lines}}

    wrong("08-strict", "no state machine sfn-tutorial-price-all-lines-strict")
    arn = deploy("price-all-lines-strict", strict(20), workflows_role)
    wrong("08-strict", "tolerates 20 %")
    deploy("price-all-lines-strict", strict(10), workflows_role)
    wrong("08-strict", "has no execution yet")
    run(arn, {"lines": [{"quantity": 1} for _ in range(10)]})
    wrong("08-strict", "ended SUCCEEDED")
    run(arn, {"lines": [{"quantity": -1 if i < 2 else 1} for i in range(10)]})
    right("08-strict")


# ---------------------------------------------------------------- 09 JSONPath and JSONata


def test_09_default_reads_the_definition_and_the_newest_output(workflows_role):
    def transactions(default_output: str | None, language: str = "JSONata") -> dict:
        choice = {
            "Type": "Choice",
            "Choices": [
                {"Condition": "{% $states.input.TransactionType = 'PURCHASE' %}", "Next": "Buy"}
            ],
        }
        states = {"ProcessTransaction": choice, "Buy": {"Type": "Pass", "End": True}}
        if default_output is not None:
            choice["Default"] = "Unknown"
            states["Unknown"] = {"Type": "Pass", "Output": default_output, "End": True}
        return {"QueryLanguage": language, "StartAt": "ProcessTransaction", "States": states}

    right_output = "{% {'Message': 'Unknown transaction type: ' & $states.input.TransactionType} %}"
    wrong("09-default", "no state machine sfn-tutorial-TransactionsJSONataDefault")
    arn = deploy("TransactionsJSONataDefault", transactions(None), workflows_role)
    wrong("09-default", "has no Default")
    deploy(
        "TransactionsJSONataDefault", transactions("{% {'Message': 'Unknown'} %}"), workflows_role
    )
    wrong("09-default", "has no execution yet")
    run(arn, {"TransactionType": "PURCHASE"})
    wrong("09-default", '{"TransactionType": "PURCHASE"}')
    run(arn, {"TransactionType": "EXCHANGE"})
    # DescribeExecution gives the output as compact JSON text, as AWS does
    wrong("09-default", 'output {"Message":"Unknown"}')
    deploy("TransactionsJSONataDefault", transactions(right_output), workflows_role)
    run(arn, {"TransactionType": "EXCHANGE"})
    right("09-default")
    jsonpath = {
        "StartAt": "ProcessTransaction",
        "States": {"ProcessTransaction": {"Type": "Pass", "End": True}},
    }
    deploy("TransactionsJSONataDefault", jsonpath, workflows_role)
    wrong("09-default", "not a JSONata machine")


def test_09_variables_reads_assign_and_the_newest_output(workflows_role):
    def receipt(assign: dict, vat: str) -> dict:
        return {
            "QueryLanguage": "JSONata",
            "StartAt": "Remember",
            "States": {
                "Remember": {"Type": "Pass", "Assign": assign, "Next": "Receipt"},
                "Receipt": {"Type": "Pass", "Output": {"vat": vat}, "End": True},
            },
        }

    wrong("09-variables", "no state machine sfn-tutorial-ReceiptWithVat")
    computed = "{% $states.input.amount * 0.1 %}"
    customer = {"customer": "{% $states.input.customer %}"}
    arn = deploy("ReceiptWithVat", receipt(customer, computed), workflows_role)
    wrong("09-variables", "assigns the variable vat")
    double = {**customer, "vat": "{% $states.input.amount * 0.2 %}"}
    deploy("ReceiptWithVat", receipt(double, "{% $vat %}"), workflows_role)
    wrong("09-variables", "has no execution yet")
    run(arn, {"customer": "kim", "amount": 1200})
    wrong("09-variables", "a VAT of 240 on 1200")
    rounded = {**customer, "vat": "{% $round($states.input.amount * 0.1, 2) %}"}
    deploy("ReceiptWithVat", receipt(rounded, "{% $vat %}"), workflows_role)
    run(arn, {"customer": "kim", "amount": 1200})
    assert "120 on 1200" in right("09-variables")
    run(arn, {"customer": "kim"})
    wrong("09-variables", "FAILED")


# ---------------------------------------------------------------- 10 service integrations


@pytest.fixture(scope="module")
def integrations_role(emulator) -> str:
    """A role for notebook 10's state machines that may do anything (IAM is tested elsewhere;
    notebook 10 itself gives its role least-privilege statements)."""
    return broad_roles.role(resource_name("integrations-role"))


def update_status(status_value: str) -> dict:
    return {
        "StartAt": "MarkShipped",
        "States": {
            "MarkShipped": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:updateItem",
                "Parameters": {
                    "TableName": integrations.PURCHASES_TABLE,
                    "Key": {"PurchaseId": {"S.$": "$.PurchaseId"}},
                    "UpdateExpression": "SET #s = :v",
                    "ExpressionAttributeNames": {"#s": "Status"},
                    "ExpressionAttributeValues": {":v": {"S": status_value}},
                },
                "ResultPath": None,
                "End": True,
            }
        },
    }


def test_10_shipped_reads_the_definition_the_newest_run_and_the_table(integrations_role):
    integrations.ensure_table()
    wrong("10-shipped", "no state machine sfn-tutorial-MarkShipped")
    pass_only = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    arn = deploy("MarkShipped", pass_only, integrations_role)
    wrong("10-shipped", "no Task calling arn:aws:states:::dynamodb:updateItem")
    deploy("MarkShipped", update_status("PACKED"), integrations_role)
    wrong("10-shipped", "has no execution yet")
    run(arn, {"PurchaseId": "p-1001"})
    wrong("10-shipped", "Status 'PACKED'")
    deploy("MarkShipped", update_status("SHIPPED"), integrations_role)
    run(arn, {"PurchaseId": "p-1001"})
    assert "p-1001 SHIPPED" in right("10-shipped")
    run(arn, {"Purchase": "p-1001"})
    wrong("10-shipped", "FAILED")


def approval_machine(queue_url: str) -> dict:
    return {
        "StartAt": "AskForApproval",
        "States": {
            "AskForApproval": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {
                    "QueueUrl": queue_url,
                    "MessageBody": {"TaskToken.$": "$$.Task.Token", "Purchase.$": "$"},
                },
                "HeartbeatSeconds": 60,
                "End": True,
            }
        },
    }


def test_10_reject_reads_the_newest_runs_error_and_reason(integrations_role):
    url, _ = integrations.ensure_queue(integrations.APPROVALS_QUEUE)
    wrong("10-reject", "no state machine sfn-tutorial-ApprovePurchase")
    arn = deploy("ApprovePurchase", approval_machine(url), integrations_role)
    wrong("10-reject", "has no execution yet")
    sfn = boto3.client("stepfunctions")

    def answered(approve: bool, reason: str = "") -> None:
        started = sfn.start_execution(stateMachineArn=arn, input='{"PurchaseId": "p-1"}')
        form = approval.ApprovalForm(url, wait_s=10)
        assert form.request is not None
        if approve:
            form.approve_button.click()
        else:
            form.reason.value = reason
            form.reject_button.click()
        executions.wait_for_execution(started["executionArn"], timeout_s=30)

    answered(approve=True)
    wrong("10-reject", "ended SUCCEEDED", "press Reject")
    answered(approve=False)
    wrong("10-reject", "gave no reason")
    answered(approve=False, reason="too dear")
    assert "because: too dear" in right("10-reject")


def report_machine(job: dict, catch: list[str] | None) -> dict:
    state = {
        "Type": "Task",
        "Resource": "arn:aws:states:::ecs:runTask.sync",
        "Parameters": {
            "Cluster": job["cluster"],
            "TaskDefinition": job["family"],
            "LaunchType": "FARGATE",
            "NetworkConfiguration": {
                "AwsvpcConfiguration": {"Subnets": integrations.default_subnets()[:1]}
            },
            "Overrides": {
                "ContainerOverrides": [
                    {"Name": "job", "Environment": [{"Name": "EXIT_CODE", "Value.$": "$.Code"}]}
                ]
            },
        },
        "End": True,
    }
    states = {"RunReport": state}
    if catch:
        state["Catch"] = [{"ErrorEquals": catch, "Next": "ReportFailed"}]
        states["ReportFailed"] = {"Type": "Pass", "End": True}
    return {"StartAt": "RunReport", "States": states}


def test_10_job_reads_the_catch_and_the_newest_run(integrations_role):
    from ecs_setup import python_job

    job = python_job()
    wrong("10-job", "no state machine sfn-tutorial-ReportWithFallback")
    pass_only = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    arn = deploy("ReportWithFallback", pass_only, integrations_role)
    wrong("10-job", "no ecs:runTask.sync Task")
    deploy("ReportWithFallback", report_machine(job, None), integrations_role)
    wrong("10-job", "no Catch for States.TaskFailed")
    deploy("ReportWithFallback", report_machine(job, ["States.Timeout"]), integrations_role)
    wrong("10-job", "no Catch for States.TaskFailed")
    deploy("ReportWithFallback", report_machine(job, ["States.TaskFailed"]), integrations_role)
    wrong("10-job", "has no execution yet")
    run(arn, {"Code": "0"})
    wrong("10-job", "did not fail")
    run(arn, {"Code": "2"})
    assert "caught the failed report job" in right("10-job")


# ---------------------------------------------------------------- 11 Standard vs Express


def express_logged(name: str, definition: dict, role: str, group_arn: str, **logging) -> str:
    configuration = {
        "level": "ALL",
        "includeExecutionData": True,
        "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group_arn}}],
        **logging,
    }
    deliver = {"Effect": "Allow", "Action": list(LOG_DELIVERY_ACTIONS), "Resource": "*"}
    boto3.client("iam").put_role_policy(  # AWS: logging needs the log-delivery actions
        RoleName=role.split("/")[-1],
        PolicyName="deliver-logs",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [deliver]}),
    )
    return resources.ensure_state_machine(
        resource_name(name),
        definition,
        role,
        quiet,
        type="EXPRESS",
        loggingConfiguration=configuration,
    )


def sync_run(arn: str, execution_input) -> dict:
    sfn = boto3.client("stepfunctions")
    return sfn.start_sync_execution(stateMachineArn=arn, input=json.dumps(execution_input))


def test_11_errors_reads_the_logging_configuration_and_the_log(blog_stack):
    role, definition = blog_stack.states_role_arn, blog_stack.definition
    group = resources.ensure_log_group("TransactionsExpressLogged")
    wrong("11-errors", "no state machine sfn-tutorial-TransactionsErrorsOnly")
    arn = resources.ensure_state_machine(
        resource_name("TransactionsErrorsOnly"), definition, role, quiet
    )
    wrong("11-errors", "is a STANDARD machine")
    boto3.client("stepfunctions").delete_state_machine(stateMachineArn=arn)
    arn = express_logged("TransactionsErrorsOnly", definition, role, group)
    wrong("11-errors", "level ALL")
    arn = express_logged("TransactionsErrorsOnly", definition, role, group, level="ERROR")
    wrong("11-errors", "logs its execution data")
    other = resources.ensure_log_group("elsewhere")
    express_logged(
        "TransactionsErrorsOnly",
        definition,
        role,
        other.replace("sfn-tutorial-", "team-"),
        level="ERROR",
        includeExecutionData=False,
    )
    wrong("11-errors", "not send its logs to a tutorial log group")
    express_logged(
        "TransactionsErrorsOnly", definition, role, group, level="ERROR", includeExecutionData=False
    )
    wrong("11-errors", "holds no event")
    sync_run(arn, {"TransactionType": "PURCHASE"})  # succeeds: nothing at level ERROR
    wrong("11-errors", "holds no event")
    express_logged("TransactionsErrorsOnly", definition, role, group, level="ALL")
    sync_run(arn, {"TransactionType": "EXCHANGE"})
    express_logged(
        "TransactionsErrorsOnly", definition, role, group, level="ERROR", includeExecutionData=False
    )
    wrong("11-errors", "logged more than its errors")
    sync_run(arn, {"TransactionType": "EXCHANGE"})
    right("11-errors")


def test_11_async_reads_the_newest_logged_execution(blog_stack):
    role, definition = blog_stack.states_role_arn, blog_stack.definition
    wrong("11-async", "no state machine sfn-tutorial-TransactionsExpressLogged")
    group = resources.ensure_log_group("TransactionsExpressLogged")
    arn = express_logged("TransactionsExpressLogged", definition, role, group)
    wrong("11-async", "not a finished REFUND")
    sfn = boto3.client("stepfunctions")
    purchase = sfn.start_execution(
        stateMachineArn=arn, input=json.dumps({"TransactionType": "PURCHASE"})
    )
    executions.logged_history(group, purchase["executionArn"])
    wrong("11-async", "not a finished REFUND")
    refund = sfn.start_execution(
        stateMachineArn=arn, input=json.dumps({"TransactionType": "REFUND"})
    )
    executions.logged_history(group, refund["executionArn"])
    right("11-async")
    time.sleep(0.01)  # the next execution starts a millisecond later at least
    purchase = sfn.start_execution(
        stateMachineArn=arn, input=json.dumps({"TransactionType": "PURCHASE"})
    )
    executions.logged_history(group, purchase["executionArn"])
    wrong("11-async", "not a finished REFUND")


# ---------------------------------------------------------------- the notebooks' exercise cells


def notebook_cells() -> list[tuple[str, list[dict]]]:
    return [
        (path.name, json.loads(path.read_text())["cells"])
        for path in sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
    ]


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def test_every_exercise_is_task_empty_cell_folded_solution_and_check():
    used = []
    for name, cells in notebook_cells():
        for index, cell in enumerate(cells):
            if "exercise" not in tags(cell):
                continue
            assert cells[index - 1]["cell_type"] == "markdown", (name, index)
            assert "".join(cell["source"]).strip() in ("", "# Your code here"), (name, index)
            following = [c for c in cells[index + 1 : index + 4] if c["cell_type"] == "code"]
            solution, check_cell = following[:2]
            assert "solution" in tags(solution), (name, index)
            hidden = solution["metadata"].get("jupyter", {})
            assert hidden == {"source_hidden": True, "outputs_hidden": True}, (name, index)
            assert "check" in tags(check_cell), (name, index)
            found = re.fullmatch(r'helpers\.check\("([^"]+)"\)', "".join(check_cell["source"]))
            assert found and found[1].startswith(name[:2] + "-"), (name, index)
            used.append(found[1])
    assert sorted(used) == sorted(exercises.CHECKS)


def test_every_check_cell_stores_its_tick_and_no_solution_says_later_cells_rely_on_it():
    for name, cells in notebook_cells():
        for cell in cells:
            text = "".join(cell["source"])
            assert "later cells can rely on it" not in text, name
            if "check" in tags(cell):
                (output,) = cell["outputs"]
                assert output["output_type"] == "stream", name
                assert "".join(output["text"]).startswith("✅ "), (name, output)
                assert "".join(output["text"]).count("\n") == 1, (name, output)


# ---------------------------------------------------------------- 13 operating a workflow

FULFILMENT = {
    "StartAt": "ProcessPurchase",
    "States": {
        "ProcessPurchase": {"Type": "Pass", "Next": "ConfirmOrder"},
        "ConfirmOrder": {"Type": "Pass", "End": True},
    },
}


@pytest.fixture(scope="module")
def fulfilment(emulator) -> dict:
    """Fulfilment with versions 1 and 2 and the alias live routing to version 2."""
    sfn = boto3.client("stepfunctions")
    role = resources.ensure_role(resource_name("fulfilment-test"), "states.amazonaws.com")
    created = helpers.replace_state_machine("Fulfilment", FULFILMENT, role, publish=True)
    changed = copy.deepcopy(FULFILMENT)
    changed["Comment"] = "v2"
    v2 = sfn.update_state_machine(
        stateMachineArn=created["stateMachineArn"], definition=json.dumps(changed), publish=True
    )["stateMachineVersionArn"]
    alias = sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": v2, "weight": 100}]
    )["stateMachineAliasArn"]
    return {
        "arn": created["stateMachineArn"],
        "v1": created["stateMachineVersionArn"],
        "v2": v2,
        "alias": alias,
    }


def test_13_rollback_reads_the_alias_and_its_newest_execution(fulfilment):
    sfn = boto3.client("stepfunctions")
    wrong("13-rollback", "v2 100 %")
    sfn.update_state_machine_alias(
        stateMachineAliasArn=fulfilment["alias"],
        routingConfiguration=[{"stateMachineVersionArn": fulfilment["v1"], "weight": 100}],
    )
    wrong("13-rollback", "no execution yet")
    executions.wait_for_execution(
        sfn.start_execution(stateMachineArn=fulfilment["alias"])["executionArn"]
    )
    right("13-rollback")


def test_13_redrive_needs_a_redriven_my_order(fulfilment, emulator):
    sfn = boto3.client("stepfunctions")
    wrong("13-redrive", "no execution named my-order")
    failing = copy.deepcopy(FULFILMENT)
    failing["States"]["ConfirmOrder"] = {"Type": "Fail", "Error": "WarehouseUnavailable"}
    sfn.update_state_machine(stateMachineArn=fulfilment["arn"], definition=json.dumps(failing))
    started = sfn.start_execution(stateMachineArn=fulfilment["arn"], name="my-order-1")
    executions.wait_for_execution(started["executionArn"])
    wrong("13-redrive", "never redriven")
    sfn.redrive_execution(executionArn=started["executionArn"])
    executions.wait_for_execution(started["executionArn"])
    wrong("13-redrive", "was redriven but ended FAILED")  # a Fail state fails again
    sfn.update_state_machine(stateMachineArn=fulfilment["arn"], definition=json.dumps(FULFILMENT))
    done = sfn.start_execution(stateMachineArn=fulfilment["arn"], name="my-order-2")
    executions.wait_for_execution(done["executionArn"])
    wrong("13-redrive", "never redriven")


def test_13_alarm_reads_the_alarms_configuration(emulator):
    cloudwatch = boto3.client("cloudwatch")
    topic = boto3.client("sns").create_topic(Name=resource_name("alerts"))["TopicArn"]
    wrong("13-alarm", "no alarm")
    alarm = {
        "AlarmName": resource_name("confirm-errors"),
        "Namespace": "AWS/Lambda",
        "MetricName": "Errors",
        "Dimensions": [{"Name": "FunctionName", "Value": resource_name("ConfirmOrder")}],
        "Statistic": "Sum",
        "Period": 300,
        "EvaluationPeriods": 1,
        "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
        "AlarmActions": [topic],
        "Tags": helpers.tags("Key"),
    }
    cloudwatch.put_metric_alarm(**alarm)
    wrong("13-alarm", "Period 300")
    cloudwatch.put_metric_alarm(**{**alarm, "Period": 60, "AlarmActions": []})
    wrong("13-alarm", "add topic_arn")
    cloudwatch.put_metric_alarm(**{**alarm, "Period": 60})
    right("13-alarm")


# ---------------------------------------------------------------- 14 testing a workflow

PURCHASE = {"TransactionType": "PURCHASE"}


def state_answer(definition: dict, state: str, state_input: dict, **more) -> dict:
    """TestState's answer, as notebook 14's ``run_state`` gives it."""
    return boto3.client("stepfunctions").test_state(
        definition=json.dumps(definition), stateName=state, input=json.dumps(state_input), **more
    )


def throttled_purchase_is_retried(blog):
    """A right answer to 14-red: a throttled purchase is RETRIABLE."""
    answer = state_answer(blog, "ProcessPurchase", PURCHASE, mock=exercises.THROTTLED)
    assert answer["status"] == "RETRIABLE"


@pytest.fixture
def notebook_test(monkeypatch):
    """``define(test)``: make ``test`` the notebook's test_a_throttled_purchase_is_retried (in
    ``__main__``, where the check, like ipytest, looks for it)."""
    import sys

    def define(test) -> None:
        monkeypatch.setattr(sys.modules["__main__"], exercises.RETRY_TEST, test, raising=False)

    return define


def test_14_red_runs_the_notebooks_test_on_a_definition_without_and_with_a_retry(
    emulator, notebook_test
):
    wrong("14-red", "no test test_a_throttled_purchase_is_retried")

    def passes(blog):
        pass

    notebook_test(passes)
    wrong("14-red", "passes on the blog's definition")

    def breaks(blog):
        state_answer(blog, "NoSuchState", PURCHASE)

    notebook_test(breaks)
    wrong("14-red", "stops with", "not on an error in the test")

    def never_passes(blog):
        answer = state_answer(blog, "ProcessPurchase", PURCHASE, mock=exercises.THROTTLED)
        assert answer["status"] == "CAUGHT_ERROR"

    notebook_test(never_passes)
    wrong("14-red", "also fails once ProcessPurchase retries", "RETRIABLE")

    def asks_for_more(blog, sfn):
        pass

    notebook_test(asks_for_more)
    wrong("14-red", "asks for sfn")

    notebook_test(throttled_purchase_is_retried)
    right("14-red")

    def with_pytest_fail(blog):
        answer = state_answer(blog, "ProcessPurchase", PURCHASE, mock=exercises.THROTTLED)
        if answer["status"] != "RETRIABLE":
            pytest.fail("a throttled purchase is not retried")

    notebook_test(with_pytest_fail)
    right("14-red")


def test_14_retry_asks_test_state_about_the_deployed_definition(
    emulator, workflows_role, notebook_test
):
    hint = "no state machine sfn-tutorial-TransactionsWithRetry"
    wrong("14-retry", hint)
    blog = exercises.n14_testing_workflows._blog_with_target_arns()

    def with_retriers(*retriers) -> dict:
        fixed = copy.deepcopy(blog)
        fixed["States"]["ProcessPurchase"]["Retry"] = list(retriers)
        return fixed

    deploy(exercises.WITH_RETRY, blog, workflows_role)
    wrong("14-retry", "answers FAILED", "Lambda.TooManyRequestsException")
    deploy(
        exercises.WITH_RETRY,
        with_retriers({"ErrorEquals": ["Lambda.ServiceException"]}),
        workflows_role,
    )
    wrong("14-retry", "answers FAILED")
    swapped = with_retriers({"ErrorEquals": ["States.ALL"]})
    choices = swapped["States"]["ProcessTransaction"]["Choices"]
    choices[0]["Next"], choices[1]["Next"] = "ProcessRefund", "ProcessPurchase"
    deploy(exercises.WITH_RETRY, swapped, workflows_role)
    wrong("14-retry", "sends PURCHASE to ProcessRefund")

    fixed = with_retriers(
        {"ErrorEquals": ["Lambda.ServiceException"], "MaxAttempts": 6},
        {"ErrorEquals": ["Lambda.TooManyRequestsException"], "MaxAttempts": 2},
    )
    deploy(exercises.WITH_RETRY, fixed, workflows_role)
    assert "(TestState: RETRIABLE, then FAILED after 2 attempts)" in right("14-retry")

    def fails_on_it(blog):
        assert "Retry" not in blog["States"]["ProcessPurchase"]

    notebook_test(fails_on_it)
    wrong("14-retry", "Your test_a_throttled_purchase_is_retried fails")
    notebook_test(throttled_purchase_is_retried)
    right("14-retry")
