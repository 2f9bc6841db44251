"""Unit tests of two workflows, one state at a time, with Step Functions' TestState API.

Each test runs one state of a definition on an input and checks what the state does: the state
it goes to next, its output, the error it raises or catches. A Task's call is replaced by a mock:
its answer (``result``) or its error (``errorOutput``). AWS checks a mocked answer against the
service's API (``fieldValidationMode`` STRICT by default), so a mock cannot describe an answer
the service would never give.
"""

from __future__ import annotations

import json

import pytest

PURCHASE = {"TransactionType": "PURCHASE"}

# ---------------------------------------------------------------- the blog's workflow


@pytest.mark.parametrize(
    ("transaction_type", "next_state"),
    [("PURCHASE", "ProcessPurchase"), ("REFUND", "ProcessRefund")],
)
def test_each_transaction_type_goes_to_its_function(run_state, blog, transaction_type, next_state):
    answer = run_state(blog, "ProcessTransaction", {"TransactionType": transaction_type})
    assert (answer["status"], answer["nextState"]) == ("SUCCEEDED", next_state)
    assert answer["output"] == {"TransactionType": transaction_type}


def test_an_unknown_transaction_type_fails_the_workflow(run_state, blog):
    # The Choice has no Default: an input no rule matches ends the execution.
    answer = run_state(blog, "ProcessTransaction", {"TransactionType": "EXCHANGE"})
    assert (answer["status"], answer["error"]) == ("FAILED", "States.NoChoiceMatched")


def test_a_purchase_returns_what_its_function_answers(run_state, blog):
    reply = {"TransactionType": "PURCHASE", "Message": "Hello from lambda land"}
    answer = run_state(blog, "ProcessPurchase", PURCHASE, mock={"result": json.dumps(reply)})
    assert (answer["status"], answer["output"]) == ("SUCCEEDED", reply)
    assert "nextState" not in answer  # the workflow ends here


def test_a_function_error_fails_the_workflow(run_state, blog):
    # The blog's Tasks have no Retry or Catch: one error from Lambda ends the execution.
    mock = {"errorOutput": {"error": "Lambda.ServiceException", "cause": "Lambda is unavailable"}}
    answer = run_state(blog, "ProcessPurchase", PURCHASE, mock=mock)
    assert (answer["status"], answer["error"]) == ("FAILED", "Lambda.ServiceException")


# ---------------------------------------------------------------- notebook 10's ApprovePurchase

ORDER = {"PurchaseId": "p-1004", "Item": "sofa", "Amount": 990000, "ReviewSeconds": 60}


def test_the_approval_request_carries_the_task_token(run_state, approval):
    # The context object stands in for the execution's: here the token of the waiting task.
    answer = run_state(
        approval,
        "AskForApproval",
        ORDER,
        mock={"result": json.dumps({"Approved": True})},
        context={"Task": {"Token": "token-for-p-1004"}},
        inspectionLevel="DEBUG",
    )
    message = answer["inspectionData"]["afterParameters"]["MessageBody"]
    assert message == {"TaskToken": "token-for-p-1004", "Purchase": ORDER}


def test_an_approved_purchase_goes_on_with_the_answer(run_state, approval):
    approved = {"Approved": True, "By": "kim"}
    answer = run_state(approval, "AskForApproval", ORDER, mock={"result": json.dumps(approved)})
    assert (answer["status"], answer["nextState"]) == ("SUCCEEDED", "Approved")
    assert answer["output"] == {**ORDER, "Approval": approved}


@pytest.mark.parametrize(
    ("error", "next_state"),
    [("PurchaseRejected", "Rejected"), ("States.HeartbeatTimeout", "NobodyAnswered")],
)
def test_a_rejection_or_silence_is_caught(run_state, approval, error, next_state):
    mock = {"errorOutput": {"error": error, "cause": "as mocked"}}
    answer = run_state(approval, "AskForApproval", ORDER, mock=mock, inspectionLevel="DEBUG")
    assert (answer["status"], answer["nextState"]) == ("CAUGHT_ERROR", next_state)
    assert answer["output"]["Error"] == {"Error": error, "Cause": "as mocked"}
    assert answer["inspectionData"]["errorDetails"]["catchIndex"] in (0, 1)


def test_a_rejected_purchase_ends_the_workflow_failed(run_state, approval):
    answer = run_state(approval, "Rejected", {**ORDER, "Error": {"Error": "PurchaseRejected"}})
    assert (answer["status"], answer["error"]) == ("FAILED", "PurchaseRejected")
    assert answer["cause"] == "The approver said no."


def test_an_unexpected_error_is_not_caught(run_state, approval):
    mock = {"errorOutput": {"error": "SQS.QueueDoesNotExist", "cause": "no such queue"}}
    answer = run_state(approval, "AskForApproval", ORDER, mock=mock)
    assert (answer["status"], answer["error"]) == ("FAILED", "SQS.QueueDoesNotExist")
