"""The blog's orders: an execution of its state machine (the ``blog_stack`` fixture's) started
on an order of one transaction type."""

from __future__ import annotations

import json

import boto3

# The history AWS records for a PURCHASE order: the Choice state, then the Lambda Task.
PURCHASE_EVENT_TYPES = [
    "ExecutionStarted",
    "ChoiceStateEntered",
    "ChoiceStateExited",
    "TaskStateEntered",
    "LambdaFunctionScheduled",
    "LambdaFunctionStarted",
    "LambdaFunctionSucceeded",
    "TaskStateExited",
    "ExecutionSucceeded",
]


def start(stack, transaction_type: str) -> str:
    """Start ``stack``'s state machine on ``{"TransactionType": transaction_type}``; the
    execution's ARN."""
    return boto3.client("stepfunctions").start_execution(
        stateMachineArn=stack.state_machine_arn,
        input=json.dumps({"TransactionType": transaction_type}),
    )["executionArn"]
