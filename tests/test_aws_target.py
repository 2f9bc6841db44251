"""Every notebook on the aws target, against the account-like stand-in (``account_like``).

No one here has an AWS account, so the aws path is proven against the emulator run as a fresh
account: new roles take effect seconds late, new functions are ``Pending`` for a moment, and
every few control-plane calls are throttled. The kernels are configured as a learner's machine
is: ``TUTORIAL_TARGET=aws`` and an AWS profile (in a temporary config and credentials file) with
the stand-in's keys and region, the endpoint given by the profile's ``endpoint_url``, which
``connect("aws")`` does not treat as local. Only the public addresses of deployed APIs
(``https://{id}.execute-api.{region}.amazonaws.com``), which no profile setting moves, are
routed to the stand-in, by an IPython start-up file in the kernels' profile.

The notebooks run in a few parts, in order within each, every part on a fresh stand-in (a new
account) and ending with ``99_clean_up``: each notebook creates what it needs, so a part can start
anywhere, and the parts run side by side under pytest-xdist (most of their time is waiting, as a
learner waits for IAM). For each part the test checks that every cell runs without an error
(outputs differ on AWS, so they are not compared), that the stand-in served its refusals (so the
retry and wait paths really ran), and that ``99_clean_up`` leaves nothing tagged behind.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import aws_stand_in
import boto3
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
# pytest's last line when a test failed: "1 failed in 0.06s", "2 failed, 9 passed in 1.20s"
ANSI_CODES = re.compile(r"\x1b\[[0-9;]*m")  # colours, if pytest was not told --color=no
PYTEST_FAILED = re.compile(r"^\W*(\d+ \w+, )*\d+ failed\b.* in \d+(\.\d+)?s", re.M)
TAG = {"Key": "created-by", "Value": "sfn-tutorial"}
# The parts the notebooks run in, by number; each part then runs 99_clean_up. Every notebook is
# in one part (test_every_notebook_is_in_one_part).
PARTS = {
    "the blog": ["00", "01", "02", "03", "04"],
    "triggers, state types, errors": ["05", "06", "07"],
    "Map, JSONata, integrations, Express": ["08", "09", "10", "11"],
    "the stack as code": ["12"],
    "operating": ["13"],
    "testing": ["14"],
}


def _load_notebook_runner():
    """``scripts/notebook_runner.py``, which the scripts that run notebooks share."""
    path = ROOT / "scripts" / "notebook_runner.py"
    spec = importlib.util.spec_from_file_location("notebook_runner", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


notebook_runner = _load_notebook_runner()


@pytest.fixture
def stand_in(tmp_path_factory):
    """A fresh account-like stand-in, and this process and its kernels pointed at it."""
    yield from aws_stand_in.running(tmp_path_factory)


def _notebook(number: str) -> Path:
    (path,) = NOTEBOOKS.glob(f"{number}_*.ipynb")
    return path


def _run(path: Path) -> str | None:
    """Run one notebook in a fresh kernel; the first failing cell's error, or ``None``. A cell
    that runs pytest (notebook 14) and reports a failed test fails too, though it raises
    nothing, unless it is an exercise's solution (whose test fails on purpose)."""
    notebook, error = notebook_runner.run_notebook(path, timeout=600)
    if error:
        return error
    for cell in notebook.cells:
        if cell.cell_type != "code" or "solution" in cell.metadata.get("tags", []):
            continue
        printed = ANSI_CODES.sub("", "".join(output.get("text", "") for output in cell.outputs))
        if "pytest" in cell.source and PYTEST_FAILED.search(printed):
            return f"{path.name}: tests failed in\n{cell.source[:300]}\n{printed[-3000:]}"
    return None


def _tagged_leftovers(session: boto3.Session) -> list[str]:
    """What the notebooks left on the stand-in, found independently of
    ``resources.find_tutorial_resources`` (which clean-up itself uses): what the tagging API
    finds with the tutorial's tag and, as the account was empty before, every role, function,
    state machine, rule, API, bucket, log group, queue, topic, topic subscription, alarm, table,
    event source mapping, active ECS task definition and CloudFormation stack there is (a state
    machine's versions and aliases go with it)."""
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
    found += session.client("sqs").list_queues().get("QueueUrls", [])
    found += [topic["TopicArn"] for topic in session.client("sns").list_topics()["Topics"]]
    found += session.client("dynamodb").list_tables()["TableNames"]
    mappings = functions.list_event_source_mappings()["EventSourceMappings"]
    found += [mapping["UUID"] for mapping in mappings]
    found += session.client("ecs").list_task_definitions(status="ACTIVE")["taskDefinitionArns"]
    alarms = session.client("cloudwatch").describe_alarms()
    found += [alarm["AlarmArn"] for alarm in alarms["MetricAlarms"] + alarms["CompositeAlarms"]]
    subscriptions = session.client("sns").list_subscriptions()["Subscriptions"]
    found += [subscription["SubscriptionArn"] for subscription in subscriptions]
    stacks = session.client("cloudformation").describe_stacks()["Stacks"]
    found += [stack["StackId"] for stack in stacks]
    return sorted(set(found) - _inactive_ecs_clusters(session, found))


def _inactive_ecs_clusters(session: boto3.Session, arns: list[str]) -> set[str]:
    """ECS keeps a deleted cluster, INACTIVE, 'discoverable in your account for a period of
    time' (DeleteCluster's documentation): such a cluster is gone, not left behind."""
    clusters = [arn for arn in arns if arn.startswith("arn:aws:ecs:") and ":cluster/" in arn]
    if not clusters:
        return set()
    described = session.client("ecs").describe_clusters(clusters=clusters)["clusters"]
    return {cluster["clusterArn"] for cluster in described if cluster["status"] == "INACTIVE"}


def test_every_notebook_is_in_one_part():
    numbered = sorted(path.name[:2] for path in NOTEBOOKS.glob("[0-9]*.ipynb"))
    assert numbered[-1] == "99"  # the clean-up, which ends every part
    in_parts = sorted(number for numbers in PARTS.values() for number in numbers)
    assert in_parts == numbered[:-1]


@pytest.mark.parametrize("part", PARTS)
def test_the_notebooks_run_on_the_aws_target_against_an_account_like_stand_in(part, stand_in):
    paths = [_notebook(number) for number in PARTS[part]] + [_notebook("99")]
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
    script = ROOT / "scripts" / "run_aws_account.py"
    finished = subprocess.run(
        [sys.executable, str(script)],
        env={**environment, **settings},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 2
    assert said in finished.stderr and "nothing was created" in finished.stderr
