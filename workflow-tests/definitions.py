"""The state machine definitions under test, read from their ``.asl.json`` files.

The definitions are where your project keeps them: in the folders that ``WORKFLOW_DEFINITIONS``
names (separated by ``:``, or ``;`` on Windows; relative to where you run the tests), else in
``statemachine/`` beside this folder, where a SAM project keeps the files its template deploys,
and in this folder's own ``statemachines/``. Tests name a definition by its file name without
``.asl.json``; the first folder that has it wins.

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
DEFAULT_FOLDERS = [HERE.parent / "statemachine", HERE / "statemachines"]
EXAMPLE_FUNCTIONS = "arn:aws:lambda:us-east-1:123456789012:function:"
EXAMPLES = {
    "ProcessPurchaseFunctionArn": EXAMPLE_FUNCTIONS + "ProcessPurchase",
    "ProcessRefundFunctionArn": EXAMPLE_FUNCTIONS + "ProcessRefund",
    "ApprovalsQueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/approvals",
}


def folders() -> list[Path]:
    """The folders the definitions are in: ``WORKFLOW_DEFINITIONS``'s, else the defaults."""
    named = os.environ.get("WORKFLOW_DEFINITIONS", "")
    chosen = [Path(folder) for folder in named.split(os.pathsep) if folder]
    return chosen or DEFAULT_FOLDERS


def files() -> list[Path]:
    """Every ``.asl.json`` file of ``folders()``."""
    return [path for folder in folders() for path in sorted(folder.glob("*.asl.json"))]


def find(name: str) -> Path:
    """The file of the definition called ``name`` (``NAME.asl.json``) in ``folders()``."""
    for folder in folders():
        if (folder / f"{name}.asl.json").is_file():
            return folder / f"{name}.asl.json"
    searched = ", ".join(str(folder) for folder in folders())
    raise FileNotFoundError(f"No {name}.asl.json in {searched} (see WORKFLOW_DEFINITIONS)")


def load(path: Path | str, **values: str) -> dict:
    """The definition in ``path`` (a file, or a name ``find`` looks up), its placeholders
    filled in with ``values``, else with ``EXAMPLES``."""
    path = Path(path)
    if not path.suffix:
        path = find(str(path))
    filled = {**EXAMPLES, **values}
    text = path.read_text()
    return json.loads(re.sub(r"\$\{(\w+)\}", lambda found: filled[found.group(1)], text))
