"""Where moto's DynamoDB answers differently from DynamoDB, fixed and named.

``apply()`` is called once, in the emulator process; ``tests/test_dynamodb_api.py`` checks each
fix against the running emulator.
"""

from __future__ import annotations

import re

from sfn_tutorial.emulator import service_models

# A table's name: 3 to 255 letters, digits, '_', '.' or '-' (or, since 2024, its ARN).
TABLE_NAME = re.compile(r"[a-zA-Z0-9_.-]+")
TABLE_NAME_LENGTH = (3, 255)


def apply() -> None:
    """Make moto's DynamoDB validate requests as DynamoDB does."""
    invalid_requests_are_validation_errors()


def violations(body: dict, required) -> list[str]:
    """DynamoDB's words for each way ``body`` breaks its action's constraints: a required
    member that is missing or null, a table name that is not one."""
    found = [
        f"Value null at '{_wire_name(name)}' failed to satisfy constraint: Member must not be null"
        for name in required
        if body.get(name) is None
    ]
    name = body.get("TableName")
    if isinstance(name, str) and not name.startswith("arn:"):
        where = f"Value '{name}' at 'tableName' failed to satisfy constraint: "
        shortest, longest = TABLE_NAME_LENGTH
        if not TABLE_NAME.fullmatch(name):
            pattern = TABLE_NAME.pattern
            found.append(f"{where}Member must satisfy regular expression pattern: {pattern}")
        if len(name) < shortest:
            found.append(f"{where}Member must have length greater than or equal to {shortest}")
        if len(name) > longest:
            found.append(f"{where}Member must have length less than or equal to {longest}")
    return found


def validation_message(found: list[str]) -> str:
    """``1 validation error detected: ...``, ``2 validation errors detected: ...; ...``."""
    errors = "error" if len(found) == 1 else "errors"
    return f"{len(found)} validation {errors} detected: " + "; ".join(found)


def _wire_name(member: str) -> str:
    """A member as DynamoDB names it in validation messages: ``TableName`` -> ``tableName``."""
    return member[:1].lower() + member[1:]


def invalid_requests_are_validation_errors() -> None:
    """A request with a required member missing or null (``PutItem`` without ``Item``, as the
    AWS SDK sends a null item) or a table name that is not one (``/orders``, ``ab``) is refused
    with ``ValidationException``, e.g. ``1 validation error detected: Value null at 'item'
    failed to satisfy constraint: Member must not be null``, before any table is looked up.

    moto fails with HTTP 500 on a missing member, and answers ``ResourceNotFoundException``
    for an invalid name.
    """
    from botocore import xform_name
    from moto.dynamodb.exceptions import MockValidationException
    from moto.dynamodb.responses import DynamoHandler

    model = service_models.service_model("dynamodb")
    for operation_name in model.operation_names:
        method_name = xform_name(operation_name)
        original = DynamoHandler.__dict__.get(method_name)
        input_shape = model.operation_model(operation_name).input_shape
        if original is None or input_shape is None or "TableName" not in input_shape.members:
            continue

        def checked(self, original=original, required=tuple(input_shape.required_members)):
            body = self.body if isinstance(self.body, dict) else {}
            found = violations(body, required)
            if found:
                raise MockValidationException(validation_message(found))
            return original(self)

        checked.__wrapped__ = original
        setattr(DynamoHandler, method_name, checked)
