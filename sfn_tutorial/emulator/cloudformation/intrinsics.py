"""CloudFormation's intrinsic functions and condition functions, as its template reference
documents them.

``Evaluator.resolve(value)`` replaces every function in ``value``: ``Ref`` (parameters, pseudo
parameters, resources), ``Fn::GetAtt``, ``Fn::Sub`` (both forms; ``${!Literal}``),
``Fn::Join``, ``Fn::Select``, ``Fn::Split``, ``Fn::If``, ``Fn::FindInMap``, ``Fn::Base64``,
``Fn::GetAZs``, ``Fn::ImportValue``, ``Fn::Cidr``, and with the ``AWS::LanguageExtensions``
transform ``Fn::Length`` and ``Fn::ToJsonString``. ``Ref: AWS::NoValue`` removes the property
(or list item) it stands for. Conditions (``Fn::Equals``, ``Fn::And``, ``Fn::Or``, ``Fn::Not``,
``Condition``) are evaluated once each, by name.

A value that depends on a resource not created yet (a change set's preview) resolves to
``UNKNOWN``: the change set then says the change is ``Dynamic``.

``references(value)`` lists the logical ids a value refers to, so the engine knows what to
create first.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re

PSEUDO_PARAMETERS = {
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
}
SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class IntrinsicError(ValueError):
    """A function CloudFormation cannot evaluate; the message is CloudFormation's."""


class _Unknown:
    """A value only known once a resource exists (shown as such in a change set)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()
_REMOVE = object()  # Ref: AWS::NoValue


def contains_unknown(value) -> bool:
    """Does ``value`` (or anything in it) depend on a value not known yet?"""
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(contains_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_unknown(item) for item in value)
    return False


# ---------------------------------------------------------------- what a value refers to


def references(value, include_parameters: bool = False) -> set[str]:
    """The names ``value`` refers to with ``Ref``, ``Fn::GetAtt`` and ``Fn::Sub``: resources
    (and, with ``include_parameters``, parameters and pseudo parameters too)."""
    found: set[str] = set()
    _collect(value, found, set())
    if not include_parameters:
        found -= PSEUDO_PARAMETERS
    return found


def _collect(value, found: set[str], local: set[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _collect(item, found, local)
        return
    if not isinstance(value, dict):
        return
    if len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Ref" and isinstance(argument, str):
            if argument not in local:
                found.add(argument)
            return
        if key == "Fn::GetAtt":
            names = argument.split(".", 1) if isinstance(argument, str) else argument
            if names and isinstance(names[0], str):
                found.add(names[0])
            if isinstance(names, list) and len(names) > 1:
                _collect(names[1], found, local)
            return
        if key == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else (argument + [{}])[:2]
            if isinstance(variables, dict):
                _collect(list(variables.values()), found, local)
                inner = local | set(variables)
            else:
                inner = local
            if isinstance(text, str):
                for name in _sub_names(text):
                    head = name.split(".", 1)[0]
                    if head not in inner:
                        found.add(head)
            else:
                _collect(text, found, local)
            return
    for item in value.values():
        _collect(item, found, local)


def _sub_names(text: str) -> list[str]:
    return [name.strip() for name in SUB_VARIABLE.findall(text) if not name.startswith("!")]


# ---------------------------------------------------------------- evaluating


class Evaluator:
    """Resolves template values for one stack operation.

    ``ref(logical_id)`` and ``get_att(logical_id, attribute)`` give a resource's values (or
    ``UNKNOWN``); ``parameters`` the resolved parameters; ``pseudo`` the pseudo parameters;
    ``exports`` the region's exported values by name; ``language_extensions``: the template
    declared the ``AWS::LanguageExtensions`` transform.
    """

    def __init__(
        self, template, parameters, pseudo, ref, get_att, exports, language_extensions=False
    ):
        self.template = template
        self.parameters = parameters
        self.pseudo = pseudo
        self.ref = ref
        self.get_att = get_att
        self.exports = exports
        self.language_extensions = language_extensions
        self._conditions: dict[str, bool] = {}

    # ------------------------------------------------------------ conditions

    def condition(self, name: str) -> bool:
        """The value of the template's condition ``name`` (evaluated once)."""
        if name not in self._conditions:
            conditions = self.template.get("Conditions") or {}
            if name not in conditions:
                raise IntrinsicError(
                    f"Template format error: Unresolved dependencies [{name}]. Cannot reference "
                    "resources in the Conditions block of the template"
                )
            self._conditions[name] = bool(self._condition_value(conditions[name]))
        return self._conditions[name]

    def _condition_value(self, value):
        if isinstance(value, dict) and len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Condition":
                return self.condition(argument)
            if key == "Fn::Equals":
                left, right = (self._condition_value(item) for item in argument)
                return _text(left) == _text(right)
            if key == "Fn::And":
                return all(self._condition_value(item) for item in argument)
            if key == "Fn::Or":
                return any(self._condition_value(item) for item in argument)
            if key == "Fn::Not":
                return not self._condition_value(argument[0])
        return self.resolve(value)

    def included(self, entry: dict) -> bool:
        """Does a resource or output with this body exist, given its ``Condition``?"""
        name = entry.get("Condition")
        return name is None or self.condition(name)

    # ------------------------------------------------------------ values

    def resolve(self, value):
        """``value`` with every intrinsic function replaced by what it evaluates to."""
        result = self._resolve(value)
        return None if result is _REMOVE else result

    def _resolve(self, value):
        if isinstance(value, list):
            items = [self._resolve(item) for item in value]
            return [item for item in items if item is not _REMOVE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            method = _FUNCTIONS.get(key)
            if method is not None:
                return method(self, argument)
        resolved = {}
        for key, item in value.items():
            item = self._resolve(item)
            if item is not _REMOVE:
                resolved[key] = item
        return resolved

    def _ref(self, name):
        name = self._resolve(name)
        if name == "AWS::NoValue":
            return _REMOVE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        return self.ref(name)

    def _get_att(self, argument):
        names = argument.split(".", 1) if isinstance(argument, str) else argument
        logical_id, attribute = names[0], self._resolve(names[1])
        return self.get_att(logical_id, attribute)

    def _sub(self, argument):
        if isinstance(argument, str):
            text, variables = argument, {}
        else:
            text, variables = argument[0], self._resolve(argument[1])
        text = self._resolve(text)
        if text is UNKNOWN:
            return UNKNOWN
        unknown = False

        def replace(match: re.Match) -> str:
            nonlocal unknown
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            name = name.strip()
            if name in variables:
                value = variables[name]
            elif "." in name and name.split(".", 1)[0] not in self.parameters:
                value = self._get_att(name.split(".", 1))
            else:
                value = self._ref(name)
            if value is UNKNOWN or contains_unknown(value):
                unknown = True
                return ""
            return _text(value)

        result = SUB_VARIABLE.sub(replace, text)
        return UNKNOWN if unknown else result

    def _join(self, argument):
        delimiter, items = argument[0], self._resolve(argument[1])
        if contains_unknown(items):
            return UNKNOWN
        if not isinstance(items, list):
            raise IntrinsicError("Template error: every Fn::Join object requires two parameters")
        return self._resolve(delimiter).join(_text(item) for item in items)

    def _select(self, argument):
        index, items = self._resolve(argument[0]), self._resolve(argument[1])
        if contains_unknown(items) or index is UNKNOWN:
            return UNKNOWN
        try:
            return items[int(index)]
        except (IndexError, ValueError, TypeError):
            raise IntrinsicError(
                f"Template error: Fn::Select cannot select nonexistent value at index {index}"
            ) from None

    def _split(self, argument):
        delimiter, text = argument[0], self._resolve(argument[1])
        if text is UNKNOWN:
            return UNKNOWN
        return text.split(delimiter)

    def _if(self, argument):
        name, when_true, when_false = argument
        return self._resolve(when_true if self.condition(name) else when_false)

    def _find_in_map(self, argument):
        resolved = [self._resolve(item) for item in argument[:3]]
        default = argument[3].get("DefaultValue") if len(argument) > 3 else None
        mappings = self.template.get("Mappings") or {}
        try:
            return mappings[resolved[0]][resolved[1]][resolved[2]]
        except (KeyError, TypeError):
            if default is not None:
                return self._resolve(default)
            raise IntrinsicError(
                f"Template error: Unable to get mapping for {'::'.join(map(str, resolved))}"
            ) from None

    def _base64(self, argument):
        text = self._resolve(argument)
        if text is UNKNOWN:
            return UNKNOWN
        return base64.b64encode(_text(text).encode()).decode()

    def _get_azs(self, argument):
        region = self._resolve(argument) or self.pseudo["AWS::Region"]
        return [f"{region}{zone}" for zone in "abc"]

    def _import_value(self, argument):
        name = self._resolve(argument)
        if name not in self.exports:
            raise IntrinsicError(f"No export named {name} found.")
        return self.exports[name]

    def _cidr(self, argument):
        block, count, bits = (self._resolve(item) for item in argument)
        network = ipaddress.ip_network(block, strict=False)
        prefix = network.max_prefixlen - int(bits)
        return [str(subnet) for subnet in network.subnets(new_prefix=prefix)][: int(count)]

    def _length(self, argument):
        items = self._resolve(argument)
        return UNKNOWN if contains_unknown(items) else len(items)

    def _to_json_string(self, argument):
        value = self._resolve(argument)
        if contains_unknown(value):
            return UNKNOWN
        return json.dumps(value, separators=(",", ":"))

    def _condition_function(self, argument):
        raise IntrinsicError(
            "Template error: condition functions can only be used in the Conditions section or "
            "in Fn::If"
        )


def _extension(method):
    def only_with_language_extensions(self: Evaluator, argument):
        if not self.language_extensions:
            name = method.__name__.strip("_").title().replace("_", "")
            raise IntrinsicError(
                f"Template format error: Unrecognized intrinsic function Fn::{name}; it needs "
                "the AWS::LanguageExtensions transform"
            )
        return method(self, argument)

    return only_with_language_extensions


_FUNCTIONS = {
    "Ref": Evaluator._ref,
    "Fn::GetAtt": Evaluator._get_att,
    "Fn::Sub": Evaluator._sub,
    "Fn::Join": Evaluator._join,
    "Fn::Select": Evaluator._select,
    "Fn::Split": Evaluator._split,
    "Fn::If": Evaluator._if,
    "Fn::FindInMap": Evaluator._find_in_map,
    "Fn::Base64": Evaluator._base64,
    "Fn::GetAZs": Evaluator._get_azs,
    "Fn::ImportValue": Evaluator._import_value,
    "Fn::Cidr": Evaluator._cidr,
    "Fn::Length": _extension(Evaluator._length),
    "Fn::ToJsonString": _extension(Evaluator._to_json_string),
    "Fn::Equals": Evaluator._condition_function,
}


def _text(value) -> str:
    """A value as CloudFormation writes it into a string: booleans lower case, numbers plain."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)
