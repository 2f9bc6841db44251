"""The blog's two handlers, called directly as Lambda would call them."""

import importlib.util
import re
from pathlib import Path

import pytest

LAMBDAS = Path(__file__).resolve().parent.parent / "lambdas"


def load_handler(folder: str, function: str):
    spec = importlib.util.spec_from_file_location(folder, LAMBDAS / folder / "lambda_function.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, function)


def test_process_purchase_answers_with_the_blogs_message():
    handler = load_handler("ProcessPurchase", "process_purchase")
    response = handler({"TransactionType": "PURCHASE"}, None)
    assert response["TransactionType"] == "PURCHASE"
    assert response["Message"] == "Hello from lambda land inside the ProcessPurchase function"
    # the blog's purchase timestamp uses dashes in the time part
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d-\d\d-\d\d", response["Timestamp"])


def test_process_refund_answers_with_the_blogs_message():
    handler = load_handler("ProcessRefund", "process_refund")
    response = handler({"TransactionType": "REFUND"}, None)
    assert response["TransactionType"] == "REFUND"
    assert response["Message"] == "Hello from Refund Processor!"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", response["Timestamp"])


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
