"""The blog's two handlers, called directly as Lambda would call them."""

import importlib.util
import json
import re
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

LAMBDAS = Path(__file__).resolve().parent.parent / "lambdas"


@pytest.fixture(autouse=True)
def lambda_region(monkeypatch):
    """Lambda sets the region; ReserveStock makes its boto3 client when it is imported."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-northeast-2")


def load_handler(folder: str, function: str):
    spec = importlib.util.spec_from_file_location(folder, LAMBDAS / folder / "lambda_function.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, function)


@pytest.mark.parametrize(
    ("folder", "function", "transaction_type", "message", "timestamp"),
    [
        (
            "ProcessPurchase",
            "process_purchase",
            "PURCHASE",
            "Hello from lambda land inside the ProcessPurchase function",
            r"\d{4}-\d\d-\d\d \d\d-\d\d-\d\d",  # the blog's uses dashes in the time part
        ),
        (
            "ProcessRefund",
            "process_refund",
            "REFUND",
            "Hello from Refund Processor!",
            r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d",
        ),
    ],
    ids=["process_purchase", "process_refund"],
)
def test_each_function_answers_with_the_blogs_message(
    folder, function, transaction_type, message, timestamp
):
    response = load_handler(folder, function)({"TransactionType": transaction_type}, None)
    assert response["TransactionType"] == transaction_type
    assert response["Message"] == message
    assert re.fullmatch(timestamp, response["Timestamp"])


def test_handlers_print_their_input(capsys):
    load_handler("ProcessRefund", "process_refund")({"TransactionType": "REFUND"}, None)
    assert "{'TransactionType': 'REFUND'}" in capsys.readouterr().out


def test_missing_transaction_type_raises_key_error():
    with pytest.raises(KeyError):
        load_handler("ProcessPurchase", "process_purchase")({}, None)


def test_reserve_stock_reserves_up_to_ten():
    reserve = load_handler("ReserveStock", "reserve")
    assert reserve({"PurchaseId": "p-1", "Item": "book", "Quantity": 2}) == {
        "PurchaseId": "p-1",
        "Reserved": 2,
        "Warehouse": "ICN-1",
    }
    with pytest.raises(ValueError, match="only 10 of 'book' in stock"):
        reserve({"PurchaseId": "p-2", "Item": "book", "Quantity": 11})


def test_confirm_order_fails_only_while_its_warehouse_is_wrong(monkeypatch):
    handler = load_handler("ConfirmOrder", "confirm")
    monkeypatch.delenv("WAREHOUSE_URL", raising=False)
    assert handler({"TransactionType": "PURCHASE"}, None)["Confirmed"] is True
    monkeypatch.setenv("WAREHOUSE_URL", "https://old-warehouse.example.com/orders")
    with pytest.raises(Exception, match="no answer from https://old-warehouse") as raised:
        handler({"TransactionType": "PURCHASE"}, None)
    assert type(raised.value).__name__ == "WarehouseUnavailable"


class FakeStepFunctions:
    """Answers SendTaskSuccess/SendTaskFailure as Step Functions does; a token in ``errors``
    gets that error code."""

    def __init__(self, errors: dict):
        self.exceptions = boto3.client("stepfunctions").exceptions
        self.errors, self.answered = errors, []

    def _answer(self, taskToken, **fields):
        if taskToken in self.errors:
            code = self.errors[taskToken]
            raise ClientError({"Error": {"Code": code, "Message": code}}, "SendTaskSuccess")
        self.answered.append((taskToken, fields))

    send_task_success = send_task_failure = _answer


def sqs_record(message_id: str, token: str, quantity: int = 2) -> dict:
    body = {"TaskToken": token, "Purchase": {"PurchaseId": message_id, "Quantity": quantity}}
    return {"messageId": message_id, "body": json.dumps(body)}


@pytest.mark.parametrize("code", ["TaskTimedOut", "InvalidToken", "TaskDoesNotExist"])
def test_reserve_stock_skips_a_message_whose_execution_no_longer_waits(monkeypatch, code):
    handler = load_handler("ReserveStock", "handler")
    fake = FakeStepFunctions({"expired": code})
    monkeypatch.setitem(handler.__globals__, "stepfunctions", fake)
    event = {"Records": [sqs_record("m-1", "expired"), sqs_record("m-2", "live", quantity=20)]}
    # the expired token is not worth another delivery; the other message was still answered
    assert handler(event, None) == {"batchItemFailures": []}
    assert [(token, fields.get("error")) for token, fields in fake.answered] == [
        ("live", "OutOfStock")
    ]


def test_reserve_stock_names_only_the_messages_to_deliver_again(monkeypatch):
    handler = load_handler("ReserveStock", "handler")
    fake = FakeStepFunctions({"throttled": "ThrottlingException"})
    monkeypatch.setitem(handler.__globals__, "stepfunctions", fake)
    broken = {"messageId": "m-3", "body": "not json"}
    event = {"Records": [sqs_record("m-1", "throttled"), sqs_record("m-2", "live"), broken]}
    assert handler(event, None) == {
        "batchItemFailures": [{"itemIdentifier": "m-1"}, {"itemIdentifier": "m-3"}]
    }
    assert [token for token, _ in fake.answered] == ["live"]


def test_reserve_stock_answers_a_task_that_invokes_it_directly(monkeypatch):
    handler = load_handler("ReserveStock", "handler")
    fake = FakeStepFunctions({"expired": "TaskTimedOut"})
    monkeypatch.setitem(handler.__globals__, "stepfunctions", fake)
    purchase = {"PurchaseId": "p-1", "Item": "book", "Quantity": 2}
    assert handler({"TaskToken": "t", "Purchase": purchase}, None) == {"Answered": "p-1"}
    assert json.loads(fake.answered[0][1]["output"])["Reserved"] == 2
    # invoked directly, a failure to answer fails the invocation (and so the Task)
    with pytest.raises(ClientError, match="TaskTimedOut"):
        handler({"TaskToken": "expired", "Purchase": purchase}, None)
