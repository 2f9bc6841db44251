"""SQS for tests: the messages that reach a queue, read as they arrive."""

from __future__ import annotations

import json
import time

import boto3


def received(url: str, wanted: int = 1, wait_s: float = 10) -> list[dict]:
    """The JSON bodies of the messages queue ``url`` receives until ``wanted`` have arrived or
    ``wait_s`` seconds have passed (``[]`` if none came)."""
    sqs = boto3.client("sqs")
    found, deadline = [], time.monotonic() + wait_s
    while len(found) < wanted and time.monotonic() < deadline:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        found += [json.loads(message["Body"]) for message in answer.get("Messages", [])]
    return found
