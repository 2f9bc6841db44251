"""Notebook 05, triggers (``05_triggers.ipynb``): the checks of ``05-rule`` and ``05-route``."""

from __future__ import annotations

import boto3

from sfn_tutorial.exercises.checking import Wrong, exercise, pattern_matches
from sfn_tutorial.i18n import t
from sfn_tutorial.resources import (
    STATE_MACHINE,
    TAG_KEY,
    TAG_VALUE,
    find_state_machine_arn,
    resource_name,
)


@exercise("05-rule")
def refunds_rule_matches_refunds_only() -> str:
    """Rule ``sfn-tutorial-refunds-rule`` matches REFUND transactions and not PURCHASE ones,
    is tagged, and starts the blog's machine with the event's ``detail``."""
    name = resource_name("refunds-rule")
    events = boto3.client("events")
    try:
        rule = events.describe_rule(Name=name)
    except events.exceptions.ResourceNotFoundException as error:
        raise Wrong(
            t(
                "There is no rule {name} yet: create it with events.put_rule, as the notebook "
                "created sfn-tutorial-transactions-rule.",
                name=name,
            )
        ) from error
    pattern = rule.get("EventPattern")
    if not pattern:
        raise Wrong(
            t("{name} has no EventPattern: give it one, as the notebook's rule has.", name=name)
        )
    if not pattern_matches(pattern, "REFUND"):
        raise Wrong(
            t(
                "{name}'s pattern {pattern} does not match a REFUND Transaction event.",
                name=name,
                pattern=pattern,
            )
        )
    if pattern_matches(pattern, "PURCHASE"):
        raise Wrong(
            t(
                '{name}\'s pattern {pattern} also matches PURCHASE transactions: add "detail": '
                '{{"TransactionType": ["REFUND"]}}.',
                name=name,
                pattern=pattern,
            )
        )
    if rule.get("State") != "ENABLED":
        raise Wrong(
            t(
                "{name} is {state}: enable it (events.enable_rule).",
                name=name,
                state=rule.get("State"),
            )
        )
    rule_tags = events.list_tags_for_resource(ResourceARN=rule["Arn"])["Tags"]
    if {"Key": TAG_KEY, "Value": TAG_VALUE} not in rule_tags:
        raise Wrong(
            t(
                "{name} is not tagged {TAG_KEY}={TAG_VALUE}, so 99_clean_up would leave it "
                "behind: put_rule it again with Tags=helpers.tags('Key').",
                name=name,
                TAG_KEY=TAG_KEY,
                TAG_VALUE=TAG_VALUE,
            )
        )
    machine = find_state_machine_arn(STATE_MACHINE)
    targets = events.list_targets_by_rule(Rule=name)["Targets"]
    chosen = next((t for t in targets if t["Arn"] == machine), None)
    if chosen is None:
        raise Wrong(
            t(
                "{name} has no target {STATE_MACHINE}: add one with events.put_targets.",
                name=name,
                STATE_MACHINE=STATE_MACHINE,
            )
        )
    if not chosen.get("RoleArn"):
        raise Wrong(
            t("{name}'s target has no RoleArn: EventBridge needs events_role_arn.", name=name)
        )
    if chosen.get("InputPath") != "$.detail":
        raise Wrong(
            t(
                '{name}\'s target does not pass only the detail: add "InputPath": "$.detail".',
                name=name,
            )
        )
    return t(
        "✅ {name} matches REFUND transactions only, and starts {STATE_MACHINE} with the detail.",
        name=name,
        STATE_MACHINE=STATE_MACHINE,
    )


@exercise("05-route")
def refunds_route_starts_executions() -> str:
    """The HTTP API has a route ``POST /refunds`` whose integration starts the blog's machine."""
    name = resource_name("transactions-http")
    apigw = boto3.client("apigatewayv2")
    apis = [api for api in apigw.get_apis()["Items"] if api["Name"] == name]
    if not apis:
        raise Wrong(
            t(
                "There is no HTTP API {name}: run the cells of 'API Gateway, way 1' first.",
                name=name,
            )
        )
    api_id = max(apis, key=lambda api: api["CreatedDate"])["ApiId"]
    routes = apigw.get_routes(ApiId=api_id)["Items"]
    route = next((r for r in routes if r["RouteKey"] == "POST /refunds"), None)
    if route is None:
        keys = ", ".join(sorted(r["RouteKey"] for r in routes))
        raise Wrong(
            t(
                "{name} has the routes {keys} but no POST /refunds: add it (create_route).",
                name=name,
                keys=keys,
            )
        )
    if not route.get("Target", "").startswith("integrations/"):
        raise Wrong(t("POST /refunds has no integration: give it Target=f'integrations/{{...}}'."))
    integration = apigw.get_integration(ApiId=api_id, IntegrationId=route["Target"].split("/")[1])
    starts = integration.get("RequestParameters", {}).get("StateMachineArn")
    if integration.get("IntegrationSubtype") != "StepFunctions-StartExecution" or (
        starts != find_state_machine_arn(STATE_MACHINE)
    ):
        raise Wrong(
            t(
                "POST /refunds's integration does not start executions of {STATE_MACHINE}: use "
                "integration_id, the integration of POST /transactions.",
                STATE_MACHINE=STATE_MACHINE,
            )
        )
    return t(
        "✅ POST /refunds on {name} starts executions of {STATE_MACHINE}.",
        name=name,
        STATE_MACHINE=STATE_MACHINE,
    )
