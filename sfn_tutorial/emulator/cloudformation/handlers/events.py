"""EventBridge: rules (with their targets) and event buses; EventBridge Scheduler: schedules
and schedule groups.

A rule's ``Ref`` is its name, or ``{bus}|{rule}`` for a rule on another bus than the default
one, as CloudFormation answers it.
"""

from __future__ import annotations

import json

from sfn_tutorial.emulator.cloudformation.handlers import (
    Handler,
    Made,
    Request,
    tag_list,
    user_tags,
)

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
        for key in ("Description", "ScheduleExpression", "RoleArn"):
            if key in props:
                rule[key] = props[key]
        if "EventPattern" in props:
            pattern = props["EventPattern"]
            rule["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
        arn = events.put_rule(Tags=tag_list(user_tags(request.tags())), **rule)["RuleArn"]
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
        try:
            targets = events.list_targets_by_rule(Rule=name, EventBusName=bus)["Targets"]
            if targets:
                events.remove_targets(Rule=name, EventBusName=bus, Ids=[t["Id"] for t in targets])
            events.delete_rule(Name=name, EventBusName=bus)
        except events.exceptions.ResourceNotFoundException:
            pass


def _target(target: dict) -> dict:
    found = {key: target[key] for key in TARGET_FIELDS if key in target}
    if isinstance(found.get("Input"), dict):
        found["Input"] = json.dumps(found["Input"])
    return found


class EventBus(Handler):
    type_name = "AWS::Events::EventBus"

    def create(self, request: Request) -> Made:
        events = request.client("events")
        props = request.properties
        options = {key: props[key] for key in ("EventSourceName", "Description") if key in props}
        arn = events.create_event_bus(
            Name=props["Name"], Tags=tag_list(user_tags(request.tags())), **options
        )["EventBusArn"]
        if props.get("Policy"):
            policy = props["Policy"]
            events.put_permission(
                EventBusName=props["Name"],
                Policy=policy if isinstance(policy, str) else json.dumps(policy),
            )
        return Made(
            props["Name"], {"Arn": arn, "Name": props["Name"], "Policy": props.get("Policy")}
        )

    def update(self, request: Request) -> Made:
        return request.previous

    def delete(self, request: Request, made: Made) -> None:
        events = request.client("events")
        try:
            events.delete_event_bus(Name=made.physical_id)
        except events.exceptions.ResourceNotFoundException:
            pass


class ScheduleGroup(Handler):
    type_name = "AWS::Scheduler::ScheduleGroup"

    def create(self, request: Request) -> Made:
        scheduler = request.client("scheduler")
        name = request.name("Name", 64)
        arn = scheduler.create_schedule_group(Name=name, Tags=tag_list(user_tags(request.tags())))[
            "ScheduleGroupArn"
        ]
        return Made(name, {"Arn": arn, "State": "ACTIVE"})

    def update(self, request: Request) -> Made:
        return request.previous

    def delete(self, request: Request, made: Made) -> None:
        scheduler = request.client("scheduler")
        try:
            scheduler.delete_schedule_group(Name=made.physical_id)
        except scheduler.exceptions.ResourceNotFoundException:
            pass


SCHEDULE_FIELDS = (
    "GroupName",
    "ScheduleExpressionTimezone",
    "Description",
    "State",
    "StartDate",
    "EndDate",
    "KmsKeyArn",
    "ActionAfterCompletion",
)


class Schedule(Handler):
    type_name = "AWS::Scheduler::Schedule"

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
        fields = {key: props[key] for key in SCHEDULE_FIELDS if key in props}
        target = dict(props["Target"])
        if isinstance(target.get("Input"), dict):
            target["Input"] = json.dumps(target["Input"])
        return {
            "ScheduleExpression": props["ScheduleExpression"],
            "FlexibleTimeWindow": props.get("FlexibleTimeWindow") or {"Mode": "OFF"},
            "Target": target,
            **fields,
        }

    def delete(self, request: Request, made: Made) -> None:
        scheduler = request.client("scheduler")
        group = request.properties.get("GroupName") or "default"
        try:
            scheduler.delete_schedule(Name=made.physical_id, GroupName=group)
        except scheduler.exceptions.ResourceNotFoundException:
            pass


HANDLERS = [Rule(), EventBus(), ScheduleGroup(), Schedule()]
