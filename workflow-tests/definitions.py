"""The state machine definitions under test, read from their ``.asl.json`` files.

A definition names the resources it calls with ``${Placeholders}``, as SAM's
``DefinitionSubstitutions`` fill them in on deployment. Tests fill them in with example values
(a mocked call never reaches them) or with the resources they deployed.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
# A folder of NAME.asl.json files: these tests' own, or (WORKFLOW_DEFINITIONS) your project's
FOLDER = Path(os.environ.get("WORKFLOW_DEFINITIONS", HERE / "statemachines"))
EXAMPLE_FUNCTIONS = "arn:aws:lambda:us-east-1:123456789012:function:"
EXAMPLES = {
    "ProcessPurchaseFunctionArn": EXAMPLE_FUNCTIONS + "ProcessPurchase",
    "ProcessRefundFunctionArn": EXAMPLE_FUNCTIONS + "ProcessRefund",
    "ApprovalsQueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/approvals",
}


def load(path: Path | str, **values: str) -> dict:
    """The definition in ``path`` (a file, or a name in ``FOLDER``), its placeholders filled in
    with ``values``, else with ``EXAMPLES``."""
    path = Path(path)
    if not path.suffix:
        path = FOLDER / f"{path}.asl.json"
    filled = {**EXAMPLES, **values}
    text = path.read_text()
    return json.loads(re.sub(r"\$\{(\w+)\}", lambda found: filled[found.group(1)], text))
