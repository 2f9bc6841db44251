"""Set-up shared by the workflow tests: a Step Functions client, the definitions, one helper.

The unit tests call Step Functions' TestState API with mocks: no function or service is called,
so they need no deployed resources and no IAM role. They run wherever boto3 points: your AWS
account, or the tutorial's local emulator
(``eval "$(python -m sfn_tutorial.emulator.server --env)"``).
"""

from __future__ import annotations

import json

import boto3
import definitions
import pytest


@pytest.fixture(scope="session")
def sfn():
    return boto3.client("stepfunctions")


@pytest.fixture(scope="session")
def blog() -> dict:
    """The blog's state machine (``statemachine/transactions.asl.json``, the file its SAM
    template deploys): a Choice, then one Lambda function per transaction type."""
    return definitions.load("transactions")


@pytest.fixture(scope="session")
def approval() -> dict:
    """Notebook 10's ApprovePurchase: wait for a person's answer, catch a rejection or silence."""
    return definitions.load("approve_purchase")


@pytest.fixture(scope="session")
def run_state(sfn):
    """``run_state(machine, state, input, mock=..., **more)``: TestState's answer for one state
    of ``machine`` (a dict), with ``output`` and ``inspectionData`` read back from JSON."""

    def run(machine: dict, state: str, state_input=None, mock: dict | None = None, **more):
        request = {"definition": json.dumps(machine), "stateName": state, **more}
        request["input"] = json.dumps({} if state_input is None else state_input)
        if mock is not None:
            request["mock"] = mock
        if isinstance(request.get("context"), dict):
            request["context"] = json.dumps(request["context"])
        answer = sfn.test_state(**request)
        answer.pop("ResponseMetadata", None)
        if "output" in answer:
            answer["output"] = json.loads(answer["output"])
        data = answer.get("inspectionData", {})
        for key, value in data.items():
            if isinstance(value, str):
                data[key] = json.loads(value)
        return answer

    return run
