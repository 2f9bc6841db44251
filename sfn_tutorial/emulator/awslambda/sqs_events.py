"""SQS event source mappings: Lambda polls the queue and runs the function with batches.

AWS (Lambda developer guide, "Using Lambda with Amazon SQS"): once ``CreateEventSourceMapping``
links a queue to a function, Lambda long-polls the queue, reads up to ``BatchSize`` messages
(default 10), and invokes the function synchronously with ``{"Records": [...]}``, one record per
message (``messageId``, ``receiptHandle``, ``body``, ``attributes``, ``messageAttributes``,
``md5OfBody``, ``eventSource`` ``aws:sqs``, ``eventSourceARN``, ``awsRegion``). When the function
succeeds, Lambda deletes the batch's messages; when it fails, the messages become visible again
after the queue's visibility timeout and are retried. With ``FunctionResponseTypes:
["ReportBatchItemFailures"]`` only the messages the function names in ``batchItemFailures`` stay.
Messages already waiting when the mapping is created are delivered too; a disabled mapping
(``Enabled: false``) delivers nothing.

moto delivered a message to the function inside the ``SendMessage`` call that sent it (the sender
waited for the function), one message per invocation, with made-up attributes, and never
delivered messages sent before the mapping existed. Here a poller thread, started with the
emulator (``apply``) and stopped with it (``stop``), delivers as Lambda does, running the real
handler through ``awslambda.service``.
"""

from __future__ import annotations

import atexit
import json
import threading

from sfn_tutorial.emulator.awslambda import service

POLL_INTERVAL_S = 0.2
DEFAULT_BATCH_SIZE = 10
_stopping = threading.Event()
_thread: threading.Thread | None = None


def apply() -> None:
    """Hand SQS mappings to the poller instead of moto's delivery in ``SendMessage``; start it."""
    mappings_are_polled_not_pushed()
    mappings_are_listed_by_any_name_of_the_function()
    start()
    atexit.register(stop)


def start() -> None:
    """Start the poller thread (once)."""
    global _thread
    if _thread is None or not _thread.is_alive():
        _stopping.clear()
        _thread = threading.Thread(target=_run, name="sqs-event-sources", daemon=True)
        _thread.start()


def stop(timeout: float = 5.0) -> None:
    """Stop the poller thread after its current batch."""
    _stopping.set()
    if _thread is not None:
        _thread.join(timeout)


def mappings_are_polled_not_pushed() -> None:
    """``CreateEventSourceMapping`` on a queue no longer makes ``SendMessage`` run the function;
    the poller reads the queue instead."""
    from moto.awslambda.models import LambdaBackend

    original = LambdaBackend.create_event_source_mapping

    def create_event_source_mapping(self, spec):
        mapping = original(self, spec)
        if is_sqs(mapping):
            for queue in sqs_queues(mapping.account_id, mapping.region):
                queue.lambda_event_source_mappings.pop(mapping.function_arn, None)
        return mapping

    LambdaBackend.create_event_source_mapping = create_event_source_mapping


def mappings_are_listed_by_any_name_of_the_function() -> None:
    """``ListEventSourceMappings(FunctionName=...)`` accepts the function's name, ARN or
    partial ARN and lists its mappings whichever was used to create them. moto compared the
    text with the one given at creation: a mapping made by name was not found by ARN."""
    from moto.awslambda.models import LambdaBackend

    original = LambdaBackend.list_event_source_mappings

    def list_event_source_mappings(self, event_source_arn, function_name):
        mappings = original(self, event_source_arn, None)
        if not function_name:
            return mappings
        try:
            function = self.get_function(function_name)
        except Exception:  # an unknown function has no mappings
            return []
        return [m for m in mappings if m.function_arn == function.function_arn]

    LambdaBackend.list_event_source_mappings = list_event_source_mappings


def is_sqs(mapping) -> bool:
    """Whether ``mapping`` reads an SQS queue."""
    return mapping.event_source_arn.split(":")[2] == "sqs"


def sqs_queues(account_id: str, region: str) -> list:
    """moto's queues of one account and region."""
    from moto.sqs.models import sqs_backends

    return list(sqs_backends[account_id][region].queues.values())


def _run() -> None:
    while not _stopping.wait(POLL_INTERVAL_S):
        try:
            poll_once()
        except Exception as error:  # keep polling whatever one mapping holds
            print(f"sqs event sources: {error!r}", flush=True)


def sqs_mappings() -> list:
    """Every enabled SQS event source mapping, in every account and region."""
    from moto.awslambda.models import lambda_backends

    found = []
    for regions in list(lambda_backends.values()):
        for backend in list(regions.values()):
            for mapping in list(backend._event_source_mappings.values()):
                if is_sqs(mapping) and mapping.enabled:
                    found.append(mapping)
    return found


def poll_once() -> int:
    """Deliver one batch for every enabled SQS mapping with visible messages; return how many
    batches were delivered."""
    delivered = 0
    for mapping in sqs_mappings():
        if deliver_batch(mapping):
            delivered += 1
    return delivered


def deliver_batch(mapping) -> bool:
    """Read up to ``BatchSize`` messages for ``mapping``, run its function, delete what it
    processed. ``False`` when the queue had nothing to deliver (or is gone)."""
    from moto.awslambda.utils import get_backend
    from moto.sqs.models import sqs_backends

    queue_name = mapping.event_source_arn.split(":")[5]
    sqs = sqs_backends[mapping.account_id][mapping.region]
    if queue_name not in sqs.queues:
        return False
    queue = sqs.queues[queue_name]
    messages = sqs.receive_message(
        queue_name,
        int(mapping.batch_size or DEFAULT_BATCH_SIZE),
        0,
        int(queue.visibility_timeout),
    )
    if not messages:
        return False
    event = sqs_event(messages, mapping.event_source_arn, mapping.region)
    lambdas = get_backend(mapping.account_id, mapping.region)
    try:
        function = lambdas.get_function(mapping.function_arn)
        status, headers, payload = service.invoke_response(
            lambdas, function.function_name, None, json.dumps(event).encode(), {}
        )
    except Exception:
        return True  # Lambda retries the batch once its messages are visible again
    if headers.get("x-amz-function-error"):
        return True
    for message in processed(messages, payload, mapping.function_response_types):
        sqs.delete_message(queue_name, message.receipt_handle)
    return True


def processed(messages: list, payload: bytes, response_types) -> list:
    """The messages Lambda deletes after a successful invocation: all of them, or with
    ``ReportBatchItemFailures`` all but those named in the result's ``batchItemFailures``."""
    if "ReportBatchItemFailures" not in (response_types or []):
        return messages
    try:
        result = json.loads(payload or b"null")
    except ValueError:
        return messages
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    failed = {item.get("itemIdentifier") for item in failures or [] if isinstance(item, dict)}
    return [message for message in messages if message.id not in failed]


def sqs_event(messages: list, queue_arn: str, region: str) -> dict:
    """The event Lambda passes a function for a batch of SQS messages."""
    return {"Records": [record(message, queue_arn, region) for message in messages]}


def record(message, queue_arn: str, region: str) -> dict:
    """One message as a record of Lambda's SQS event."""
    attributes = {
        "ApproximateReceiveCount": str(message.approximate_receive_count),
        "SentTimestamp": str(message.sent_timestamp),
        "SenderId": str(message.sender_id),
        "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
    }
    if queue_arn.endswith(".fifo"):
        attributes.update(
            {
                "SequenceNumber": str(message.sequence_number),
                "MessageGroupId": str(message.group_id),
                "MessageDeduplicationId": str(message.deduplication_id),
            }
        )
    return {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": attributes,
        "messageAttributes": message_attributes(message.message_attributes),
        "md5OfBody": message.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def message_attributes(attributes: dict) -> dict:
    """Message attributes as Lambda's SQS event writes them (camelCase members)."""
    shown = {}
    for name, value in (attributes or {}).items():
        entry = {
            "stringValue": value.get("StringValue"),
            "binaryValue": value.get("BinaryValue"),
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value.get("DataType"),
        }
        shown[name] = {key: item for key, item in entry.items() if item is not None}
    return shown
