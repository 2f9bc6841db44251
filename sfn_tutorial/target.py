"""The target switch: run the notebooks against the local emulator or a real AWS account.

``connect()`` reads ``TUTORIAL_TARGET`` (``local``, the default, or ``aws``) and arranges the
process environment so that a plain ``boto3.client("stepfunctions")`` talks to that target. Only an
explicit ``aws`` touches an AWS account, and then never with dummy credentials.

``connect("local")`` replaces the kernel's AWS settings (keys, profile, endpoint, region) with
the emulator's, and remembers them: a later ``connect("aws")`` puts them back, so the kernel
signs with the learner's own profile again, never with the emulator's key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import boto3
import botocore.config
import botocore.exceptions

from sfn_tutorial.emulator import server
from sfn_tutorial.i18n import t

LOCAL = "local"
AWS = "aws"
TARGETS = (LOCAL, AWS)
DEFAULT_REGION = "ap-northeast-2"  # Seoul, as in the blog
# Settings that choose AWS credentials other than the emulator's: the local target unsets them.
AWS_ONLY_SETTINGS = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
)


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
    profile: str | None = None  # aws: the profile boto3 uses
    source: str | None = None  # aws: where the credentials came from (botocore's name)

    @property
    def is_local(self) -> bool:
        """``True`` for the embedded emulator, ``False`` for a real AWS account."""
        return self.name == LOCAL

    def banner(self) -> str:
        """A few lines saying where resources will be created."""
        if self.is_local:
            lines = [
                t(
                    "Target: local (an AWS emulator on this machine, moto {version})",
                    version=self.emulator_version,
                ),
                t(
                    "  endpoint {endpoint}, region {region}, account {account}",
                    endpoint=self.endpoint_url,
                    region=self.region,
                    account=self.account_id,
                ),
                t("  No AWS account is used and nothing leaves this machine."),
            ]
        else:
            lines = [
                t(
                    "Target: aws (your AWS account {account}, region {region})",
                    account=self.account_id,
                    region=self.region,
                ),
                t(
                    "  credentials: profile {profile} ({source})",
                    profile=self.profile or "default",
                    source=self.source or "unknown",
                ),
                t("  The notebooks CREATE real resources in this account. Their names start with"),
                t("  'sfn-tutorial-' and they are tagged created-by=sfn-tutorial;"),
                t("  run 99_clean_up.ipynb when you are done."),
            ]
        return "\n".join(lines)


def chosen_target(explicit: str | None = None) -> str:
    """The target asked for: the argument, else ``TUTORIAL_TARGET``, else ``local``."""
    name = (explicit or os.environ.get("TUTORIAL_TARGET") or LOCAL).strip().lower()
    if name not in TARGETS:
        raise TargetError(
            t(
                "Unknown target {name!r}. Use 'local' (the default, no AWS account needed) "
                "or 'aws' (your own account): e.g. `export TUTORIAL_TARGET=aws`.",
                name=name,
            )
        )
    return name


def connect(explicit: str | None = None, progress=print) -> Target:
    """Point boto3 at the chosen target and return a description of it."""
    name = chosen_target(explicit)
    target = _connect_local(progress) if name == LOCAL else _connect_aws()
    os.environ["TUTORIAL_TARGET"] = name
    return target


# The kernel's own AWS settings, as they were before the first local connect: a later
# connect("aws") in the same kernel puts them back (its profile, keys and region).
_replaced_settings: dict[str, str | None] | None = None
_last_emulator: dict[str, str] = {}


def _connect_local(progress) -> Target:
    global _replaced_settings
    report = server.ensure_running(progress=progress)
    _say_if_restarted(report, progress)
    endpoint = server.endpoint_url(report["port"])
    local_settings = {
        "AWS_ACCESS_KEY_ID": report["access_key_id"],
        "AWS_SECRET_ACCESS_KEY": report["secret_access_key"],
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": DEFAULT_REGION,
        "AWS_REGION": DEFAULT_REGION,
        # boto3 sends StartSyncExecution to a "sync-" host; the emulator has one address
        "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
    }
    if _replaced_settings is None:
        _replaced_settings = {
            name: os.environ.get(name) for name in (*local_settings, *AWS_ONLY_SETTINGS)
        }
    for name in AWS_ONLY_SETTINGS:
        os.environ.pop(name, None)
    os.environ.update(local_settings)
    boto3.DEFAULT_SESSION = None  # forget any session made before the switch
    try:  # one retry, not boto3's four: an emulator that does not answer is said at once
        patient_once = botocore.config.Config(connect_timeout=10, retries={"max_attempts": 1})
        account = boto3.client("sts", config=patient_once).get_caller_identity()["Account"]
    except (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError) as error:
        # running (or just started) yet not answering: its log says why
        raise server.EmulatorError(
            server.unreachable(report["port"], report.get("pid"), error)
        ) from None
    return Target(LOCAL, DEFAULT_REGION, account, endpoint, report.get("moto"))


def _say_if_restarted(report: dict, progress) -> None:
    """Tell the learner when the emulator this kernel used is gone, and with it everything."""
    previous = _last_emulator.get("instance_id")
    _last_emulator["instance_id"] = report["instance_id"]
    if report.get("replaced") or previous in (None, report["instance_id"]):
        return
    progress(
        t(
            "The local emulator was restarted since this kernel last used it, so everything "
            "created before is gone. Run this notebook again from the top: it creates what it "
            "needs."
        )
    )


def _restore_replaced_settings() -> None:
    """Put back the AWS settings the local target replaced in this kernel, if it did."""
    global _replaced_settings
    if _replaced_settings is None:
        return
    for name, value in _replaced_settings.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _replaced_settings = None


def _connect_aws() -> Target:
    _restore_replaced_settings()
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if "127.0.0.1" in endpoint or "localhost" in endpoint:  # e.g. exported for the AWS CLI
        os.environ.pop("AWS_ENDPOINT_URL")
        os.environ.pop("AWS_DISABLE_HOST_PREFIX_INJECTION", None)  # AWS needs the sync- host
    boto3.DEFAULT_SESSION = None
    session = boto3.Session()
    credentials = session.get_credentials()
    if credentials is None:
        raise TargetError(
            t(
                "TUTORIAL_TARGET=aws, but no AWS credentials were found. Configure them first "
                "(`aws configure`, `aws sso login`, or AWS_PROFILE), or use the local target: "
                "`export TUTORIAL_TARGET=local`. Nothing was created."
            )
        )
    region = session.region_name or DEFAULT_REGION
    os.environ["AWS_DEFAULT_REGION"] = region
    try:
        account = session.client("sts", region_name=region).get_caller_identity()["Account"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        raise TargetError(
            t(
                "Your AWS credentials were refused ({error}). Refresh them, or use the local "
                "target. Nothing was created.",
                error=error,
            )
        ) from None
    return Target(AWS, region, account, profile=session.profile_name, source=credentials.method)
