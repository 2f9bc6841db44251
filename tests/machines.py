"""State machines for tests that are not about IAM: created with the role of ``broad_roles``
(which may do anything) under a new name, and run to their end."""

from __future__ import annotations

import json
import uuid

import boto3
import broad_roles

from sfn_tutorial import executions


def create(prefix: str, definition: dict, **settings) -> str:
    """A new state machine of ``definition`` (and CreateStateMachine's ``settings``) named
    ``{prefix}-`` and 8 random hex digits; its ARN."""
    return boto3.client("stepfunctions").create_state_machine(
        name=f"{prefix}-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn=broad_roles.role(),
        **settings,
    )["stateMachineArn"]


def start(state_machine_arn: str, execution_input=None) -> str:
    """Start ``state_machine_arn`` on ``execution_input`` (``{}`` if None); the execution's ARN."""
    return boto3.client("stepfunctions").start_execution(
        stateMachineArn=state_machine_arn, input=json.dumps(execution_input or {})
    )["executionArn"]


def run(prefix: str, definition: dict, execution_input=None, timeout_s: float = 30) -> dict:
    """Create a state machine of ``definition`` (see ``create``), run it once on
    ``execution_input`` and wait up to ``timeout_s`` for its end; the execution's description."""
    arn = start(create(prefix, definition), execution_input)
    return executions.wait_for_execution(arn, timeout_s=timeout_s)
