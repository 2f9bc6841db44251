"""Resource handlers: how each resource type is created, updated and deleted.

As CloudFormation's own handlers do, each one calls the service's public API (on this
emulator, with the emulator's own key), so a stack's state machine is the one the Step
Functions API lists and runs, its function the one Lambda invokes, its role the one IAM
enforces. A handler says what ``Ref`` and each ``Fn::GetAtt`` attribute answer.

One module per service: ``iam``, ``awslambda``, ``stepfunctions``, ``events`` (EventBridge
rules, buses and Scheduler), ``messaging`` (SQS, SNS), ``storage`` (S3, DynamoDB, CloudWatch
Logs, SSM, KMS), ``apigateway`` (REST and HTTP APIs) and ``cloudformation`` (wait condition
handles, nested stacks). ``handler_for(type)`` finds a type's handler; a type with none is one
the emulator cannot create, and the stack fails on it with a message naming it.
"""

from __future__ import annotations

import importlib
import json
import secrets
import string
from dataclasses import dataclass, field

from sfn_tutorial.emulator.cloudformation import services

MODULES = (
    "iam",
    "awslambda",
    "stepfunctions",
    "events",
    "messaging",
    "storage",
    "apigateway",
    "cloudformation",
)
SUFFIX_LETTERS = string.ascii_letters + string.digits


class HandlerError(Exception):
    """A resource the service refused; ``message`` is the service's, ``code`` its error code."""

    def __init__(self, message: str, code: str = "InvalidRequest") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Made:
    """A resource as its handler made it: its physical id, what ``Ref`` answers (the physical
    id unless said otherwise) and its ``Fn::GetAtt`` attributes."""

    physical_id: str
    attributes: dict = field(default_factory=dict)
    ref: str | None = None

    @property
    def ref_value(self) -> str:
        return self.physical_id if self.ref is None else self.ref


@dataclass
class Request:
    """One resource operation: what the handler gets."""

    logical_id: str
    type_name: str
    properties: dict
    stack_name: str
    stack_id: str
    region: str
    account_id: str
    stack_tags: dict
    previous_properties: dict | None = None
    previous: Made | None = None

    @property
    def previous_id(self) -> str | None:
        """The physical id of the resource being updated (``None`` when it is being made)."""
        return self.previous.physical_id if self.previous else None

    def client(self, service: str):
        """A client for ``service`` in the stack's region, on this emulator."""
        return services.client(service, self.region)

    def physical_name(self, max_length: int = 64, with_stack: bool = True, lower=False) -> str:
        """A name as CloudFormation generates one: ``{stack}-{logical id}-{12 random
        characters}`` (without the stack's name for some types), cut to fit ``max_length``."""
        letters = string.ascii_lowercase + string.digits if lower else SUFFIX_LETTERS
        suffix = "".join(secrets.choice(letters) for _ in range(12))
        base = f"{self.stack_name}-{self.logical_id}" if with_stack else self.logical_id
        name = f"{base[: max_length - len(suffix) - 1]}-{suffix}"
        return name.lower() if lower else name

    def name(self, property_name: str, max_length: int = 64, **options) -> str:
        """The resource's name: the template's ``property_name`` or a generated one."""
        given = self.properties.get(property_name)
        return given if given else self.physical_name(max_length, **options)

    def tags(self, key: str = "Tags", system: bool = True) -> dict:
        """The resource's tags: the stack's (which CloudFormation gives every resource that
        takes tags), with ``aws:cloudformation:*`` ones when ``system``, then its own."""
        merged = dict(self.stack_tags)
        if system:
            merged.update(
                {
                    "aws:cloudformation:stack-name": self.stack_name,
                    "aws:cloudformation:stack-id": self.stack_id,
                    "aws:cloudformation:logical-id": self.logical_id,
                }
            )
        own = self.properties.get(key) or []
        if isinstance(own, dict):
            merged.update({k: str(v) for k, v in own.items()})
        else:
            merged.update({tag["Key"]: str(tag["Value"]) for tag in own})
        return merged

    def user_tags(self) -> dict:
        """The resource's tags without the ``aws:`` ones, which APIs refuse from callers."""
        return user_tags(self.tags())

    def user_tag_list(self, key: str = "Key", value: str = "Value") -> list[dict]:
        """``user_tags`` as the list of pairs most APIs take (in the casing an API wants)."""
        return tag_list(self.user_tags(), key, value)

    def arn(self, service: str, resource: str, region: bool = True) -> str:
        """An ARN in the stack's account (and region)."""
        where = self.region if region else ""
        return f"arn:aws:{service}:{where}:{self.account_id}:{resource}"


class Handler:
    """How one resource type is made. ``create`` and ``delete`` are required; ``update``
    changes the resource in place (the engine replaces it instead when a create-only property
    changes, as the type's schema says)."""

    type_name = ""

    def create(self, request: Request) -> Made:
        raise NotImplementedError

    def update(self, request: Request) -> Made:
        """By default a changed resource is replaced: made anew, and the old one deleted once
        the whole stack is updated (a new physical id tells the engine so)."""
        return self.create(request)

    def delete(self, request: Request, made: Made) -> None:
        raise NotImplementedError


_REGISTRY: dict[str, Handler] = {}


def handler_for(type_name: str) -> Handler | None:
    """The handler of ``type_name``, or ``None`` if the emulator cannot make that type."""
    if not _REGISTRY:
        for name in MODULES:
            module = importlib.import_module(f"{__name__}.{name}")
            for handler in module.HANDLERS:
                _REGISTRY[handler.type_name] = handler
    if type_name.startswith("Custom::"):
        type_name = "AWS::CloudFormation::CustomResource"
    return _REGISTRY.get(type_name)


def supported_types() -> list[str]:
    """Every resource type the emulator can make, sorted."""
    handler_for("")
    return sorted(_REGISTRY)


def as_json(value) -> str:
    """A policy or definition property as a JSON string (the template may give an object)."""
    return value if isinstance(value, str) else json.dumps(value)


def tag_list(tags: dict, key: str = "Key", value: str = "Value") -> list[dict]:
    """``{"k": "v"}`` as ``[{"Key": "k", "Value": "v"}]`` (or the casing an API wants)."""
    return [{key: k, value: v} for k, v in tags.items()]


def user_tags(tags: dict) -> dict:
    """Tags without the ``aws:`` ones, for APIs that refuse those from callers."""
    return {k: v for k, v in tags.items() if not k.startswith("aws:")}


ROLE_WAIT_S = 120  # how long a handler waits for a new role to spread, as CloudFormation does


def while_role_spreads(call, **kwargs):
    """``call(**kwargs)``, retried while the service answers that it cannot use a new role yet
    (Lambda: "cannot be assumed by Lambda"; Step Functions: "...is authorized to assume the
    provided role"): CloudFormation's handlers wait for IAM, so a stack need not."""
    import time

    deadline = time.monotonic() + ROLE_WAIT_S
    delay = 0.5
    while True:
        try:
            return call(**kwargs)
        except Exception as error:  # a botocore ClientError
            message = str(error)
            spreading = "cannot be assumed" in message or "authorized to assume" in message
            if not spreading or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
