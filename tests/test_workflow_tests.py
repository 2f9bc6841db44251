"""The copyable folder of workflow tests (workflow-tests/): its CI workflow's commands, run here.

``workflow-tests/github-workflow.yml`` is what a learner copies to ``.github/workflows/``. No
CI service runs it for this project: this test runs its ``run`` steps in order, as GitHub
Actions would, in a copy of the folder laid out as a learner's SAM project (``template.yaml``,
``statemachine/``, ``lambdas/`` and ``workflow-tests/``), with the job's ``env`` and what a step
appends to ``$GITHUB_ENV`` given to the steps after it. The steps that set up the machine
(checkout, Python, installing the tutorial) are this test session's own set-up; every other step
must be run, and must succeed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import boto3
import pytest
import yaml

from sfn_tutorial.environment_check import pinned_requirements

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "workflow-tests"
WORKFLOW = FOLDER / "github-workflow.yml"
# Steps this test does not run, and what stands in for them
SET_UP_HERE = {
    "actions/checkout@v4": "the copy of the folder made for the test",
    "actions/setup-python@v5": "this test session's Python",
    "Get the tutorial (its local emulator)": "this checkout, which is the tutorial",
    "Install the emulator, pytest and cfn-lint, at the tutorial's pinned versions": (
        "this session's .venv"
    ),
}
STEP_LIMIT_S = 600  # only bounds a hang: the steps take seconds


def job() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())["jobs"]["test"]


def steps() -> list[dict]:
    return job()["steps"]


def step_name(step: dict) -> str:
    return step.get("name") or step["uses"]


@pytest.fixture
def project(tmp_path) -> Path:
    """A learner's SAM project: the template, its definition and functions, and the folder."""
    shutil.copytree(FOLDER, tmp_path / "workflow-tests")
    for folder in ("lambdas", "statemachine"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    shutil.copy(ROOT / "template.yaml", tmp_path / "template.yaml")
    return tmp_path


def ci_environment() -> dict:
    """What a CI job starts with: no AWS settings, this session's Python first on the PATH,
    and this test session's emulator port (a CI job has only one emulator)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    return environment


def github_env(path: Path) -> dict:
    """The ``NAME=value`` lines steps appended to ``$GITHUB_ENV``."""
    lines = path.read_text().splitlines() if path.exists() else []
    return dict(line.split("=", 1) for line in lines if "=" in line)


def run_step(step: dict, project: Path) -> subprocess.CompletedProcess:
    exported = project / "github.env"
    # as GitHub Actions does: the job's env, what earlier steps exported, the step's env
    environment = {**ci_environment(), **job().get("env", {}), **github_env(exported)}
    environment.update(step.get("env", {}))
    environment["GITHUB_ENV"] = str(exported)
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", step["run"]],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=STEP_LIMIT_S,
    )


def test_the_workflow_sets_up_then_runs_only_commands():
    names = [step_name(step) for step in steps()]
    assert set(SET_UP_HERE) <= set(names)
    assert all("run" in step for step in steps() if step_name(step) not in SET_UP_HERE)


def test_the_ci_workflows_commands_pass_on_the_local_emulator(emulator, project):
    ran = []
    for step in steps():
        if step_name(step) in SET_UP_HERE:
            continue
        completed = run_step(step, project)
        assert completed.returncode == 0, (
            f"{step_name(step)}:\n{completed.stdout}\n{completed.stderr}"
        )
        ran.append((step_name(step), completed.stdout))
    by_name = dict(ran)
    assert "AWS_ENDPOINT_URL" in github_env(project / "github.env")
    validated = by_name["Validate the state machine definitions"]
    assert "transactions.asl.json: OK" in validated and "approve_purchase.asl.json: OK" in validated
    assert "Lint the SAM template" in by_name  # cfn-lint found nothing: it prints nothing
    tests = by_name["Run the workflow tests"]
    assert " passed" in tests and "skipped" not in tests and "failed" not in tests
    # The integration test deleted what it deployed
    machines = boto3.client("stepfunctions").list_state_machines()["stateMachines"]
    assert not [m for m in machines if m["name"].startswith("workflow-it-")]


def test_the_blogs_definition_has_one_source_the_one_its_template_deploys():
    # The tests read statemachine/transactions.asl.json, as notebook 03 and template.yaml do:
    # the folder holds no copy of it that could drift away from it.
    blog = json.loads((ROOT / "statemachine" / "transactions.asl.json").read_text())
    copies = [p for p in FOLDER.rglob("*.json") if json.loads(p.read_text()) == blog]
    assert copies == []
    folders = job()["env"]["WORKFLOW_DEFINITIONS"].split(":")
    assert folders == ["statemachine", "workflow-tests/statemachines"]


def test_an_invalid_definition_fails_the_validation_step(emulator, project):
    path = project / "statemachine" / "transactions.asl.json"
    blog = json.loads(path.read_text())
    blog["States"]["ProcessTransaction"]["Choices"][0]["Next"] = "ProcessPurchases"
    path.write_text(json.dumps(blog))
    completed = _run_validation_step(project)
    assert completed.returncode == 1
    assert "transactions.asl.json: FAIL" in completed.stdout
    where = "/States/ProcessTransaction/Choices[0]/Next"
    assert f"ERROR MISSING_TRANSITION_TARGET {where}: Missing 'Next' target" in completed.stdout
    assert "approve_purchase.asl.json: OK" in completed.stdout


def test_the_lint_step_uses_the_pinned_cfn_lint():
    (install,) = [s for s in steps() if s.get("name", "").startswith("Install the emulator")]
    assert "-r sfn-tutorial/requirements.txt -c sfn-tutorial/constraints.txt" in install["run"]
    pinned = pinned_requirements(ROOT / "requirements.txt")
    assert pinned["cfn-lint"] == version("cfn-lint")  # the version this test runs


def test_a_broken_template_fails_the_lint_step(project):
    template = project / "template.yaml"
    broken = template.read_text().replace(
        "ProcessPurchaseFunction.Arn", "ProcessPurchaseFunction.Id"
    )
    assert broken != template.read_text()
    template.write_text(broken)
    (step,) = [s for s in steps() if step_name(s) == "Lint the SAM template"]
    completed = run_step(step, project)
    assert completed.returncode != 0
    assert completed.stdout.startswith("E1010 'Id' is not one of")  # GetAtt's attributes
    assert "template.yaml:" in completed.stdout


def test_without_the_setting_the_tests_read_the_projects_statemachine_folder(emulator, project):
    # Run by hand in a project (no WORKFLOW_DEFINITIONS), the tests find the same definitions
    environment = {**ci_environment(), **_emulator_settings()}
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "workflow-tests/test_workflows.py", "-q"],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=STEP_LIMIT_S,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert " passed" in completed.stdout


def _run_validation_step(project: Path) -> subprocess.CompletedProcess:
    """The workflow's validation step, run in ``project`` on this session's emulator."""
    (step,) = [s for s in steps() if step_name(s) == "Validate the state machine definitions"]
    return run_step({**step, "env": _emulator_settings()}, project)


def _emulator_settings() -> dict:
    """The AWS settings pointing at this session's emulator (set by the ``emulator`` fixture)."""
    return {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
