"""The target switch: run the notebooks against the local emulator or a real AWS account.

``connect()`` reads ``TUTORIAL_TARGET`` (``local``, the default, or ``aws``) and arranges the
process environment so that a plain ``boto3.client("stepfunctions")`` talks to that target. Only an
explicit ``aws`` touches an AWS account, and then never with dummy credentials.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import boto3
import botocore.exceptions

from sfn_tutorial.emulator import server

LOCAL = "local"
AWS = "aws"
TARGETS = (LOCAL, AWS)
DEFAULT_REGION = "ap-northeast-2"  # Seoul, as in the blog
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class TargetError(RuntimeError):
    """The chosen target cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    """Where the notebooks' boto3 clients go."""

    name: str
    region: str
    account_id: str
    endpoint_url: str | None = None
    emulator_version: str | None = None

    @property
    def is_local(self) -> bool:
        """``True`` for the embedded emulator, ``False`` for a real AWS account."""
        return self.name == LOCAL

    def banner(self) -> str:
        """A few lines saying where resources will be created."""
        if self.is_local:
            return (
                f"Target: local (an AWS emulator on this machine, moto {self.emulator_version})\n"
                f"  endpoint {self.endpoint_url}, region {self.region}, "
                f"account {self.account_id}\n"
                "  No AWS account is used and nothing leaves this machine."
            )
        return (
            f"Target: aws (your AWS account {self.account_id}, region {self.region})\n"
            "  The notebooks CREATE real resources in this account. Their names start with\n"
            "  'sfn-tutorial-' and they are tagged created-by=sfn-tutorial;\n"
            "  run 99_clean_up.ipynb when you are done."
        )


def chosen_target(explicit: str | None = None) -> str:
    """The target asked for: the argument, else ``TUTORIAL_TARGET``, else ``local``."""
    name = (explicit or os.environ.get("TUTORIAL_TARGET") or LOCAL).strip().lower()
    if name not in TARGETS:
        raise TargetError(
            f"Unknown target {name!r}. Use 'local' (the default, no AWS account needed) "
            f"or 'aws' (your own account): e.g. `export TUTORIAL_TARGET=aws`."
        )
    return name


def connect(explicit: str | None = None, progress=print) -> Target:
    """Point boto3 at the chosen target and return a description of it."""
    name = chosen_target(explicit)
    target = _connect_local(progress) if name == LOCAL else _connect_aws()
    os.environ["TUTORIAL_TARGET"] = name
    return target


def _connect_local(progress) -> Target:
    report = server.ensure_running(progress=progress)
    endpoint = server.endpoint_url(report["port"])
    for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(variable, None)
    os.environ.update(LOCAL_CREDENTIALS)
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_DEFAULT_REGION=DEFAULT_REGION,
        AWS_REGION=DEFAULT_REGION,
        # boto3 sends StartSyncExecution to a "sync-" host; the emulator has one address
        AWS_DISABLE_HOST_PREFIX_INJECTION="true",
    )
    boto3.DEFAULT_SESSION = None  # forget any session made before the switch
    account = boto3.client("sts").get_caller_identity()["Account"]
    return Target(LOCAL, DEFAULT_REGION, account, endpoint, report.get("moto"))


def _connect_aws() -> Target:
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if "127.0.0.1" in endpoint or "localhost" in endpoint:
        os.environ.pop("AWS_ENDPOINT_URL")  # set by an earlier local connect in this kernel
        os.environ.pop("AWS_DISABLE_HOST_PREFIX_INJECTION", None)  # AWS needs the sync- host
    if os.environ.get("AWS_ACCESS_KEY_ID") == LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"]:
        for variable in LOCAL_CREDENTIALS:
            os.environ.pop(variable, None)
    boto3.DEFAULT_SESSION = None
    session = boto3.Session()
    if session.get_credentials() is None:
        raise TargetError(
            "TUTORIAL_TARGET=aws, but no AWS credentials were found. Configure them first "
            "(`aws configure`, `aws sso login`, or AWS_PROFILE), or use the local target: "
            "`export TUTORIAL_TARGET=local`. Nothing was created."
        )
    region = session.region_name or DEFAULT_REGION
    os.environ["AWS_DEFAULT_REGION"] = region
    try:
        account = session.client("sts", region_name=region).get_caller_identity()["Account"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        raise TargetError(
            f"Your AWS credentials were refused ({error}). Refresh them, or use the local "
            "target. Nothing was created."
        ) from None
    return Target(AWS, region, account)
