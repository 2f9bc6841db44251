"""Where a deployed API Gateway API answers, on the local emulator or on AWS.

On AWS an API's invoke URL is ``https://{api_id}.execute-api.{region}.amazonaws.com/{stage}``
(an HTTP API's ``$default`` stage has no stage part). The emulator serves the same API on its own
port, at ``http://127.0.0.1:{port}/_aws/execute-api/{api_id}/{stage}``: a plain HTTP client such as
``urllib.request`` reaches it with no DNS set-up. Append the route's path to either.
"""

from __future__ import annotations

import os

DEFAULT_STAGE = "$default"
LOCAL_PREFIX = "/_aws/execute-api"


def invoke_url(api_id: str, stage: str = DEFAULT_STAGE) -> str:
    """The base URL of stage ``stage`` of API ``api_id`` on the current target (no trailing
    slash): add ``/transactions`` or another route path to call it."""
    stage_part = "" if stage == DEFAULT_STAGE else f"/{stage}"
    if _is_local():
        return f"{_local_endpoint()}{LOCAL_PREFIX}/{api_id}{stage_part}"
    return f"https://{api_id}.execute-api.{_region()}.amazonaws.com{stage_part}"


def _is_local() -> bool:
    return (os.environ.get("TUTORIAL_TARGET") or "local").strip().lower() == "local"


def _local_endpoint() -> str:
    from sfn_tutorial.emulator import server

    record = server.running()
    if os.environ.get("AWS_ENDPOINT_URL") or record is None:
        return os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4599")
    return server.endpoint_url(record.port)


def _region() -> str:
    import boto3

    return boto3.session.Session().region_name or os.environ.get("AWS_DEFAULT_REGION", "")
