"""ReserveStock: a warehouse worker that reads purchases from an SQS queue and answers the
waiting Step Functions execution with the task token each message carries.

Lambda calls it with a batch of SQS messages (an event source mapping), each body like
{"TaskToken": "...", "Purchase": {"PurchaseId": "p-1", "Item": "book", "Quantity": 2}}.
A quantity over 10 is more than the warehouse holds: that execution gets SendTaskFailure.
"""

import json

import boto3

STOCK_PER_ITEM = 10
stepfunctions = boto3.client("stepfunctions")  # created once, reused by warm invocations


def reserve(purchase: dict) -> dict:
    """Reserve the purchase's items; raise ValueError if the warehouse has too few."""
    quantity = int(purchase.get("Quantity", 1))
    if quantity > STOCK_PER_ITEM:
        raise ValueError(f"only {STOCK_PER_ITEM} of {purchase.get('Item')!r} in stock")
    return {"PurchaseId": purchase.get("PurchaseId"), "Reserved": quantity, "Warehouse": "ICN-1"}


def handler(event, context):
    """Answer every message's execution: SendTaskSuccess with the reservation, or
    SendTaskFailure with the reason."""
    for record in event["Records"]:
        message = json.loads(record["body"])
        print(f"message {record['messageId']}: purchase {message['Purchase']}")
        try:
            reservation = reserve(message["Purchase"])
        except ValueError as problem:
            stepfunctions.send_task_failure(
                taskToken=message["TaskToken"], error="OutOfStock", cause=str(problem)
            )
            continue
        stepfunctions.send_task_success(
            taskToken=message["TaskToken"], output=json.dumps(reservation)
        )
    return {"batchItemFailures": []}
