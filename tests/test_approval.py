"""sfn_tutorial/approval.py: the approval form takes a waiting request and answers it."""

from __future__ import annotations

import json
import uuid

import boto3
import machines
import pytest

from sfn_tutorial import approval, executions


@pytest.fixture
def waiting(emulator):
    """An execution waiting in a callback Task for an answer sent to a fresh queue."""
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=f"approval-test-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    definition = {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {
                    "QueueUrl": url,
                    "MessageBody": {"TaskToken.$": "$$.Task.Token", "Purchase.$": "$"},
                },
                "HeartbeatSeconds": 30,
                "End": True,
            }
        },
    }
    machine = machines.create("approval-test", definition)
    return url, machines.start(machine, {"PurchaseId": "p-9", "Amount": 5})


def test_approve_succeeds_the_execution_with_the_approvers_answer(waiting):
    url, arn = waiting
    form = approval.ApprovalForm(url, approver="kim", wait_s=10)
    assert repr(form) == "ApprovalForm(p-9)"
    assert "p-9" in form.details.value and not form.approve_button.disabled
    form.approve_button.click()
    assert form.message == "Approved purchase p-9."
    description = executions.wait_for_execution(arn, timeout_s=30)
    assert json.loads(description["output"]) == {"approved": True, "approver": "kim"}
    assert form.approve_button.disabled and form.reject_button.disabled


def test_reject_fails_it_with_the_reason_as_cause(waiting):
    url, arn = waiting
    form = approval.ApprovalForm(url, wait_s=10)
    form.reason.value = "too dear"
    form.reject_button.click()
    description = executions.wait_for_execution(arn, timeout_s=30)
    assert description["error"] == "PurchaseRejected"
    assert description["cause"] == "too dear"


def test_opening_a_request_sends_a_heartbeat(waiting):
    url, arn = waiting
    approval.ApprovalForm(url, wait_s=10)
    events = boto3.client("stepfunctions").get_execution_history(executionArn=arn)["events"]
    assert any(event["type"] == "TaskSubmitted" for event in events)
    # a heartbeat for a live token is accepted; the form would have failed otherwise


def test_an_empty_queue_says_so_and_answers_nothing(emulator):
    url = boto3.client("sqs").create_queue(QueueName=f"approval-empty-{uuid.uuid4().hex[:8]}")[
        "QueueUrl"
    ]
    form = approval.ApprovalForm(url, wait_s=0)
    assert form.message == "No purchase is waiting for approval."
    assert form.approve() is False
    assert form.message == "There is nothing to answer: no purchase is waiting."
