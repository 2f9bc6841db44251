"""The account-like stand-in for tests of the aws target, set up as a learner's machine is.

``running()`` (for a module-scoped fixture) starts the emulator in its account-like mode
(``sfn_tutorial.emulator.account_like``) on a port and in a state folder of its own, and points
this process and the notebook kernels it starts at it the way a learner's machine points at
AWS: ``TUTORIAL_TARGET=aws`` and the profile ``PROFILE`` in a temporary AWS config and
credentials file, whose ``endpoint_url`` names the stand-in (``connect("aws")`` does not treat
that as local). Nothing else of the emulator is visible: every other ``AWS_*`` variable is
removed. The public addresses of deployed APIs (``https://{id}.execute-api.{region}.amazonaws
.com``), which no profile setting moves, are routed to the stand-in by an IPython start-up file
in the kernels' profile directory (``IPYTHONDIR``).
"""

from __future__ import annotations

import json
import os
import socket
import urllib.request
from pathlib import Path

import boto3
import pytest

from sfn_tutorial.emulator import account_like, auth, server

PROFILE = "tutorial-learner"
# us-east-1, the region most accounts start in and the one with S3's exception (a bucket there
# takes no LocationConstraint); the local target's notebooks already run in the blog's Seoul.
REGION = "us-east-1"
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
    """An AWS config and credentials file as ``aws configure`` writes them, plus how to reach
    the stand-in (its endpoint, and no host prefixes: it has a single address) in the profile;
    returns the environment variables that name them."""
    config = folder / "config"
    config.write_text(
        f"[profile {PROFILE}]\n"
        f"region = {REGION}\n"
        f"endpoint_url = {server.endpoint_url(record['port'])}\n"
        # AWS serves StartSyncExecution on "sync-states..."; the stand-in has one address
        "disable_host_prefix_injection = true\n"
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


def running(tmp_path_factory):
    """The account-like emulator on a port of its own, and the learner's AWS settings for it:
    a generator for a module-scoped fixture (``yield from aws_stand_in.running(...)``)."""
    folder = tmp_path_factory.mktemp("aws-target")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SFN_TUTORIAL_STATE_DIR", str(folder / "state"))
        patch.setenv("SFN_TUTORIAL_PORT", str(_free_port()))
        for name, value in STAND_IN_SETTINGS.items():
            patch.setenv(name, value)
        record = server.ensure_running(progress=lambda message: None)
        _RUNNING["record"] = record
        try:
            with pytest.MonkeyPatch.context() as learner:
                # The kernels see only what a learner's machine has: no emulator of theirs
                # (an empty state folder), no AWS settings but the profile's.
                learner.setenv("SFN_TUTORIAL_STATE_DIR", str(folder / "learner-state"))
                learner.delenv("SFN_TUTORIAL_PORT")
                for name in list(os.environ):
                    if name.startswith(("AWS_", "SFN_TUTORIAL_ACCOUNT_LIKE")):
                        learner.delenv(name)
                for name, value in _learner_files(folder, record).items():
                    learner.setenv(name, value)
                boto3.DEFAULT_SESSION = None
                yield record
        finally:
            server.stop()
            _RUNNING.clear()
            boto3.DEFAULT_SESSION = None


_RUNNING: dict[str, dict] = {}


def report() -> dict:
    """The stand-in's settings and the refusals it served (``GET /_tutorial/account-like``),
    asked with a request signed with its credentials."""
    record = _RUNNING["record"]
    url = server.endpoint_url(record["port"]) + account_like.COUNTS_PATH
    credentials = auth.Credentials(record["access_key_id"], record["secret_access_key"])
    request = urllib.request.Request(url, headers=auth.sign(credentials, "GET", url))
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())
