"""Every notebook on the aws target, against the account-like stand-in (``account_like``).

No one here has an AWS account, so the aws path is proven against the emulator run as a fresh
account: new roles take effect seconds late, new functions are ``Pending`` for a moment, and
every few control-plane calls are throttled. The kernels are configured as a learner's machine
is: ``TUTORIAL_TARGET=aws`` and an AWS profile (in a temporary config and credentials file) with
the stand-in's keys and region, the endpoint given by the profile's ``endpoint_url``, which
``connect("aws")`` does not treat as local. Only the public addresses of deployed APIs
(``https://{id}.execute-api.{region}.amazonaws.com``), which no profile setting moves, are
routed to the stand-in, by an IPython start-up file in the kernels' profile.

The test checks that every cell of every notebook runs without an error (outputs differ on
AWS, so they are not compared), that the stand-in served its refusals (so the retry and wait
paths really ran), and that ``99_clean_up`` leaves nothing tagged behind.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import aws_stand_in
import boto3
import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TAG = {"Key": "created-by", "Value": "sfn-tutorial"}


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory):
    """The account-like stand-in, and this process and its kernels pointed at it."""
    yield from aws_stand_in.running(tmp_path_factory)


def _run(path: Path) -> str | None:
    """Run one notebook in a fresh kernel; the first failing cell's error, or ``None``."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    try:
        client.execute()
    except CellExecutionError as error:
        return f"{path.name}: {str(error)[-3000:]}"
    return None


def _tagged_leftovers(session: boto3.Session) -> list[str]:
    """What the notebooks left on the stand-in, found independently of
    ``resources.find_tutorial_resources`` (which clean-up itself uses): what the tagging API
    finds with the tutorial's tag and, as the account was empty before, every role, function,
    state machine, rule, API, bucket and log group there is."""
    found = []
    tagging = session.client("resourcegroupstaggingapi")
    for page in tagging.get_paginator("get_resources").paginate(
        TagFilters=[{"Key": TAG["Key"], "Values": [TAG["Value"]]}]
    ):
        found += [entry["ResourceARN"] for entry in page["ResourceTagMappingList"]]
    iam = session.client("iam")
    for page in iam.get_paginator("list_roles").paginate():
        found += [role["Arn"] for role in page["Roles"]]
    functions = session.client("lambda")
    for page in functions.get_paginator("list_functions").paginate():
        found += [f["FunctionArn"] for f in page["Functions"]]
    sfn = session.client("stepfunctions")
    for page in sfn.get_paginator("list_state_machines").paginate():
        found += [machine["stateMachineArn"] for machine in page["stateMachines"]]
    events = session.client("events")
    found += [rule["Arn"] for rule in events.list_rules()["Rules"]]
    found += [api["id"] for api in session.client("apigateway").get_rest_apis()["items"]]
    found += [api["ApiId"] for api in session.client("apigatewayv2").get_apis()["Items"]]
    found += [b["Name"] for b in session.client("s3").list_buckets().get("Buckets", [])]
    for page in session.client("logs").get_paginator("describe_log_groups").paginate():
        found += [group["logGroupName"] for group in page["logGroups"]]
    return sorted(set(found))


def test_every_notebook_runs_on_the_aws_target_against_an_account_like_stand_in(stand_in):
    paths = sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
    assert paths[-1].name == "99_clean_up.ipynb"
    failures = [failure for failure in map(_run, paths) if failure]

    report = aws_stand_in.report()
    print("stand-in:", report)  # shown with -rP: what the account refused, how often
    leftovers = _tagged_leftovers(boto3.Session(profile_name=aws_stand_in.PROFILE))
    assert not failures, "\n\n".join(failures)
    counts = report["counts"]
    # The paths a fresh account forces were taken: a new role refused by Lambda and by Step
    # Functions (and retried), functions seen Pending by the waiters, throttled calls retried.
    assert counts.get("role-not-ready:lambda", 0) >= 1, report
    assert counts.get("role-not-ready:states", 0) >= 1, report
    assert counts.get("function-pending:reported", 0) >= 1, report
    throttled = {name: n for name, n in counts.items() if name.startswith("throttled:")}
    assert {"throttled:iam", "throttled:lambda", "throttled:states"} <= throttled.keys(), report
    assert leftovers == [], f"99_clean_up left these behind: {leftovers}"


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        ({}, "Set AWS_PROFILE"),
        ({"AWS_PROFILE": "test-account"}, "Confirm with SFN_TUTORIAL_CONFIRM_AWS=yes"),
        ({"AWS_PROFILE": "test-account", "SFN_TUTORIAL_CONFIRM_AWS": "y"}, "Confirm with"),
    ],
)
def test_the_real_account_run_needs_a_profile_and_a_confirmation(settings, said):
    """``make test-aws-account`` creates real resources: it starts only when asked twice."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in ("AWS_PROFILE", "SFN_TUTORIAL_CONFIRM_AWS")
    }
    script = Path(__file__).resolve().parent.parent / "scripts" / "run_aws_account.py"
    finished = subprocess.run(
        [sys.executable, str(script)],
        env={**environment, **settings},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 2
    assert said in finished.stderr and "nothing was created" in finished.stderr
