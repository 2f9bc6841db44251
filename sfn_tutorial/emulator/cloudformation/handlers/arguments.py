"""A service call's arguments from a template's properties, as every handler needs them.

A template gives some properties and leaves others out; an API call must be given only those
the template gives (an absent property is not the same as ``None``), so a handler picks them
by name with ``given``. Most APIs name their arguments as the template names its properties;
camel-case ones (API Gateway's REST APIs, Step Functions) start each name lower-case:
``lower_camel`` renames them.
"""

from __future__ import annotations

from collections.abc import Iterable


def given(props: dict, names: Iterable[str]) -> dict:
    """The properties among ``names`` that the template gives, as keyword arguments."""
    return {name: props[name] for name in names if name in props}


def lower_camel(arguments: dict) -> dict:
    """``arguments`` named as a camel-case API names them: ``{"PathPart": ...}`` as
    ``{"pathPart": ...}``."""
    return {name[:1].lower() + name[1:]: value for name, value in arguments.items()}
