"""Step Functions: state machines, activities, versions and aliases.

A state machine's definition comes from ``Definition`` (an object), ``DefinitionString`` or
``DefinitionS3Location`` (a file in S3, what packaging uploads); each ``${name}`` in it that
``DefinitionSubstitutions`` names is replaced by that value in the text, as CloudFormation does
(so in a YAML file ``Seconds: ${Timeout}`` becomes a number). The
machine is created with ``CreateStateMachine``, so an invalid definition is refused as that
call refuses it, and the stack fails with Step Functions' own message.
"""

from __future__ import annotations

import json
import re

from sfn_tutorial.emulator.cloudformation import services
from sfn_tutorial.emulator.cloudformation.handlers import (
    Handler,
    HandlerError,
    Made,
    Request,
    tag_list,
    while_role_spreads,
)
from sfn_tutorial.emulator.cloudformation.handlers.arguments import given, lower_camel
from sfn_tutorial.emulator.cloudformation.handlers.deleting import delete_by_id

PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")


def definition_of(request: Request) -> str:
    """The definition the machine gets: its source, with ``DefinitionSubstitutions`` made."""
    props = request.properties
    if "Definition" in props:
        text = json.dumps(props["Definition"])
    elif "DefinitionString" in props:
        text = props["DefinitionString"]
    elif "DefinitionS3Location" in props:
        text = _from_s3(request, props["DefinitionS3Location"])  # JSON or YAML text
    else:
        raise HandlerError(
            "Properties validation failed: one of Definition, DefinitionString or "
            "DefinitionS3Location is required"
        )
    substitutions = props.get("DefinitionSubstitutions") or {}

    def substitute(match: re.Match) -> str:
        name = match.group(1)
        if name not in substitutions:
            return match.group(0)
        value = substitutions[name]
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    text = PLACEHOLDER.sub(substitute, text)
    if not text.lstrip().startswith("{"):  # a YAML file, read once its values are in
        from sfn_tutorial.emulator.cloudformation import templates

        text = json.dumps(templates.parse(text))
    return text


def _from_s3(request: Request, location: dict) -> str:
    where = f"s3://{location['Bucket']}/{location['Key']}"
    return services.s3_text(
        request.region,
        location["Bucket"],
        location["Key"],
        lambda message: HandlerError(f"The definition file {where} could not be read: {message}"),
        version=location.get("Version"),
    )


def _made(sfn, arn: str) -> Made:
    described = sfn.describe_state_machine(stateMachineArn=arn)
    return Made(
        arn,
        {
            "Arn": arn,
            "Name": described["name"],
            "StateMachineRevisionId": described.get("revisionId") or arn,
        },
    )


class StateMachine(Handler):
    type_name = "AWS::StepFunctions::StateMachine"
    delete = delete_by_id("stepfunctions", "delete_state_machine", "stateMachineArn", missing=None)

    def create(self, request: Request) -> Made:
        sfn = request.client("stepfunctions")
        props = request.properties
        arn = while_role_spreads(
            sfn.create_state_machine,
            name=request.name("StateMachineName", 80, with_stack=False),
            definition=definition_of(request),
            roleArn=props["RoleArn"],
            type=props.get("StateMachineType", "STANDARD"),
            tags=request.user_tag_list("key", "value"),
            **_configurations(props),
        )["stateMachineArn"]
        return _made(sfn, arn)

    def update(self, request: Request) -> Made:
        sfn = request.client("stepfunctions")
        arn = request.previous.physical_id
        while_role_spreads(
            sfn.update_state_machine,
            stateMachineArn=arn,
            definition=definition_of(request),
            roleArn=request.properties["RoleArn"],
            **_configurations(request.properties, updating=True),
        )
        tags = request.user_tags()
        current = sfn.list_tags_for_resource(resourceArn=arn)["tags"]
        gone = [tag["key"] for tag in current if tag["key"] not in tags]
        if gone:
            sfn.untag_resource(resourceArn=arn, tagKeys=gone)
        if tags:
            sfn.tag_resource(resourceArn=arn, tags=tag_list(tags, "key", "value"))
        return _made(sfn, arn)


def _configurations(props: dict, updating: bool = False) -> dict:
    """The template's ``LoggingConfiguration`` and ``TracingConfiguration`` in the API's
    casing (the template capitalises each key, the API does not)."""
    found = {}
    if "LoggingConfiguration" in props:
        logging = props["LoggingConfiguration"]
        found["loggingConfiguration"] = {
            "level": logging.get("Level", "OFF"),
            "includeExecutionData": bool(logging.get("IncludeExecutionData", False)),
            "destinations": [
                {
                    "cloudWatchLogsLogGroup": {
                        "logGroupArn": d["CloudWatchLogsLogGroup"]["LogGroupArn"]
                    }
                }
                for d in logging.get("Destinations") or []
            ],
        }
    elif updating:
        found["loggingConfiguration"] = {"level": "OFF", "includeExecutionData": False}
    if "TracingConfiguration" in props:
        found["tracingConfiguration"] = {
            "enabled": bool(props["TracingConfiguration"].get("Enabled", False))
        }
    return found


class Activity(Handler):
    type_name = "AWS::StepFunctions::Activity"
    delete = delete_by_id("stepfunctions", "delete_activity", "activityArn", missing=None)

    def create(self, request: Request) -> Made:
        sfn = request.client("stepfunctions")
        arn = sfn.create_activity(
            name=request.properties["Name"],
            tags=request.user_tag_list("key", "value"),
        )["activityArn"]
        return Made(arn, {"Arn": arn, "Name": request.properties["Name"]})

    def update(self, request: Request) -> Made:
        return request.previous


class StateMachineVersion(Handler):
    type_name = "AWS::StepFunctions::StateMachineVersion"
    delete = delete_by_id(
        "stepfunctions", "delete_state_machine_version", "stateMachineVersionArn", missing=None
    )

    def create(self, request: Request) -> Made:
        sfn = request.client("stepfunctions")
        props = request.properties
        options = lower_camel(given(props, ("Description",)))
        if props.get("StateMachineRevisionId"):
            options["revisionId"] = props["StateMachineRevisionId"]
        arn = sfn.publish_state_machine_version(
            stateMachineArn=props["StateMachineArn"], **options
        )["stateMachineVersionArn"]
        return Made(arn, {"Arn": arn})


class StateMachineAlias(Handler):
    type_name = "AWS::StepFunctions::StateMachineAlias"
    delete = delete_by_id(
        "stepfunctions", "delete_state_machine_alias", "stateMachineAliasArn", missing=None
    )

    def create(self, request: Request) -> Made:
        arn = request.client("stepfunctions").create_state_machine_alias(
            name=request.name("Name", 80, with_stack=False), **_alias_settings(request.properties)
        )["stateMachineAliasArn"]
        return Made(arn, {"Arn": arn})

    def update(self, request: Request) -> Made:
        request.client("stepfunctions").update_state_machine_alias(
            stateMachineAliasArn=request.previous.physical_id,
            **_alias_settings(request.properties),
        )
        return request.previous


def _alias_settings(props: dict) -> dict:
    """What creating and changing an alias both set: its routing and its description."""
    return {
        "routingConfiguration": _routing(props),
        **lower_camel(given(props, ("Description",))),
    }


def _routing(props: dict) -> list[dict]:
    if props.get("RoutingConfiguration"):
        return [
            {"stateMachineVersionArn": r["StateMachineVersionArn"], "weight": int(r["Weight"])}
            for r in props["RoutingConfiguration"]
        ]
    deployment = props.get("DeploymentPreference") or {}
    return [{"stateMachineVersionArn": deployment["StateMachineVersionArn"], "weight": 100}]


HANDLERS = [StateMachine(), Activity(), StateMachineVersion(), StateMachineAlias()]
