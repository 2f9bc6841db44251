"""botocore's service models, for the emulator to read: shapes, operations, error codes.

Fixes read AWS's API models to answer as AWS does (Lambda's error codes, DynamoDB's and SQS's
required members, a REST request's operation for IAM, a service integration's parameters,
TestState's mocked results). Each used to ask a new botocore session, which parsed the model
(and ``endpoints.json``) again on every call. They now share this module: a model is read from
the files botocore ships when first asked for, and the few most recently used stay loaded (a big
model, EC2's, takes tens of MB once parsed). These models are never given to a client: botocore
changes a client's model as it uses it (an S3 call takes ``{Bucket}`` out of ``requestUri``).
"""

from __future__ import annotations

import functools
import gzip
import os
import re
import threading

MODELS_KEPT = 6
_loading = threading.Lock()  # requests run in threads; a model is read once


def sdk_service(name: str) -> str | None:
    """botocore's name of the service an ``aws-sdk:NAME:`` integration calls.

    AWS: NAME is the service's name in the AWS SDKs, in lower case (``sfn``, ``cloudwatchlogs``,
    ``eventbridge``): its ``serviceId`` in the API model without spaces or hyphens. botocore
    names most services so (``s3``, ``lambda``); the others by their endpoint (``logs``)."""
    if name in _services():
        return name
    return _sdk_names().get(name)


@functools.lru_cache(maxsize=MODELS_KEPT)
def service_model(service: str):
    """botocore's model of ``service`` (its newest API version), or ``None`` without one.
    Read only: never give it to a client."""
    from botocore.model import ServiceModel

    with _loading:
        path = _model_path(service)
        data = path and _loader().file_loader.load_file(path)
    return ServiceModel(data, service_name=service) if data else None


@functools.cache
def _loader():
    """The loader that finds the models; they are read past its cache (``service_model``)."""
    import botocore.loaders

    return botocore.loaders.create_loader()


@functools.cache
def _services() -> frozenset[str]:
    return frozenset(_loader().list_available_services("service-2"))


def _model_path(service: str) -> str | None:
    """The path of ``service``'s newest ``service-2`` model, without its extension."""
    if service not in _services():
        return None
    loader = _loader()
    version = loader.determine_latest_version(service, "service-2")
    for root in loader.search_paths:
        path = os.path.join(root, service, version, "service-2")
        if os.path.exists(path + ".json") or os.path.exists(path + ".json.gz"):
            return path
    return None


@functools.cache
def _sdk_names() -> dict[str, str]:
    """SDK service name (``cloudwatchlogs``) -> botocore's (``logs``), from each model's
    ``serviceId``, read from the first lines of its file (the rest is not loaded)."""
    found = {}
    for service in sorted(_services()):
        path = _model_path(service)
        head = _head(path) if path else ""
        if match := re.search(r'"serviceId"\s*:\s*"([^"]+)"', head):
            found[re.sub(r"[\s-]", "", match.group(1)).lower()] = service
    return found


def _head(path: str) -> str:
    for extension, opener in ((".json.gz", gzip.open), (".json", open)):
        if os.path.exists(path + extension):
            with opener(path + extension, "rb") as file:
                return file.read(4096).decode("utf-8", "replace")
    return ""


@functools.cache
def endpoint_prefix(service: str) -> str | None:
    """The ``endpointPrefix`` in ``service``'s model metadata (``states`` for Step Functions),
    read from the first lines of its file; ``None`` for a service botocore does not know."""
    path = _model_path(service)
    if path is None:
        return None
    if match := re.search(r'"endpointPrefix"\s*:\s*"([^"]+)"', _head(path)):
        return match.group(1)
    return service_model(service).endpoint_prefix  # metadata further down: read it all
