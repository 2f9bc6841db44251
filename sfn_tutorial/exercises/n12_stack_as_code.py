"""Notebook 12, stack as code (``12_stack_as_code.ipynb``): the checks of ``12-default`` and
``12-trigger``."""

from __future__ import annotations

import json

import boto3
from botocore.exceptions import ClientError

from sfn_tutorial.exercises.checking import Wrong, exercise
from sfn_tutorial.i18n import t
from sfn_tutorial.resources import BLOG_STACK


@exercise("12-default")
def stack_choice_has_a_default() -> str:
    """Stack ``sfn-tutorial-blog-stack`` was updated so that its state machine's Choice has a
    ``Default`` to a Fail state: in the definition the stack deploys (the file its processed
    template names in S3) and in the machine Step Functions runs."""
    stack = _stack(BLOG_STACK, "run the notebook's cells from the top: they deploy it.")
    if not stack["StackStatus"].startswith("UPDATE_COMPLETE"):
        raise Wrong(
            t(
                "{BLOG_STACK} is {status}: execute a change set that updates it (an "
                "UPDATE_ROLLBACK means the update failed: read helpers.stack_events).",
                BLOG_STACK=BLOG_STACK,
                status=stack["StackStatus"],
            )
        )
    arn = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}.get(
        "StateMachineArn"
    )
    if arn is None:
        raise Wrong(
            t(
                "{BLOG_STACK} has no StateMachineArn output: keep the template's Outputs.",
                BLOG_STACK=BLOG_STACK,
            )
        )
    deployed = _stack_definition(BLOG_STACK)
    for where, definition in (
        (t("the definition file the stack deploys"), deployed),
        (t("the state machine Step Functions runs"), _definition_of(arn)),
    ):
        states = definition.get("States", {})
        choice = states.get(definition.get("StartAt"), {})
        default = choice.get("Default")
        if choice.get("Type") != "Choice" or default is None:
            raise Wrong(
                t(
                    "The Choice state in {where} has no Default: add one in the workspace's "
                    "statemachine/transactions.asl.json, package, then create and execute a change "
                    "set.",
                    where=where,
                )
            )
        if states.get(default, {}).get("Type") != "Fail":
            raise Wrong(
                t(
                    "The Default in {where} goes to {default!r}, which is not a Fail state.",
                    where=where,
                    default=default,
                )
            )
    return t(
        "✅ {BLOG_STACK} deploys a Choice whose Default is the Fail state {default}, and "
        "Step Functions runs that same definition.",
        BLOG_STACK=BLOG_STACK,
        default=default,
    )


@exercise("12-trigger")
def stack_has_an_hourly_trigger() -> str:
    """Stack ``sfn-tutorial-blog-stack`` has an EventBridge rule with a schedule that starts its
    state machine with a PURCHASE."""
    stack = _stack(BLOG_STACK, "run the notebook's cells from the top: they deploy it.")
    arn = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}.get(
        "StateMachineArn"
    )
    cloudformation, events = boto3.client("cloudformation"), boto3.client("events")
    summaries = cloudformation.list_stack_resources(StackName=BLOG_STACK)["StackResourceSummaries"]
    rules = [
        s["PhysicalResourceId"]
        for s in summaries
        if s["ResourceType"] == "AWS::Events::Rule" and s["ResourceStatus"].endswith("COMPLETE")
    ]
    for rule in rules:
        described = events.describe_rule(Name=rule.split("|")[-1])
        if not described.get("ScheduleExpression"):
            continue
        targets = events.list_targets_by_rule(Rule=described["Name"])["Targets"]
        for found in targets:
            if found["Arn"] == arn and "PURCHASE" in found.get("Input", ""):
                return t(
                    "✅ {BLOG_STACK} has the rule {name}, {schedule}, which starts its "
                    "state machine with {input}.",
                    BLOG_STACK=BLOG_STACK,
                    name=described["Name"],
                    schedule=described["ScheduleExpression"],
                    input=found["Input"],
                )
        raise Wrong(
            t(
                "The scheduled rule {name} does not start the stack's state machine with "
                '{{"TransactionType": "PURCHASE"}}: give its event an Input.',
                name=described["Name"],
            )
        )
    raise Wrong(
        t(
            "{BLOG_STACK} has no scheduled EventBridge rule yet: add an event of Type "
            "Schedule to the state machine in the workspace's template.yaml, then deploy it "
            "with a change set.",
            BLOG_STACK=BLOG_STACK,
        )
    )


def _stack(name: str, hint: str) -> dict:
    """``DescribeStacks`` of a stack that exists."""
    cloudformation = boto3.client("cloudformation")
    try:
        return cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as error:
        if "does not exist" in str(error):
            raise Wrong(t("There is no stack {name}: {hint}", name=name, hint=hint)) from None
        raise


def _stack_definition(name: str) -> dict:
    """The state machine definition a stack deploys: the file its processed template's
    ``DefinitionS3Location`` names (as it stands before substitutions)."""
    processed = boto3.client("cloudformation").get_template(
        StackName=name, TemplateStage="Processed"
    )["TemplateBody"]
    template = processed if isinstance(processed, dict) else json.loads(processed)
    machines = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"
    ]
    properties = machines[0]["Properties"] if machines else {}
    if "DefinitionS3Location" in properties:
        location = properties["DefinitionS3Location"]
        body = boto3.client("s3").get_object(Bucket=location["Bucket"], Key=location["Key"])
        return json.loads(body["Body"].read())
    if "DefinitionString" in properties and isinstance(properties["DefinitionString"], str):
        return json.loads(properties["DefinitionString"])
    return properties.get("Definition") or {}


def _definition_of(state_machine_arn: str) -> dict:
    described = boto3.client("stepfunctions").describe_state_machine(
        stateMachineArn=state_machine_arn
    )
    return json.loads(described["definition"])
