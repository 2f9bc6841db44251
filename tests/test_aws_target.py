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

import json
import os
import socket
from pathlib import Path

import boto3
import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from sfn_tutorial import resources
from sfn_tutorial.emulator import account_like, server

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PROFILE = "tutorial-learner"
REGION = "ap-northeast-2"
TAG = {"Key": "created-by", "Value": "sfn-tutorial"}
# Short delays keep the test quick; throttling every 5th control-plane call makes it frequent.
STAND_IN_SETTINGS = {
    account_like.ENABLED_VARIABLE: "1",
    account_like.ROLE_DELAY_VARIABLE: "3",
    account_like.PENDING_VARIABLE: "2",
    account_like.THROTTLE_VARIABLE: "5",
}
ROUTE_EXECUTE_API = """\
# The test's stand-in for AWS: requests to a deployed API's public address go to the stand-in's
# address for that API (the emulator serves it at /_aws/execute-api/{{api_id}}/{{stage}}...).
import re
import urllib.request

_PUBLIC = re.compile(r"^https://([a-z0-9]+)\\.execute-api\\.[a-z0-9-]+\\.amazonaws\\.com(/.*)?$")


class _ToStandIn(urllib.request.BaseHandler):
    handler_order = 100  # before the HTTPS handler writes the Host header

    def https_request(self, request):
        match = _PUBLIC.match(request.full_url)
        if match:
            request.full_url = "{endpoint}/_aws/execute-api/" + match[1] + (match[2] or "")
        return request


urllib.request.install_opener(urllib.request.build_opener(_ToStandIn()))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _learner_files(folder: Path, record: dict) -> dict[str, str]:
    """An AWS config and credentials file as ``aws configure`` writes them, plus the stand-in's
    endpoint in the profile; returns the environment variables that name them."""
    config = folder / "config"
    config.write_text(
        f"[profile {PROFILE}]\n"
        f"region = {REGION}\n"
        f"endpoint_url = {server.endpoint_url(record['port'])}\n"
    )
    credentials = folder / "credentials"
    credentials.write_text(
        f"[{PROFILE}]\n"
        f"aws_access_key_id = {record['access_key_id']}\n"
        f"aws_secret_access_key = {record['secret_access_key']}\n"
    )
    startup = folder / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-execute-api-on-stand-in.py").write_text(
        ROUTE_EXECUTE_API.format(endpoint=server.endpoint_url(record["port"]))
    )
    return {
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_PROFILE": PROFILE,
        "IPYTHONDIR": str(folder / "ipython"),
        "TUTORIAL_TARGET": "aws",
    }


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory):
    """The account-like emulator on a port of its own, and the learner's AWS settings for it."""
    folder = tmp_path_factory.mktemp("aws-target")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SFN_TUTORIAL_STATE_DIR", str(folder / "state"))
        patch.setenv("SFN_TUTORIAL_PORT", str(_free_port()))
        for name, value in STAND_IN_SETTINGS.items():
            patch.setenv(name, value)
        record = server.ensure_running(progress=lambda message: None)
        try:
            for name in list(os.environ):
                if name.startswith("AWS_") or name.startswith("SFN_TUTORIAL_ACCOUNT_LIKE"):
                    patch.delenv(name)  # the kernels see only what a learner's machine has
            for name, value in _learner_files(folder, record).items():
                patch.setenv(name, value)
            boto3.DEFAULT_SESSION = None
            yield record
        finally:
            server.stop()
            boto3.DEFAULT_SESSION = None


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


def _stand_in_report() -> dict:
    return json.loads(server.request(account_like.COUNTS_PATH, method="GET"))


def _tagged_leftovers(session: boto3.Session) -> list[str]:
    """Everything on the stand-in still tagged as the tutorial's, found service by service
    (independently of ``resources.find_tutorial_resources``, which clean-up itself uses)."""
    found = []
    tagging = session.client("resourcegroupstaggingapi")
    for page in tagging.get_paginator("get_resources").paginate(
        TagFilters=[{"Key": TAG["Key"], "Values": [TAG["Value"]]}]
    ):
        found += [entry["ResourceARN"] for entry in page["ResourceTagMappingList"]]
    iam = session.client("iam")
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            if TAG in iam.list_role_tags(RoleName=role["RoleName"])["Tags"]:
                found.append(role["Arn"])
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
    logs = session.client("logs").describe_log_groups(
        logGroupNamePrefix="/aws/lambda/sfn-tutorial-"
    )
    found += [group["logGroupName"] for group in logs["logGroups"]]
    return sorted(set(found))


def test_the_stand_in_refuses_as_a_fresh_account_does(stand_in):
    """The stand-in itself, call by call, with AWS's error codes and messages (run first, on
    the empty account)."""
    session = boto3.Session(profile_name=PROFILE)
    iam, functions = session.client("iam"), session.client("lambda")
    name = "standin-probe"
    role_arn = iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps(resources.trust_policy("lambda.amazonaws.com")),
    )["Role"]["Arn"]
    create = {
        "FunctionName": name,
        "Runtime": resources.PYTHON_RUNTIME,
        "Role": role_arn,
        "Handler": "lambda_function.process_purchase",
        "Code": {"ZipFile": resources.lambda_zip("ProcessPurchase")},
    }
    with pytest.raises(functions.exceptions.InvalidParameterValueException) as refused:
        functions.create_function(**create)
    assert refused.value.response["Error"]["Message"] == account_like.LAMBDA_ROLE_MESSAGE

    resources.retry_while_iam_propagates(functions.create_function, progress=print, **create)
    state = functions.get_function(FunctionName=name)["Configuration"]
    assert (state["State"], state["StateReasonCode"]) == ("Pending", "Creating")
    with pytest.raises(functions.exceptions.ResourceConflictException) as conflict:
        functions.invoke(FunctionName=name, Payload=b"{}")
    assert "currently in the following state: Pending" in str(conflict.value)
    functions.get_waiter("function_active_v2").wait(FunctionName=name)
    assert functions.invoke(FunctionName=name, Payload=b"{}")["StatusCode"] == 200

    functions.delete_function(FunctionName=name)
    iam.delete_role(RoleName=name)
    counts = _stand_in_report()["counts"]
    assert counts["role-not-ready:lambda"] >= 1 and counts["function-pending:invoke"] == 1


def test_every_notebook_runs_on_the_aws_target_against_an_account_like_stand_in(stand_in):
    paths = sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
    assert paths[-1].name == "99_clean_up.ipynb"
    failures = [failure for failure in map(_run, paths) if failure]

    report = _stand_in_report()
    leftovers = _tagged_leftovers(boto3.Session(profile_name=PROFILE))
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
