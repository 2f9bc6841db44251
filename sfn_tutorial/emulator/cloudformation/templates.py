"""A template's text read as CloudFormation reads it, its format checked, its parameters resolved.

* ``parse``: JSON or YAML. In YAML, the short forms of the intrinsic functions (``!Ref``,
  ``!GetAtt Resource.Attribute``, ``!Sub``, ...) become their long forms, and a value such as
  ``2012-10-17`` stays a string (CloudFormation has no date type). Text that is neither:
  ``Template format error: YAML not well-formed.`` with the line and column.
* ``check_format``: the rules CloudFormation checks before it creates anything, in its words:
  at least one resource, each with a ``Type``, known top-level sections, ``Ref``s and
  ``GetAtt``s that name something.
* ``resolve_parameters``: the values each parameter gets (given, previous or default) and the
  constraints AWS checks: ``AllowedValues``, ``AllowedPattern``, lengths, number bounds.
"""

from __future__ import annotations

import json
import re

import yaml

from sfn_tutorial.emulator.cloudformation import intrinsics

SECTIONS = {
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Rules",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
}
RESOURCE_ATTRIBUTES = {
    "Type",
    "Properties",
    "DependsOn",
    "Condition",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "UpdatePolicy",
    "CreationPolicy",
    "Metadata",
    "Version",
}
NO_ECHO_MASK = "****"


class TemplateError(ValueError):
    """A template CloudFormation refuses (a ``ValidationError``); the message is AWS's."""


# ---------------------------------------------------------------- reading the text


class _Loader(yaml.SafeLoader):
    """YAML as CloudFormation reads it: tags are intrinsic functions; no dates."""


# CloudFormation keeps 2012-10-17 a string: drop YAML's implicit timestamp type.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}


def _intrinsic(loader: _Loader, suffix: str, node: yaml.Node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        return {"Fn::GetAtt": value.split(".", 1)}
    return {f"Fn::{suffix}": value}


_Loader.add_multi_constructor("!", _intrinsic)


def parse(text: str | bytes | dict) -> dict:
    """The template as a dict, from JSON or YAML text (a dict is returned as it is)."""
    if isinstance(text, dict):
        return text
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if text.lstrip().startswith("{"):
        try:
            template = json.loads(text)
        except ValueError as error:
            line, column = getattr(error, "lineno", 1), getattr(error, "colno", 1)
            raise TemplateError(
                f"Template format error: JSON not well-formed. (line {line}, column {column})"
            ) from None
    else:
        try:
            template = yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            raise TemplateError(f"Template format error: YAML not well-formed.{where}") from None
    if not isinstance(template, dict):
        raise TemplateError("Template format error: not a JSON or YAML object")
    return template


def transforms_of(template: dict) -> list[str]:
    """The names in the template's ``Transform`` section, in order."""
    declared = template.get("Transform") or []
    declared = declared if isinstance(declared, list) else [declared]
    return [item["Name"] if isinstance(item, dict) else item for item in declared]


# ---------------------------------------------------------------- the format


def check_format(template: dict, known_type) -> None:
    """Refuse what CloudFormation refuses before it creates anything (``known_type(name)``
    says whether AWS has a resource type of that name)."""
    unknown = sorted(set(template) - SECTIONS)
    if unknown:
        raise TemplateError(
            f"Template format error: Invalid template property or properties [{', '.join(unknown)}]"
        )
    resources = template.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise TemplateError("Template format error: At least one Resources member must be defined.")
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or "Type" not in resource:
            raise TemplateError(
                f"Template format error: [/Resources/{logical_id}] Every Resources object "
                "must contain a Type member."
            )
        extra = sorted(set(resource) - RESOURCE_ATTRIBUTES)
        if extra:
            raise TemplateError(f"Invalid template resource property '{extra[0]}'")
    unrecognized = sorted(
        {resource["Type"] for resource in resources.values() if not known_type(resource["Type"])}
    )
    if unrecognized:
        raise TemplateError(
            f"Template format error: Unrecognized resource types: [{', '.join(unrecognized)}]"
        )
    _check_references(template)


def _check_references(template: dict) -> None:
    resources = template["Resources"]
    known = set(resources) | set(template.get("Parameters") or {}) | intrinsics.PSEUDO_PARAMETERS
    for resource in resources.values():
        body = {key: value for key, value in resource.items() if key != "Type"}
        missing = sorted(intrinsics.references(body, include_parameters=True) - known)
        depends = resource.get("DependsOn") or []
        depends = depends if isinstance(depends, list) else [depends]
        missing += [name for name in depends if name not in resources]
        if missing:
            raise TemplateError(
                "Template format error: Unresolved resource dependencies "
                f"[{', '.join(sorted(set(missing)))}] in the Resources block of the template"
            )
    conditions = template.get("Conditions") or {}
    for resource in resources.values():
        condition = resource.get("Condition")
        if condition is not None and condition not in conditions:
            raise TemplateError(
                f"Template format error: Unresolved dependencies [{condition}]. Cannot reference "
                "resources in the Conditions block of the template"
            )
    for output in (template.get("Outputs") or {}).values():
        missing = sorted(intrinsics.references(output, include_parameters=True) - known)
        if missing:
            raise TemplateError(
                "Template format error: Unresolved resource dependencies "
                f"[{', '.join(missing)}] in the Outputs block of the template"
            )


# ---------------------------------------------------------------- parameters


def resolve_parameters(template: dict, given: dict, previous: dict | None = None) -> dict:
    """Each parameter's value: ``given`` (``{key: value}``; ``None`` means "use the previous
    value"), else the ``Default``; checked against its constraints as CloudFormation does."""
    declared = template.get("Parameters") or {}
    undeclared = sorted(set(given) - set(declared))
    if undeclared:
        raise TemplateError(f"Parameters: [{', '.join(undeclared)}] do not exist in the template")
    values, missing = {}, []
    for name, spec in declared.items():
        if name in given and given[name] is None:
            value = (previous or {}).get(name)
        elif name in given:
            value = given[name]
        else:
            value = spec.get("Default")
        if value is None:
            missing.append(name)
            continue
        values[name] = _checked(name, spec, value)
    if missing:
        raise TemplateError(f"Parameters: [{', '.join(missing)}] must have values")
    return values


def _checked(name: str, spec: dict, value):
    kind = spec.get("Type", "String")
    text = ",".join(value) if isinstance(value, list) else str(value)
    items = [item.strip() for item in text.split(",")] if _is_list(kind) else [text]
    allowed = spec.get("AllowedValues")
    for item in items:
        if allowed is not None and item not in [str(option) for option in allowed]:
            raise TemplateError(f"Parameter '{name}' must be one of AllowedValues")
        pattern = spec.get("AllowedPattern")
        if pattern is not None and not re.fullmatch(pattern, item):
            raise TemplateError(
                spec.get("ConstraintDescription")
                or f"Parameter '{name}' must match pattern {pattern}"
            )
        if "MinLength" in spec and len(item) < int(spec["MinLength"]):
            raise TemplateError(
                f"Parameter '{name}' must contain at least {spec['MinLength']} characters"
            )
        if "MaxLength" in spec and len(item) > int(spec["MaxLength"]):
            raise TemplateError(
                f"Parameter '{name}' must contain at most {spec['MaxLength']} characters"
            )
        if kind in ("Number", "List<Number>"):
            try:
                number = float(item)
            except ValueError:
                raise TemplateError(f"Parameter '{name}' must be a number") from None
            if "MinValue" in spec and number < float(spec["MinValue"]):
                raise TemplateError(
                    f"Parameter '{name}' must be a number not less than {spec['MinValue']}"
                )
            if "MaxValue" in spec and number > float(spec["MaxValue"]):
                raise TemplateError(
                    f"Parameter '{name}' must be a number not greater than {spec['MaxValue']}"
                )
    return items if _is_list(kind) else text


def _is_list(kind: str) -> bool:
    return kind == "CommaDelimitedList" or kind.startswith("List<")


def shown_parameters(template: dict, values: dict) -> list[dict]:
    """``Parameters`` as ``DescribeStacks`` shows them: ``NoEcho`` ones masked."""
    declared = template.get("Parameters") or {}
    shown = []
    for name, value in values.items():
        text = ",".join(value) if isinstance(value, list) else str(value)
        if str(declared.get(name, {}).get("NoEcho", "false")).lower() == "true":
            text = NO_ECHO_MASK
        shown.append({"ParameterKey": name, "ParameterValue": text})
    return shown
