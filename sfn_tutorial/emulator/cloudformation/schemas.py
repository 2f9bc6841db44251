"""What AWS's CloudFormation registry says about each resource type, read from the resource
provider schemas that ``cfn-lint`` ships (one list of types per region, one schema per type).

* ``known_type``: does the region have this type? (CloudFormation refuses a template naming
  one it has not: "Unrecognized resource types".)
* ``create_only``: the properties whose change replaces the resource (``createOnlyProperties``);
  change sets say ``Replacement: True`` for them.
* ``attributes``: what ``Fn::GetAtt`` may ask for (``readOnlyProperties``).
* ``typed``: a resource's properties with the types its schema gives them (a ``Number``
  parameter's ``Ref`` is a string; the resource's provider reads ``"10"`` as the integer 10).

The files are read on first use, one type at a time; ``cfn-lint`` itself is not imported.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from pathlib import Path

DEFAULT_REGION = "us-east-1"
# Types whose every property Fn::GetAtt can read, not only their read-only ones (the types of
# those the emulator makes that cfn-lint, CloudFormation's linter, lists so).
ALL_PROPERTIES_ARE_ATTRIBUTES = {
    "AWS::Events::EventBus",
    "AWS::SNS::Topic",
    "AWS::SQS::Queue",
    "AWS::SSM::Parameter",
    "AWS::StepFunctions::Activity",
}


@functools.cache
def _schemas_dir() -> Path:
    spec = importlib.util.find_spec("cfnlint")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "schemas"


@functools.cache
def _provider(region: str) -> dict[str, str]:
    path = _schemas_dir() / "providers" / f"{region}.json"
    if not path.exists():
        path = _schemas_dir() / "providers" / f"{DEFAULT_REGION}.json"
    return json.loads(path.read_text())


def known_type(type_name: str, region: str) -> bool:
    """Is ``type_name`` a resource type CloudFormation has in ``region``? (``Custom::`` names
    are custom resources, which every region has.)"""
    if type_name.startswith("Custom::"):
        return True
    return type_name in _provider(region)


@functools.cache
def schema(type_name: str, region: str = DEFAULT_REGION) -> dict:
    """The type's resource provider schema (empty for a type the region does not have)."""
    return json.loads(_schema_text(type_name, region))


@functools.lru_cache(maxsize=64)
def _schema_text(type_name: str, region: str) -> str:
    if type_name.startswith("Custom::"):
        type_name = "AWS::CloudFormation::CustomResource"
    digest = _provider(region).get(type_name)
    if digest is None:
        return "{}"
    return (_schemas_dir() / "resources" / f"{digest}.json").read_text()


def typed(type_name: str, properties: dict, region: str = DEFAULT_REGION) -> dict:
    """``properties`` with each string that the type's schema says is an integer, a number or
    a boolean read as one, as CloudFormation's resource providers read them. CloudFormation's
    user guide: a ``Number`` parameter "becomes a string" wherever ``Ref`` uses it, and
    ``BatchSize: !Ref Size`` still makes a mapping of that many records. Anything else is left
    as it is."""
    document = schema(type_name, region)
    if not document or not isinstance(properties, dict):
        return properties
    shape = {"type": "object", "properties": document.get("properties", {})}
    return _typed(properties, shape, document.get("definitions", {}))


_WHOLE = re.compile(r"[+-]?\d+")


def _typed(value, shape: dict, definitions: dict, depth: int = 0):
    while "$ref" in shape and depth < 32:
        shape, depth = definitions.get(shape["$ref"].rsplit("/", 1)[-1], {}), depth + 1
    kinds = shape.get("type")
    kinds = set(kinds) if isinstance(kinds, list) else {kinds}
    if isinstance(value, str) and "string" not in kinds:
        return _scalar(value.strip(), kinds, value)
    if isinstance(value, dict) and isinstance(shape.get("properties"), dict):
        members = shape["properties"]
        return {
            key: _typed(item, members[key], definitions, depth + 1) if key in members else item
            for key, item in value.items()
        }
    if isinstance(value, list) and isinstance(shape.get("items"), dict):
        return [_typed(item, shape["items"], definitions, depth + 1) for item in value]
    return value


def _scalar(text: str, kinds: set, original: str):
    if kinds & {"integer", "number"} and _WHOLE.fullmatch(text):
        return int(text)
    if "number" in kinds:
        try:
            return float(text)
        except ValueError:
            return original
    if "boolean" in kinds and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return original


def _paths(type_name: str, region: str, key: str) -> list[tuple[str, ...]]:
    return [
        tuple(part for part in path.split("/")[2:] if part != "*")
        for path in schema(type_name, region).get(key, [])
        if path.startswith("/properties/")
    ]


def create_only(type_name: str, region: str = DEFAULT_REGION) -> list[tuple[str, ...]]:
    """The property paths (``("FunctionName",)``, ``("Code", "ImageUri")``...) whose change
    means CloudFormation replaces the resource."""
    return _paths(type_name, region, "createOnlyProperties")


def attributes(type_name: str, region: str = DEFAULT_REGION) -> set[str]:
    """The ``Fn::GetAtt`` attribute names of the type (``Arn``, ``Endpoint.Address``...)."""
    return {".".join(path) for path in _paths(type_name, region, "readOnlyProperties")}
