"""A policy statement's ``Condition`` block, decided against a request's context keys as IAM
decides it (IAM User Guide: "IAM JSON policy elements: Condition operators" and "Conditions
with multiple context keys or values").

moto's evaluator knows one operator (``StringEquals``, in ``moto.iam.policy_conditions``) and
reads a key the request lacks as met; this module replaces its ``_check_conditions`` (see
``service_roles.Statement``) with IAM's rules:

* every operator in the block, and every key under an operator, must hold (AND); the values
  listed for one key are alternatives (OR), and for a negated operator (``StringNotEquals``,
  ``ArnNotLike``...) the key holds when it matches none of them (NOR);
* a key the request does not carry fails a positive operator and meets a negated one;
  ``...IfExists`` meets it either way; ``Null`` tests just that (``"true"``: the key is absent);
* a multivalued key (a list in the context): ``ForAnyValue:`` holds when at least one value
  meets the test (never when the key is absent), ``ForAllValues:`` when every value does (also
  when the key is absent or empty); without a set operator a positive operator holds when any
  value matches, a negated one when none does;
* key names compare without regard to case, as IAM compares them; ``StringLike`` and
  ``ArnLike`` take ``*`` and ``?``; an ARN is compared part by part (``arn:partition:service:
  region:account:resource``), each part as ``ArnLike`` does.

An operator IAM does not know makes the condition fail (IAM rejects such a policy when it is
stored; the emulator never applies a statement it cannot read).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

Context = Mapping[str, "str | list[str]"]


def like(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """``StringLike``: ``*`` any run of characters, ``?`` one; nothing else is special."""
    regex = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(regex, value, flags) is not None


def arn_like(pattern: str, value: str) -> bool:
    """``ArnLike``: both must have six parts; each part of the value matches the pattern's."""
    expected, actual = pattern.split(":", 5), value.split(":", 5)
    if len(expected) != 6 or len(actual) != 6:
        return False
    return all(like(e, a) for e, a in zip(expected, actual, strict=True))


def _number(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _numeric(compare):
    def test(expected: str, actual: str) -> bool:
        a, b = _number(actual), _number(expected)
        return a is not None and b is not None and compare(a, b)

    return test


# Positive base operators: (policy value, request value) -> matches?
MATCHES = {
    "StringEquals": lambda e, a: a == e,
    "StringEqualsIgnoreCase": lambda e, a: a.lower() == e.lower(),
    "StringLike": like,
    "ArnEquals": arn_like,  # IAM documents ArnEquals and ArnLike as the same test
    "ArnLike": arn_like,
    "Bool": lambda e, a: a.lower() == e.lower(),
    "NumericEquals": _numeric(lambda a, b: a == b),
    "NumericLessThan": _numeric(lambda a, b: a < b),
    "NumericLessThanEquals": _numeric(lambda a, b: a <= b),
    "NumericGreaterThan": _numeric(lambda a, b: a > b),
    "NumericGreaterThanEquals": _numeric(lambda a, b: a >= b),
}
# Negated operators: the base operator they negate.
NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
}


def _values(value) -> list[str]:
    """A policy's or a context's value(s) as strings (IAM reads ``true`` and ``1`` as text)."""
    items = value if isinstance(value, list) else [value]
    return [str(item).lower() if isinstance(item, bool) else str(item) for item in items]


def lookup(context: Context, key: str) -> list[str] | None:
    """The request's values for ``key`` (names compare without case), ``None`` if absent."""
    wanted = key.lower()
    for name, value in context.items():
        if name.lower() == wanted:
            return _values(value)
    return None


def key_holds(operator: str, key: str, expected, context: Context) -> bool:
    """Does one key under one operator (``"ForAnyValue:StringLikeIfExists"`` etc.) hold?"""
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists") and name != "IfExists"
    name = name.removesuffix("IfExists") if if_exists else name
    expected = _values(expected)
    actual = lookup(context, key)
    if name == "Null":
        absent = actual is None or actual == []
        return all((value.lower() == "true") == absent for value in expected)
    negated = name in NEGATED
    match = MATCHES.get(NEGATED.get(name, name))
    if match is None or qualifier not in ("", "ForAnyValue", "ForAllValues"):
        return False  # an operator IAM does not know: the statement is not applied

    def value_holds(value: str) -> bool:
        hit = any(match(pattern, value) for pattern in expected)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return actual is None or all(value_holds(value) for value in actual)
    if actual is None:
        if qualifier == "ForAnyValue":
            return False
        return if_exists or negated
    if qualifier == "ForAnyValue" or not negated:
        return any(value_holds(value) for value in actual)
    return all(value_holds(value) for value in actual)


def holds(block: Mapping | None, context: Context | None) -> bool:
    """Does a statement's whole ``Condition`` block hold for a request with ``context``?"""
    if not block:
        return True
    context = context or {}
    return all(
        key_holds(operator, key, expected, context)
        for operator, keys in block.items()
        for key, expected in (keys or {}).items()
    )
