"""The local target's ``TestState`` measured against answers recorded on real AWS.

``../shared/conformance-test-state/`` (next to this repository, not in it) holds 121 cases, 143
``TestState`` calls recorded against AWS: every state type, the three inspection levels, mocks
and their validation modes, context objects, ``stateName``, ``stateConfiguration`` and AWS's
validation errors. Every case runs on this test session's emulator and is judged by
``run_test_state_cases.py`` from the same folder (its set-up, masking and comparison, imported as
is).

moto 5.2.5 has no TestState (every case fails); this emulator passes all 121. The test fails if
fewer than THRESHOLD pass: raise THRESHOLD whenever a fix makes more cases pass. The cases it
still fails, and why, are in KNOWN_FAILURES.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import conformance_runs
import pytest

CONFORMANCE = conformance_runs.SHARED / "conformance-test-state"
RUNNER = CONFORMANCE / "run_test_state_cases.py"

THRESHOLD = 121
JOBS = 4  # the emulator is one process: more threads do not make it faster on 2 cores

# Case name (without its test module's path) -> why it still fails.
KNOWN_FAILURES: dict[str, str] = {}


def _short(name: str) -> str:
    """A case name without the path of the LocalStack test module it came from."""
    return name.split("::", 1)[-1]


def _label(result: dict) -> tuple[str, str]:
    """A failing case's key in KNOWN_FAILURES, and how its report line names it: its name."""
    name = _short(result["name"])
    return name, name


@pytest.fixture(scope="module")
def runner():
    if not RUNNER.is_file():
        pytest.skip(f"the AWS-recorded TestState cases are not at {CONFORMANCE}")
    return conformance_runs.load_runner(RUNNER, "conformance_test_state_cases")


@pytest.fixture(scope="module")
def cases(runner):
    return runner.load_cases(str(CONFORMANCE))


def test_known_failures_are_cases(cases):
    names = {_short(case["name"]) for case in cases}
    assert set(KNOWN_FAILURES) <= names


def test_every_case_is_read(cases):
    assert len(cases) == 121
    assert sum(len(case["calls"]) for case in cases) == 143


def test_test_state_answers_as_recorded_on_aws(runner, cases, emulator):
    env = runner.Env(emulator.endpoint_url, emulator.region)
    try:

        def run(case):
            try:
                return runner.run_case(env, case)
            except Exception as error:  # noqa: BLE001 - the runner's own failure is a failure
                return {"name": case["name"], "result": "fail", "detail": f"runner: {error!r}"}

        with ThreadPoolExecutor(JOBS) as pool:
            results = list(pool.map(run, cases))
    finally:
        env.close()
    passed, report = conformance_runs.tally(results, KNOWN_FAILURES, _label)
    print(f"\n{passed} of {len(cases)} TestState cases pass\n{report}")
    assert passed >= THRESHOLD, f"{passed} < {THRESHOLD} cases pass:\n{report}"
