"""A Task's mocked result checked against its service's API model, as ``TestState`` checks it.

AWS (Step Functions API reference, ``MockInput.fieldValidationMode``): mocked results are
validated "against their respective API models": STRICT (the default) "All required fields must
be present, and all present fields must conform to the API's schema"; PRESENT "All present
fields must conform to the API's schema"; NONE "No validation is performed". The API model is
botocore's (``botocore/data/SERVICE/VERSION/service-2.json``): a Task's ``Resource`` names the
API call, for an optimised integration (``arn:aws:states:::sqs:sendMessage``: SQS's
``SendMessage``) as for an AWS SDK integration (``arn:aws:states:::aws-sdk:s3:getObject``), and
its output shape says what the answer may hold: member types, required members, enums, numeric
ranges, lengths and patterns. Step Functions gives the answer's members capitalised
(``executionArn`` is ``ExecutionArn``).

AWS's messages ("Mock result schema validation error: ..."): recorded on AWS by LocalStack's
TestState tests (``tests/aws/services/stepfunctions/v2/test_state/*.snapshot.json``, read for
their wording): "Field 'EventId' must be a string" (also for timestamps and blobs), "must be a
number", "must be an array", "Required field 'ExecutionArn' is missing", "Field 'StorageClass' is
not an expected value", "Field 'MemorySize' is less than the minimum value" / "exceeds the
maximum value", "Field 'CiphertextBlob' is smaller than the minimum length". Not recorded, and
the emulator's by analogy: "must be a boolean", "must be an object", "exceeds the maximum
length", "does not match the expected pattern".

Models come from ``service_models``: loaded when a TestState call needs one, the few most
recently used kept.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from sfn_tutorial.emulator import service_models

# Optimised integrations whose service botocore names differently ("arn:aws:states:::NAME:...")
SERVICE_NAMES = {"states": "stepfunctions", "elasticmapreduce": "emr"}
# Optimised integrations named differently from the API call they wrap (Step Functions'
# developer guide, "Create and manage Amazon EMR clusters with Step Functions")
OPERATION_NAMES = {
    ("elasticmapreduce", "createCluster"): "RunJobFlow",
    ("elasticmapreduce", "terminateCluster"): "TerminateJobFlows",
    ("elasticmapreduce", "addStep"): "AddJobFlowSteps",
    ("elasticmapreduce", "cancelStep"): "CancelSteps",
    ("elasticmapreduce", "setClusterTerminationProtection"): "SetTerminationProtection",
    ("elasticmapreduce", "modifyInstanceFleetByName"): "ModifyInstanceFleet",
    ("elasticmapreduce", "modifyInstanceGroupByName"): "ModifyInstanceGroups",
}
# Optimised integrations whose calls are in more than one botocore service
# (bedrock:invokeModel is Bedrock Runtime's InvokeModel)
OTHER_SERVICES = {"bedrock": ("bedrock-runtime",)}
# Members of an answer that Step Functions gives as JSON, whatever their API type: the
# optimised Lambda integration parses the function's Payload.
JSON_MEMBERS = {("lambda", "Invoke"): frozenset({"Payload"})}
# Limits Step Functions applies that the pinned botocore's model states differently. Lambda's
# documentation: a function's memory is "between 128 MB and 10,240 MB" (Configuring Lambda
# function memory; Lambda quotas); botocore's MemorySize allows up to 32,768 since Lambda
# Managed Instances, which TestState did not accept when LocalStack recorded it (10241: "exceeds
# the maximum value").
DOCUMENTED_RANGES = {("lambda", "MemorySize"): (128, 10240)}
OPTIMISED = re.compile(r"arn:aws[\w-]*:states:::([\w-]+):(\w+)")
SDK = re.compile(r"arn:aws[\w-]*:states:::aws-sdk:([\w-]+):(\w+)")
PREFIX = "Mock result schema validation error: "
NUMBERS = ("integer", "long", "float", "double")
TEXTS = ("string", "timestamp", "blob")


def problem(resource: str, result: Any, mode: str = "STRICT") -> str | None:
    """What AWS answers about ``result`` mocked for a Task whose ``Resource`` is ``resource``
    (``None`` when it fits, and when the resource's answer has no API model: a Lambda function
    called by its ARN, ``apigateway:invoke``, ``http:invoke``, ``eks:call``, the ``.sync`` and
    ``.waitForTaskToken`` patterns, whose answer is the job's or the worker's)."""
    if mode == "NONE":
        return None
    found = output_shape(resource)
    if found is None:
        return None
    shape, service, json_members = found
    if not isinstance(result, dict):
        return "Mocked result must be a JSON object."
    checker = _Checker(service, strict=mode == "STRICT", json_members=json_members)
    wrong = checker.structure(result, shape)
    return PREFIX + wrong if wrong else None


def output_shape(resource: str):
    """``(shape, service, json_members)``: the output shape of the API call ``resource`` makes,
    its botocore service name and the members given as JSON; ``None`` when it has none."""
    api = api_call(resource)
    if api is None:
        return None
    for service in api[0]:
        model = service_models.service_model(service)
        if model is not None and api[1] in model.operation_names:
            shape = model.operation_model(api[1]).output_shape
            if shape is None:
                return None
            return shape, service, JSON_MEMBERS.get((service, api[1]), frozenset())
    return None


def api_call(resource: str) -> tuple[tuple[str, ...], str] | None:
    """``(services, Operation)``: the botocore services that may hold the API call a Task's
    ``Resource`` makes, and the call's name; ``None`` for a resource that makes no API call
    of its own (a function's ARN, an activity) or waits for a job or a worker to finish."""
    if resource.endswith((".sync", ".sync:2", ".waitForTaskToken")):
        return None
    if match := SDK.fullmatch(resource):
        service = service_models.sdk_service(match.group(1))
        return ((service,) if service else ()), _capitalised(match.group(2))
    if match := OPTIMISED.fullmatch(resource):
        name, action = match.groups()
        service = SERVICE_NAMES.get(name, name)
        operation = OPERATION_NAMES.get((name, action), _capitalised(action))
        return (service, *OTHER_SERVICES.get(name, ())), operation
    return None


def _capitalised(name: str) -> str:
    return name[:1].upper() + name[1:]


class _Checker:
    """Walks a mocked answer along its shape; each method answers what is wrong, or None."""

    def __init__(self, service: str, strict: bool, json_members: frozenset):
        self.service, self.strict, self.json_members = service, strict, json_members

    def value(self, value: Any, shape, name: str) -> str | None:
        kind = shape.type_name
        if kind == "structure":
            if not isinstance(value, dict):
                return f"Field '{name}' must be an object"
            return self.structure(value, shape)
        if kind == "list":
            if not isinstance(value, list):
                return f"Field '{name}' must be an array"
            return self.length(len(value), shape, name) or self.items(value, shape.member, name)
        if kind == "map":
            if not isinstance(value, dict):
                return f"Field '{name}' must be an object"
            keys = (self.value(key, shape.key, name) for key in value)
            return next(filter(None, keys), None) or self.items(value.values(), shape.value, name)
        if kind in TEXTS:
            return self.text(value, shape, name)
        if kind == "boolean":
            return None if isinstance(value, bool) else f"Field '{name}' must be a boolean"
        if kind in NUMBERS:
            return self.number(value, shape, name)
        return None  # a document: any JSON

    def structure(self, value: dict, shape) -> str | None:
        members = {_capitalised(member): item for member, item in shape.members.items()}
        if self.strict:
            for required in map(_capitalised, shape.required_members):
                if value.get(required) is None:
                    return f"Required field '{required}' is missing"
        for key, item in value.items():
            # Fields the API does not have are not checked: AWS accepts them
            if key in members and item is not None and key not in self.json_members:
                if wrong := self.value(item, members[key], key):
                    return wrong
        return None

    def items(self, values, shape, name: str) -> str | None:
        checked = (self.value(item, shape, name) for item in values if item is not None)
        return next(filter(None, checked), None)

    def text(self, value: Any, shape, name: str) -> str | None:
        if not isinstance(value, str):
            return f"Field '{name}' must be a string"
        if getattr(shape, "enum", None) and value not in shape.enum:
            return f"Field '{name}' is not an expected value"
        if wrong := self.length(len(value), shape, name):
            return wrong
        pattern = shape.metadata.get("pattern")
        if pattern and not _matches(pattern, value):
            return f"Field '{name}' does not match the expected pattern"
        return None

    def number(self, value: Any, shape, name: str) -> str | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"Field '{name}' must be a number"
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        low, high = DOCUMENTED_RANGES.get((self.service, shape.name), (low, high))
        if low is not None and value < low:
            return f"Field '{name}' is less than the minimum value"
        if high is not None and value > high:
            return f"Field '{name}' exceeds the maximum value"
        return None

    @staticmethod
    def length(length: int, shape, name: str) -> str | None:
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and length < low:
            return f"Field '{name}' is smaller than the minimum length"
        if high is not None and length > high:
            return f"Field '{name}' exceeds the maximum length"
        return None


@functools.lru_cache(maxsize=256)
def _pattern(pattern: str):
    """The model's pattern (Smithy's: ECMA 262, not anchored), or None where Python's ``re``
    cannot read it (``\\p{...}`` classes): such a field is not checked."""
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _matches(pattern: str, value: str) -> bool:
    compiled = _pattern(pattern)
    return compiled is None or compiled.search(value) is not None
