"""ReserveStock: a warehouse worker that reads purchases from an SQS queue and answers the
waiting Step Functions execution with the task token each message carries.

Lambda calls it with a batch of SQS messages (an event source mapping), each body like
{"TaskToken": "...", "Purchase": {"PurchaseId": "p-1", "Item": "book", "Quantity": 2}};
a Task state can also invoke it directly with such a body as its payload
(arn:aws:states:::lambda:invoke.waitForTaskToken).
A quantity over 10 is more than the warehouse holds: that execution gets SendTaskFailure.

The mapping is created with FunctionResponseTypes=["ReportBatchItemFailures"], so Lambda reads
the answer's "batchItemFailures": only the messages named there are delivered again; the others
are deleted. Without that setting Lambda ignores the list and deletes or redelivers the whole
batch together.
"""

import json

import boto3

STOCK_PER_ITEM = 10
stepfunctions = boto3.client("stepfunctions")  # created once, reused by warm invocations

# The execution no longer waits for this token (it timed out, was stopped, or the token is not
# one): answering again cannot succeed, so the message is done rather than delivered again.
TOKEN_GONE = ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist")


def reserve(purchase: dict) -> dict:
    """Reserve the purchase's items; raise ValueError if the warehouse has too few."""
    quantity = int(purchase.get("Quantity", 1))
    if quantity > STOCK_PER_ITEM:
        raise ValueError(f"only {STOCK_PER_ITEM} of {purchase.get('Item')!r} in stock")
    return {"PurchaseId": purchase.get("PurchaseId"), "Reserved": quantity, "Warehouse": "ICN-1"}


def answer(message: dict) -> None:
    """Answer one message's execution: SendTaskSuccess with the reservation, or
    SendTaskFailure with the reason."""
    try:
        reservation = reserve(message["Purchase"])
    except ValueError as problem:
        stepfunctions.send_task_failure(
            taskToken=message["TaskToken"], error="OutOfStock", cause=str(problem)
        )
    else:
        stepfunctions.send_task_success(
            taskToken=message["TaskToken"], output=json.dumps(reservation)
        )


def handler(event, context):
    """Called by Lambda with a batch of SQS messages, or by a Task state directly
    (``lambda:invoke.waitForTaskToken`` with a payload of ``TaskToken`` and ``Purchase``)."""
    if "Records" not in event:
        print(f"invoked by a Task: purchase {event['Purchase']}")
        answer(event)  # an error here fails the invocation, and so the waiting Task
        return {"Answered": event["Purchase"].get("PurchaseId")}
    return answer_messages(event["Records"])


def answer_messages(records: list) -> dict:
    """Answer every message's execution. A message whose execution no longer waits is done;
    a message that could not be answered for another reason (throttling, a network error, a
    body that is not what we expect) is listed in batchItemFailures, so that Lambda delivers
    only that one again."""
    failures = []
    for record in records:
        message_id = record["messageId"]
        try:
            message = json.loads(record["body"])
            print(f"message {message_id}: purchase {message['Purchase']}")
            answer(message)
        except stepfunctions.exceptions.ClientError as error:
            code = error.response["Error"]["Code"]
            if code in TOKEN_GONE:
                print(f"message {message_id}: the execution no longer waits ({code}); skipped")
                continue
            print(f"message {message_id}: {code}; it will be delivered again")
            failures.append({"itemIdentifier": message_id})
        except Exception as error:  # any other problem: deliver this message again
            print(f"message {message_id}: {error!r}; it will be delivered again")
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}
