"""What AWS's CloudFormation registry says about each resource type, read from the resource
provider schemas that ``cfn-lint`` ships (one list of types per region, one schema per type).

* ``known_type``: does the region have this type? (CloudFormation refuses a template naming
  one it has not: "Unrecognized resource types".)
* ``create_only``: the properties whose change replaces the resource (``createOnlyProperties``);
  change sets say ``Replacement: True`` for them.
* ``attributes``: what ``Fn::GetAtt`` may ask for (``readOnlyProperties``).

The files are read on first use, one type at a time; ``cfn-lint`` itself is not imported.
"""

from __future__ import annotations

import functools
import importlib.util
import json
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
    if type_name.startswith("Custom::"):
        type_name = "AWS::CloudFormation::CustomResource"
    digest = _provider(region).get(type_name)
    if digest is None:
        return {}
    return json.loads((_schemas_dir() / "resources" / f"{digest}.json").read_text())


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
