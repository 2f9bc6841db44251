"""The local target's Task states measured against Step Functions behaviour recorded on real AWS.

``../shared/conformance-tasks/`` (next to this repository, not in it) holds 96 executions
recorded against AWS whose state machines call Lambda (by function ARN and through
``lambda:invoke``), SQS, SNS, DynamoDB and Step Functions itself, with retries, catchers,
timeouts, heartbeats and task tokens: each a ``NNN.json`` case with AWS's status, output or error
and cause, history event types and failure events. Every case runs on this test session's
emulator and is judged by ``run_task_cases.py`` from the same folder (its set-up, masking and
comparison, imported as is).

The test fails if fewer than THRESHOLD pass: raise THRESHOLD whenever a fix makes more cases
pass. The cases it still fails, and why, are in KNOWN_FAILURES.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

CONFORMANCE = Path(__file__).resolve().parents[1].parent / "shared" / "conformance-tasks"
RUNNER = CONFORMANCE / "run_task_cases.py"

THRESHOLD = 62
JOBS = 6  # most cases wait on timeouts, heartbeats or retry intervals, not on the emulator
TIMEOUT_S = 60.0

# Case file (without .json) -> why it still fails.
KNOWN_FAILURES: dict[str, str] = {}


def _load_runner():
    """``run_task_cases.py`` as a module, for its ``Env`` and ``run_case``."""
    spec = importlib.util.spec_from_file_location("conformance_run_task_cases", RUNNER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _report(failures: list[dict]) -> str:
    """One line per failing case: its file, name, what differed, and why if it is known."""
    lines = []
    for result in failures:
        number = result["file"][: -len(".json")]
        why = KNOWN_FAILURES.get(number, "NEW: not a known failure")
        lines.append(f"FAIL {number} {result['name']}: {result['detail']}\n     ({why})")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def cases():
    if not RUNNER.is_file():
        pytest.skip(f"the AWS-recorded Task-state cases are not at {CONFORMANCE}")
    found = []
    for path in sorted(CONFORMANCE.glob("[0-9]*.json")):
        case = json.loads(path.read_text())
        case["_file"] = path.name
        found.append(case)
    return found


def test_known_failures_are_cases(cases):
    numbers = {case["_file"][: -len(".json")] for case in cases}
    assert set(KNOWN_FAILURES) <= numbers


def test_emulator_behaves_as_recorded_on_aws(cases, emulator):
    runner = _load_runner()
    env = runner.Env(os.environ["AWS_ENDPOINT_URL"], emulator.region)
    try:
        with ThreadPoolExecutor(JOBS) as pool:
            results = list(pool.map(lambda case: runner.run_case(env, case, TIMEOUT_S), cases))
    finally:
        env.close()
    failures = [result for result in results if result["result"] != "pass"]
    passed = Counter(result["result"] for result in results)["pass"]
    print(f"\n{passed} of {len(cases)} Task-state cases pass\n{_report(failures)}")
    assert passed >= THRESHOLD, f"{passed} < {THRESHOLD} cases pass:\n{_report(failures)}"
