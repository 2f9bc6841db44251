"""The local target measured against Step Functions behaviour recorded on real AWS.

``../shared/conformance/localstack_offline_cases.jsonl`` (next to this repository, not in it)
holds 872 executions recorded against AWS: a definition, an input, and AWS's status, output or
error and cause, and path of states. Every case runs on this test session's emulator and is
judged by ``run_cases.py`` from the same folder (its masking and comparison, imported as is).

Plain moto 5.2.5 passes 752; this emulator passes 865. The test fails if fewer than THRESHOLD
pass: raise THRESHOLD whenever a fix makes more cases pass. The cases it still fails, and why,
are in KNOWN_FAILURES; none of them is an emulator behaviour we know to differ from AWS.
EXPRESS cases run through StartSyncExecution (``_SyncExpress``), the only way AWS answers an
Express execution's result.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import boto3
import broad_roles
import conformance_runs
import pytest

CONFORMANCE = conformance_runs.SHARED / "conformance"
CASES = CONFORMANCE / "localstack_offline_cases.jsonl"
RUNNER = CONFORMANCE / "run_cases.py"

THRESHOLD = 865
JOBS = 4  # the emulator is one process: more threads do not make it faster on 2 cores
TIMEOUT_S = 20.0

_RECORDED_INVALID_TIMESTAMP = (
    "the recorded cause quotes the invalid timestamp itself (e.g. 2016-13-05T21:29:29Z) while "
    "run_cases.py masks every ISO-8601-shaped string of the actual cause to 'date', so no "
    "endpoint can match; the emulator's cause is AWS's"
)
_UNLISTED_ROLE_MASK = (
    "the recording replaced the execution's role ARN with 'snf_role_arn' but did not list it "
    "in snapshot_replacements, so no real role ARN can match; the rest of $$ (RedriveCount, "
    "StartTime, EnteredTime) matches"
)

# Case name (without the test file's path) -> why it still fails.
KNOWN_FAILURES = {
    "TestBaseScenarios::test_wait_timestamp_path[INVALID_DATE]#get_execution_history": (
        _RECORDED_INVALID_TIMESTAMP
    ),
    "TestBaseScenarios::test_wait_timestamp_path[INVALID_TIME]#get_execution_history": (
        _RECORDED_INVALID_TIMESTAMP
    ),
    "TestBaseScenarios::test_wait_timestamp_jsonata[INVALID_DATE]#get_execution_history": (
        _RECORDED_INVALID_TIMESTAMP
    ),
    "TestBaseScenarios::test_wait_timestamp_jsonata[INVALID_TIME]#get_execution_history": (
        _RECORDED_INVALID_TIMESTAMP
    ),
    "TestSnfBase::test_query_context_object_values#get_execution_history": _UNLISTED_ROLE_MASK,
    "TestSnfBase::test_input_path[$$]#get_execution_history": _UNLISTED_ROLE_MASK,
    "TestSnfBase::test_output_path[$$]#get_execution_history": _UNLISTED_ROLE_MASK,
}


def _short(name: str) -> str:
    """A case name without the path of the LocalStack test file it came from."""
    return name.split(".py::", 1)[-1]


def _runs_branches_in_parallel(case: dict) -> bool:
    """Whether the case has a Parallel state: its recorded path lists each branch's states in
    branch order, which threads keep only when the emulator is not busy with other cases."""
    return '"Type": "Parallel"' in json.dumps(case["definition"])


def _label(result: dict) -> tuple[str, str]:
    """A failing case's key in KNOWN_FAILURES, and how its report line names it: its name."""
    name = _short(result["name"])
    return name, name


class _SyncExpress:
    """The Step Functions client ``run_cases.py`` is given, answering an EXPRESS case as AWS
    can: ``run_case`` starts every case with ``StartExecution`` and reads its result with
    ``DescribeExecution``, which AWS refuses for an Express execution (``InvalidArn``), as the
    emulator does. The EXPRESS cases were recorded from ``StartSyncExecution``'s answer, so here
    ``start_execution`` of an EXPRESS machine runs ``StartSyncExecution``, and
    ``describe_execution`` of its ARN answers what that call answered."""

    def __init__(self, client):
        self._client = client
        self._answers: dict[str, dict] = {}

    def __getattr__(self, name):
        return getattr(self._client, name)

    def start_execution(self, **request):
        machine = self._client.describe_state_machine(stateMachineArn=request["stateMachineArn"])
        if machine["type"] != "EXPRESS":
            return self._client.start_execution(**request)
        answer = self._client.start_sync_execution(**request)
        self._answers[answer["executionArn"]] = answer
        return answer

    def describe_execution(self, executionArn):
        if executionArn in self._answers:
            return self._answers[executionArn]
        return self._client.describe_execution(executionArn=executionArn)


def _run_parallel_case(run, case, tries: int = 3) -> dict:
    """Run a case with a Parallel state up to ``tries`` times until it passes: its branches
    really run concurrently, so the order in which their states are entered is one of several
    valid interleavings, and the recorded one is only the most likely."""
    for _ in range(tries):
        result = run(case)
        if result["result"] == "pass":
            break
    return result


@pytest.fixture(scope="module")
def cases():
    if not CASES.is_file() or not RUNNER.is_file():
        pytest.skip(f"the AWS-recorded conformance cases are not at {CONFORMANCE}")
    return [json.loads(line) for line in CASES.read_text().splitlines() if line.strip()]


def test_known_failures_are_cases(cases):
    names = {_short(case["name"]) for case in cases}
    assert set(KNOWN_FAILURES) <= names


def test_emulator_behaves_as_recorded_on_aws(cases, emulator):
    runner = conformance_runs.load_runner(RUNNER, "conformance_run_cases")
    sfn = _SyncExpress(boto3.client("stepfunctions"))
    account = emulator.account_id
    # the runner's state machines act as its role, as in the account the cases were recorded in
    broad_roles.role(runner.ROLE.split("/")[-1])

    def run(case):
        return runner.run_case(sfn, account, case, TIMEOUT_S)

    alone = [case for case in cases if _runs_branches_in_parallel(case)]
    with ThreadPoolExecutor(JOBS) as pool:
        results = list(pool.map(run, [case for case in cases if case not in alone]))
    results += [_run_parallel_case(run, case) for case in alone]
    passed, report = conformance_runs.tally(results, KNOWN_FAILURES, _label)
    print(f"\n{passed} of {len(cases)} conformance cases pass\n{report}")
    assert passed >= THRESHOLD, f"{passed} < {THRESHOLD} cases pass:\n{report}"
