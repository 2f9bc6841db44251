"""Idempotent create/update, naming and tagging, and clean-up by tag."""

import io
import json
import zipfile

import boto3

from sfn_tutorial import resources


def test_lambda_zip_is_deterministic_and_holds_the_handler():
    first = resources.lambda_zip("ProcessPurchase")
    assert first == resources.lambda_zip("ProcessPurchase")
    names = zipfile.ZipFile(io.BytesIO(first)).namelist()
    assert names == ["lambda_function.py"]


def test_invoke_policy_allows_only_the_given_functions():
    arn = "arn:aws:lambda:ap-northeast-2:123456789012:function:sfn-tutorial-ProcessPurchase"
    policy = resources.invoke_policy([arn])
    (statement,) = policy["Statement"]
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Resource"] == [arn, arn + ":*"]


def test_blog_definition_matches_the_blog():
    definition = resources.blog_definition("arn:p", "arn:r")
    choice = definition["States"]["ProcessTransaction"]
    assert definition["StartAt"] == "ProcessTransaction"
    assert [rule["StringEquals"] for rule in choice["Choices"]] == ["PURCHASE", "REFUND"]
    assert "Default" not in choice
    assert definition["States"]["ProcessPurchase"] == {
        "Type": "Task",
        "Resource": "arn:p",
        "End": True,
    }


def test_ensure_blog_stack_twice_is_the_same_stack(emulator):
    first = resources.ensure_blog_stack(progress=lambda message: None)
    second = resources.ensure_blog_stack(progress=lambda message: None)
    assert first == second
    machines = boto3.client("stepfunctions").list_state_machines()["stateMachines"]
    assert [m["name"] for m in machines] == [resources.STATE_MACHINE]


def test_every_resource_is_named_and_tagged(emulator):
    resources.ensure_blog_stack(progress=lambda message: None)
    boto3.client("lambda").invoke(
        FunctionName=resources.resource_name("ProcessRefund"), Payload=b'{"TransactionType": "R"}'
    )
    found = resources.find_tutorial_resources()
    kinds = sorted(resource.kind for resource in found)
    assert kinds == [
        "IAM role",
        "IAM role",
        "Lambda function",
        "Lambda function",
        "log group",
        "state machine",
    ]
    assert all(
        resource.name.startswith(("sfn-tutorial-", "/aws/lambda/sfn-tutorial-"))
        for resource in found
    )


def test_ensure_function_updates_changed_settings(emulator):
    role = resources.ensure_role(resources.LAMBDA_ROLE, "lambda.amazonaws.com")
    resources.ensure_function("ProcessPurchase", "lambda_function.process_purchase", role)
    updated = resources.ensure_function(
        "ProcessPurchase",
        "lambda_function.process_purchase",
        role,
        Timeout=10,
        Environment={"Variables": {"STAGE": "tutorial"}},
    )
    assert updated["Timeout"] == 10
    assert updated["Environment"]["Variables"] == {"STAGE": "tutorial"}


def test_clean_up_deletes_only_tagged_resources_and_is_safe_to_rerun(emulator):
    iam = boto3.client("iam")
    trust = json.dumps(resources.trust_policy("lambda.amazonaws.com"))
    iam.create_role(RoleName="someone-elses-role", AssumeRolePolicyDocument=trust)
    resources.ensure_blog_stack(progress=lambda message: None)
    deleted = resources.clean_up(progress=lambda message: None)
    assert len(deleted) >= 5
    assert resources.find_tutorial_resources() == []
    assert resources.clean_up(progress=lambda message: None) == []
    assert iam.get_role(RoleName="someone-elses-role")["Role"]["RoleName"] == "someone-elses-role"


def test_retry_while_iam_propagates_retries_only_propagation_errors(monkeypatch):
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 2:
            raise RuntimeError("The role defined for the function cannot be assumed by Lambda.")
        return "done"

    monkeypatch.setattr(resources.time, "sleep", lambda seconds: None)
    messages = []
    assert resources.retry_while_iam_propagates(flaky, progress=messages.append) == "done"
    assert len(calls) == 2 and "not usable everywhere in AWS yet" in messages[0]


def test_retry_while_iam_propagates_raises_other_errors_at_once():
    def broken():
        raise ValueError("AccessDenied")

    import pytest

    with pytest.raises(ValueError, match="AccessDenied"):
        resources.retry_while_iam_propagates(broken)
