"""Clients for the services a stack's resources live in: the emulator calling its own API.

CloudFormation makes each resource by calling the service's API; here those calls go to this
emulator, on its loopback address and port, signed with the emulator's own key (which IAM
allows everything, as an account's administrator), with the user agent the emulator's own
calls carry (the account-like stand-in neither throttles nor counts them).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from sfn_tutorial.emulator import auth

_ENDPOINT = {"url": "http://127.0.0.1:4599"}
_clients: dict[tuple[str, str], object] = {}
_lock = threading.Lock()


def serve_on(port: int) -> None:
    """Calls go to the emulator listening on ``port``."""
    _ENDPOINT["url"] = f"http://127.0.0.1:{port}"


def client(service: str, region: str):
    """A boto3 client for ``service`` in ``region`` (one per pair, shared: they are
    thread-safe)."""
    key = (service, region)
    found = _clients.get(key)
    if found is None:
        with _lock:
            found = _clients.get(key) or _new_client(service, region)
            _clients[key] = found
    return found


def s3_text(
    region: str,
    bucket: str,
    key: str,
    failure: Callable[[str], Exception],
    version: str | None = None,
) -> str:
    """The text of the object ``key`` in ``bucket`` (its ``version``, if given), as a stack
    reads a file it names. If S3 refuses, the error ``failure`` makes of S3's message is
    raised instead: each reader says in its own words which file could not be read."""
    s3 = client("s3", region)
    options = {"VersionId": version} if version else {}
    try:
        body = s3.get_object(Bucket=bucket, Key=key, **options)["Body"].read()
    except s3.exceptions.ClientError as error:
        raise failure(error.response["Error"]["Message"]) from None
    return body.decode("utf-8")


def _new_client(service: str, region: str):
    import boto3
    from botocore.config import Config

    own = auth.served()
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=_ENDPOINT["url"],
        aws_access_key_id=own.access_key_id,
        aws_secret_access_key=own.secret_access_key,
        config=Config(
            user_agent_extra="sfn-tutorial-emulator",
            retries={"max_attempts": 0, "total_max_attempts": 1},
            read_timeout=300,
            inject_host_prefix=False,
            s3={"addressing_style": "path"},
        ),
    )
