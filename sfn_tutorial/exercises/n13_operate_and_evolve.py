"""Notebook 13, operating a workflow (``13_operate_and_evolve.ipynb``): the checks of
``13-rollback``, ``13-redrive`` and ``13-alarm``."""

from __future__ import annotations

import boto3
from botocore.exceptions import ClientError

from sfn_tutorial import executions
from sfn_tutorial.exercises.checking import (
    WAIT_S,
    Wrong,
    ended,
    exercise,
    newest_execution,
    state_machine,
)
from sfn_tutorial.i18n import t
from sfn_tutorial.resources import TAG_KEY, TAG_VALUE, resource_name

FULFILMENT = "Fulfilment"
LIVE_ALIAS = "live"


@exercise("13-rollback")
def alias_rolled_back() -> str:
    """``Fulfilment:live`` routes 100 % to version 1, and its newest execution ran version 1."""
    name, arn, _ = state_machine(FULFILMENT, "run the notebook's cells from the top first.")
    sfn = boto3.client("stepfunctions")
    alias = f"{arn}:{LIVE_ALIAS}"
    try:
        routing = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)[
            "routingConfiguration"
        ]
    except ClientError as error:
        raise Wrong(
            t(
                "{name} has no alias {LIVE_ALIAS}: run the notebook's cells first.",
                name=name,
                LIVE_ALIAS=LIVE_ALIAS,
            )
        ) from error
    shares = {route["stateMachineVersionArn"]: route["weight"] for route in routing}
    if shares != {f"{arn}:1": 100}:
        shown = ", ".join(f"v{key.rsplit(':', 1)[1]} {value} %" for key, value in shares.items())
        raise Wrong(
            t(
                "{LIVE_ALIAS} routes {shown}: update it with "
                'routingConfiguration=[{{"stateMachineVersionArn": v1_arn, "weight": 100}}].',
                LIVE_ALIAS=LIVE_ALIAS,
                shown=shown,
            )
        )
    newest = newest_execution(
        alias, alias, 'start one through the alias with {"TransactionType": "PURCHASE"}.'
    )
    if newest.get("stateMachineVersionArn") != f"{arn}:1":
        raise Wrong(
            t(
                "The newest execution started through {LIVE_ALIAS} ran version {version}: start "
                "one more now that the alias routes to version 1.",
                LIVE_ALIAS=LIVE_ALIAS,
                version=newest.get("stateMachineVersionArn", "?").rsplit(":", 1)[1],
            )
        )
    return t(
        "✅ {LIVE_ALIAS} routes every execution to version 1 again, and the newest one ran it.",
        LIVE_ALIAS=LIVE_ALIAS,
    )


@exercise("13-redrive")
def own_order_redriven() -> str:
    """Fulfilment's newest execution named ``my-order-...`` failed, was redriven and
    succeeded, with ``ProcessPurchase`` entered once."""
    name, arn, _ = state_machine(FULFILMENT, "run the notebook's cells from the top first.")
    pages = (
        boto3.client("stepfunctions").get_paginator("list_executions").paginate(stateMachineArn=arn)
    )
    mine = [
        item for page in pages for item in page["executions"] if item["name"].startswith("my-order")
    ]
    if not mine:
        raise Wrong(
            t(
                "{name} has no execution named my-order-...: start one with "
                'name=f"my-order-{{int(time.time())}}" while the warehouse is broken.',
                name=name,
            )
        )
    newest = max(mine, key=lambda item: item["startDate"])
    execution = executions.wait_for_execution(newest["executionArn"], timeout_s=WAIT_S)
    if execution.get("redriveCount", 0) < 1:
        raise Wrong(
            t(
                "{name} ended {ending} and was never redriven: break the warehouse before "
                "starting it, then fix it and call sfn.redrive_execution.",
                name=newest["name"],
                ending=ended(execution),
            )
        )
    if execution["status"] != "SUCCEEDED":
        raise Wrong(
            t(
                "{name} was redriven but ended {ending}: fix the warehouse (set_warehouse(...) "
                "with the working address) and redrive it again.",
                name=newest["name"],
                ending=ended(execution),
            )
        )
    events = executions.execution_history(newest["executionArn"])
    purchases = [
        event
        for event in events
        if event["type"] == "TaskStateEntered"
        and event["stateEnteredEventDetails"]["name"] == "ProcessPurchase"
    ]
    if len(purchases) != 1:
        raise Wrong(
            t(
                "ProcessPurchase ran {count} times in {name}: redrive the execution instead of "
                "starting a new one.",
                count=len(purchases),
                name=newest["name"],
            )
        )
    return t(
        "✅ Your newest my-order execution failed at ConfirmOrder, was redriven after the "
        "fix and succeeded, with ProcessPurchase run once."
    )


@exercise("13-alarm")
def function_errors_alarm() -> str:
    """``sfn-tutorial-confirm-errors``: Sum of ConfirmOrder's ``Errors`` per minute, at least
    1 in one period, missing data not breaching, notifying the tutorial's ``alerts`` topic."""
    alarm_name = resource_name("confirm-errors")
    found = boto3.client("cloudwatch").describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"]
    if not found:
        raise Wrong(
            t(
                "There is no alarm {alarm_name} yet: create it with put_metric_alarm.",
                alarm_name=alarm_name,
            )
        )
    alarm = found[0]
    function = resource_name("ConfirmOrder")
    expected = {
        "Namespace": "AWS/Lambda",
        "MetricName": "Errors",
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
    }
    for field, value in expected.items():
        if alarm.get(field) != value:
            raise Wrong(
                t(
                    "{alarm_name} has {field} {found!r}: it should be {value!r}.",
                    alarm_name=alarm_name,
                    field=field,
                    found=alarm.get(field),
                    value=value,
                )
            )
    dimensions = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
    if dimensions != {"FunctionName": function}:
        raise Wrong(
            t(
                '{alarm_name} watches dimensions {dimensions}: give exactly [{{"Name": '
                '"FunctionName", "Value": "{function}"}}].',
                alarm_name=alarm_name,
                dimensions=dimensions,
                function=function,
            )
        )
    if not any(action.endswith(":" + resource_name("alerts")) for action in alarm["AlarmActions"]):
        raise Wrong(
            t(
                "{alarm_name} notifies {actions}: add topic_arn as an action.",
                alarm_name=alarm_name,
                actions=alarm["AlarmActions"],
            )
        )
    tags = boto3.client("cloudwatch").list_tags_for_resource(ResourceARN=alarm["AlarmArn"])
    if {"Key": TAG_KEY, "Value": TAG_VALUE} not in tags.get("Tags", []):
        raise Wrong(
            t("{alarm_name} is not tagged: add Tags=helpers.tags('Key').", alarm_name=alarm_name)
        )
    return t(
        "✅ {alarm_name} watches {function}'s errors every minute and notifies the alerts topic.",
        alarm_name=alarm_name,
        function=function,
    )
