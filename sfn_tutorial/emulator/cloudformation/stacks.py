"""What CloudFormation keeps of a stack and its change sets, in the shapes its API answers.

A ``Stack`` is stored in moto's CloudFormation backend (``backend.stacks``, then
``backend.deleted_stacks``), so moto's API answers ``DescribeStacks`` and ``ListStacks`` from
it; it also holds what moto's own stack does not: each resource's record (``StackResource``),
the original and the processed template, the capabilities, and its events, newest last.
"""

from __future__ import annotations

import datetime
import json
import threading
import uuid
from dataclasses import dataclass, field

from sfn_tutorial.emulator.cloudformation import templates
from sfn_tutorial.emulator.cloudformation.handlers import Made


def now() -> datetime.datetime:
    """The time an event or a change happened (UTC)."""
    return datetime.datetime.now(datetime.timezone.utc)


@dataclass
class StackResource:
    """One resource of a stack: its template entry, what its handler made, its status."""

    logical_id: str
    type_name: str
    status: str = ""
    status_reason: str | None = None
    made: Made | None = None
    properties: dict | None = None  # as resolved when last created or updated
    entry: dict = field(default_factory=dict)  # its template entry
    timestamp: datetime.datetime = field(default_factory=now)

    @property
    def physical_id(self) -> str:
        return self.made.physical_id if self.made else ""

    def summary(self) -> dict:
        """As ``ListStackResources`` lists it."""
        found = {
            "LogicalResourceId": self.logical_id,
            "PhysicalResourceId": self.physical_id or None,
            "ResourceType": self.type_name,
            "LastUpdatedTimestamp": self.timestamp,
            "ResourceStatus": self.status,
            "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
        }
        if self.status_reason:
            found["ResourceStatusReason"] = self.status_reason
        return found

    def description(self, stack: Stack) -> dict:
        """As ``DescribeStackResources`` (and, with ``LastUpdatedTimestamp`` and ``Metadata``,
        ``DescribeStackResource``) describe it."""
        found = {
            "StackName": stack.name,
            "StackId": stack.stack_id,
            "LogicalResourceId": self.logical_id,
            "PhysicalResourceId": self.physical_id or None,
            "ResourceType": self.type_name,
            "Timestamp": self.timestamp,
            "LastUpdatedTimestamp": self.timestamp,
            "ResourceStatus": self.status,
            "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
        }
        if self.status_reason:
            found["ResourceStatusReason"] = self.status_reason
        if "Metadata" in self.entry:
            found["Metadata"] = json.dumps(self.entry["Metadata"])
        return found


class Event:
    """One stack event, as ``DescribeStackEvents`` answers it."""

    def __init__(self, stack, logical_id, physical_id, type_name, status, reason, properties):
        self.stack_id = stack.stack_id
        self.stack_name = stack.name
        self.event_id = str(uuid.uuid4())
        self.logical_resource_id = logical_id
        self.physical_resource_id = physical_id
        self.resource_type = type_name
        self.timestamp = now()
        self.resource_status = status
        self.resource_status_reason = reason
        self.resource_properties = properties
        self.client_request_token = None


class Stack:
    """A stack as CloudFormation keeps it (the names of its attributes are the ones moto's
    API answers ``DescribeStacks`` and ``ListStacks`` from)."""

    class Meta:
        serialization_aliases = {"Parameters": "parameter_list"}

    def __init__(self, backend, name: str, request: dict):
        self.name = name
        self.account_id = backend.account_id
        self.region_name = backend.region_name
        self.stack_id = (
            f"arn:aws:cloudformation:{backend.region_name}:{backend.account_id}:stack/"
            f"{name}/{uuid.uuid4()}"
        )
        self.status = "REVIEW_IN_PROGRESS"
        self.status_reason: str | None = None
        self.creation_time = now()
        self.last_updated_time: datetime.datetime | None = None
        self.deletion_time: datetime.datetime | None = None
        self.template = ""  # the text as sent
        self.template_dict: dict = {}  # as sent, parsed
        self.processed: dict = {}  # after its transforms
        self.parameters: dict = {}  # resolved values
        self.resources: dict[str, StackResource] = {}
        self.stack_outputs: list[dict] = []
        self.events: list[Event] = []
        self.tags: dict = dict(request.get("tags") or {})
        self.notification_arns = list(request.get("notification_arns") or [])
        self.capabilities = list(request.get("capabilities") or [])
        self.role_arn = request.get("role_arn")
        self.disable_rollback = bool(request.get("disable_rollback"))
        self.timeout_in_minutes = request.get("timeout_in_minutes")
        self.enable_termination_protection = bool(request.get("enable_termination_protection"))
        self.policy = ""
        self.lock = threading.RLock()

    # ------------------------------------------------------------ what the API answers

    @property
    def description(self) -> str | None:
        return self.template_dict.get("Description")

    @property
    def template_description(self) -> str | None:
        return self.description

    @property
    def parameter_list(self) -> list[dict]:
        return templates.shown_parameters(self.template_dict, self.parameters) or None

    @property
    def stack_parameters(self) -> dict:
        return self.parameters

    @property
    def outputs(self) -> list[dict] | None:
        return self.stack_outputs or None

    @property
    def exports(self) -> list:
        return []

    @property
    def stack_status_reason(self) -> str | None:
        return self.status_reason

    @property
    def drift_information(self) -> dict:
        return {"StackDriftStatus": "NOT_CHECKED"}

    def add_event(self, logical_id, physical_id, type_name, status, reason=None, properties=None):
        """Record a stack event (and send it to the stack's notification topics)."""
        event = Event(self, logical_id, physical_id, type_name, status, reason, properties)
        self.events.append(event)
        return event

    def stack_event(self, status: str, reason: str | None = None) -> None:
        """An event of the stack itself, which also sets its status."""
        self.status = status
        self.status_reason = reason
        self.add_event(self.name, self.stack_id, "AWS::CloudFormation::Stack", status, reason)


class ChangeSet:
    """A change set: a preview of what executing it would do to its stack."""

    def __init__(self, backend, stack: Stack, name: str, change_set_type: str, request: dict):
        self.change_set_name = name
        self.change_set_id = (
            f"arn:aws:cloudformation:{backend.region_name}:{backend.account_id}:changeSet/"
            f"{name}/{uuid.uuid4()}"
        )
        self.change_set_type = change_set_type
        self.stack = stack
        self.stack_id = stack.stack_id
        self.stack_name = stack.name
        self.description = request.get("description")
        self.request = request
        self.template = ""
        self.template_dict: dict = {}
        self.processed: dict = {}
        self.parameters: dict = {}
        self.changes: list[dict] = []
        self.status = "CREATE_PENDING"
        self.status_reason: str | None = None
        self.execution_status = "UNAVAILABLE"
        self.creation_time = now()

    def summary(self) -> dict:
        """As ``ListChangeSets`` lists it."""
        found = {
            "StackId": self.stack_id,
            "StackName": self.stack_name,
            "ChangeSetId": self.change_set_id,
            "ChangeSetName": self.change_set_name,
            "ExecutionStatus": self.execution_status,
            "Status": self.status,
            "CreationTime": self.creation_time,
            "IncludeNestedStacks": False,
        }
        for key, value in (("StatusReason", self.status_reason), ("Description", self.description)):
            if value:
                found[key] = value
        return found

    def answer(self) -> dict:
        """As ``DescribeChangeSet`` answers it."""
        found = {
            **self.summary(),
            "Parameters": templates.shown_parameters(self.template_dict, self.parameters) or None,
            "NotificationARNs": self.request.get("notification_arns") or [],
            "Capabilities": self.request.get("capabilities") or [],
            "Tags": [{"Key": k, "Value": v} for k, v in (self.request.get("tags") or {}).items()],
            "Changes": self.changes,
        }
        return {key: value for key, value in found.items() if value is not None}
