"""EventBridge: rules (with their targets) and event buses; EventBridge Scheduler: schedules
and schedule groups.

A rule's ``Ref`` is its name, or ``{bus}|{rule}`` for a rule on another bus than the default
one, as CloudFormation answers it.
"""

from __future__ import annotations

import json
from contextlib import suppress

from sfn_tutorial.emulator.cloudformation.handlers import (
    Handler,
    Made,
    Request,
    as_json,
)
from sfn_tutorial.emulator.cloudformation.handlers.arguments import given
from sfn_tutorial.emulator.cloudformation.handlers.deleting import delete_by_id

TARGET_FIELDS = (
    "Id",
    "Arn",
    "RoleArn",
    "Input",
    "InputPath",
    "InputTransformer",
    "SqsParameters",
    "DeadLetterConfig",
    "RetryPolicy",
    "HttpParameters",
    "EcsParameters",
    "KinesisParameters",
    "RunCommandParameters",
    "BatchParameters",
    "SageMakerPipelineParameters",
    "AppSyncParameters",
    "RedshiftDataParameters",
)


def _bus_name(value: str | None) -> str:
    """A bus given by name or ARN, as its name."""
    return (value or "default").rsplit("/", 1)[-1]


class Rule(Handler):
    type_name = "AWS::Events::Rule"

    def create(self, request: Request) -> Made:
        name = request.name("Name", 64)
        return self._put(request, name)

    def update(self, request: Request) -> Made:
        if request.properties.get("Name") and request.properties.get("Name") != (
            request.previous_properties or {}
        ).get("Name"):
            return self.create(request)
        return self._put(request, request.previous.attributes["Name"])

    def _put(self, request: Request, name: str) -> Made:
        events = request.client("events")
        props = request.properties
        bus = _bus_name(props.get("EventBusName"))
        rule = {"Name": name, "State": props.get("State", "ENABLED"), "EventBusName": bus}
        rule.update(given(props, ("Description", "ScheduleExpression", "RoleArn")))
        if "EventPattern" in props:
            rule["EventPattern"] = as_json(props["EventPattern"])
        arn = events.put_rule(Tags=request.user_tag_list(), **rule)["RuleArn"]
        existing = events.list_targets_by_rule(Rule=name, EventBusName=bus)["Targets"]
        wanted = [_target(target) for target in props.get("Targets") or []]
        stale = [t["Id"] for t in existing if t["Id"] not in {w["Id"] for w in wanted}]
        if stale:
            events.remove_targets(Rule=name, EventBusName=bus, Ids=stale)
        if wanted:
            events.put_targets(Rule=name, EventBusName=bus, Targets=wanted)
        ref = name if bus == "default" else f"{bus}|{name}"
        return Made(ref, {"Arn": arn, "Name": name})

    def delete(self, request: Request, made: Made) -> None:
        events = request.client("events")
        name = made.attributes["Name"]
        bus = _bus_name(request.properties.get("EventBusName"))
        with suppress(events.exceptions.ResourceNotFoundException):
            targets = events.list_targets_by_rule(Rule=name, EventBusName=bus)["Targets"]
            if targets:
                events.remove_targets(Rule=name, EventBusName=bus, Ids=[t["Id"] for t in targets])
            events.delete_rule(Name=name, EventBusName=bus)


def _target(target: dict) -> dict:
    found = given(target, TARGET_FIELDS)
    if isinstance(found.get("Input"), dict):
        found["Input"] = json.dumps(found["Input"])
    return found


class EventBus(Handler):
    type_name = "AWS::Events::EventBus"
    delete = delete_by_id("events", "delete_event_bus", "Name")

    def create(self, request: Request) -> Made:
        events = request.client("events")
        props = request.properties
        arn = events.create_event_bus(
            Name=props["Name"],
            Tags=request.user_tag_list(),
            **given(props, ("EventSourceName", "Description")),
        )["EventBusArn"]
        if props.get("Policy"):
            events.put_permission(EventBusName=props["Name"], Policy=as_json(props["Policy"]))
        return Made(
            props["Name"], {"Arn": arn, "Name": props["Name"], "Policy": props.get("Policy")}
        )

    def update(self, request: Request) -> Made:
        return request.previous


class ScheduleGroup(Handler):
    type_name = "AWS::Scheduler::ScheduleGroup"
    delete = delete_by_id("scheduler", "delete_schedule_group", "Name")

    def create(self, request: Request) -> Made:
        scheduler = request.client("scheduler")
        name = request.name("Name", 64)
        arn = scheduler.create_schedule_group(Name=name, Tags=request.user_tag_list())[
            "ScheduleGroupArn"
        ]
        return Made(name, {"Arn": arn, "State": "ACTIVE"})

    def update(self, request: Request) -> Made:
        return request.previous


class Schedule(Handler):
    type_name = "AWS::Scheduler::Schedule"
    FIELDS = (
        "GroupName",
        "ScheduleExpressionTimezone",
        "Description",
        "State",
        "StartDate",
        "EndDate",
        "KmsKeyArn",
        "ActionAfterCompletion",
    )

    def create(self, request: Request) -> Made:
        name = request.name("Name", 64)
        scheduler = request.client("scheduler")
        arn = scheduler.create_schedule(Name=name, **self._fields(request))["ScheduleArn"]
        return Made(name, {"Arn": arn})

    def update(self, request: Request) -> Made:
        scheduler = request.client("scheduler")
        scheduler.update_schedule(Name=request.previous.physical_id, **self._fields(request))
        return request.previous

    def _fields(self, request: Request) -> dict:
        props = request.properties
        target = dict(props["Target"])
        if isinstance(target.get("Input"), dict):
            target["Input"] = json.dumps(target["Input"])
        return {
            "ScheduleExpression": props["ScheduleExpression"],
            "FlexibleTimeWindow": props.get("FlexibleTimeWindow") or {"Mode": "OFF"},
            "Target": target,
            **given(props, self.FIELDS),
        }

    def delete(self, request: Request, made: Made) -> None:
        scheduler = request.client("scheduler")
        group = request.properties.get("GroupName") or "default"
        with suppress(scheduler.exceptions.ResourceNotFoundException):
            scheduler.delete_schedule(Name=made.physical_id, GroupName=group)


HANDLERS = [Rule(), EventBus(), ScheduleGroup(), Schedule()]
