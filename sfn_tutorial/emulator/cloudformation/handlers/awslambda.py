"""Lambda: functions, permissions, versions, aliases and event source mappings.

A function's ``Code`` is its zip in S3 (``S3Bucket``/``S3Key``, what packaging uploads) or, for
a Python or Node.js runtime, inline ``ZipFile`` text, which CloudFormation zips as
``index.py`` (``index.js``). Its handler really runs when it is invoked, as any function's.
"""

from __future__ import annotations

import io
import time
import zipfile
from contextlib import suppress

from sfn_tutorial.emulator.cloudformation.handlers import (
    Handler,
    HandlerError,
    Made,
    Request,
    while_role_spreads,
)
from sfn_tutorial.emulator.cloudformation.handlers.arguments import given
from sfn_tutorial.emulator.cloudformation.handlers.deleting import delete_by_id

SETTINGS = (
    "Description",
    "Environment",
    "MemorySize",
    "Timeout",
    "Layers",
    "TracingConfig",
    "DeadLetterConfig",
    "KMSKeyArn",
    "EphemeralStorage",
    "LoggingConfig",
    "VpcConfig",
    "FileSystemConfigs",
    "ImageConfig",
    "SnapStart",
)
READY_TIMEOUT_S = 120


def _code(props: dict) -> dict:
    code = dict(props.get("Code") or {})
    if "ZipFile" in code:
        runtime = props.get("Runtime", "")
        name = "index.js" if runtime.startswith("nodejs") else "index.py"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, code.pop("ZipFile"))
        code["ZipFile"] = buffer.getvalue()
    return code


def _settings(props: dict) -> dict:
    return given(props, (*SETTINGS, "Runtime", "Handler", "Role", "PackageType", "Architectures"))


def _wait_until_ready(client, name: str) -> dict:
    """CloudFormation reports a function complete once Lambda says it is Active and not
    being updated."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        config = client.get_function_configuration(FunctionName=name)
        if config.get("State", "Active") == "Failed":
            raise HandlerError(config.get("StateReason", "The function failed to become Active"))
        ready = config.get("State", "Active") == "Active"
        if ready and config.get("LastUpdateStatus", "Successful") != "InProgress":
            return config
        if time.monotonic() > deadline:
            raise HandlerError(f"Function {name} did not become Active in time")
        time.sleep(0.25)


def _function_made(config: dict) -> Made:
    return Made(config["FunctionName"], {"Arn": config["FunctionArn"]})


def _concurrency(client, name: str, props: dict, old: dict) -> None:
    """The function's reserved concurrency as the template says: set, or removed when the
    template no longer gives it."""
    if "ReservedConcurrentExecutions" in props:
        client.put_function_concurrency(
            FunctionName=name,
            ReservedConcurrentExecutions=int(props["ReservedConcurrentExecutions"]),
        )
    elif "ReservedConcurrentExecutions" in old:
        client.delete_function_concurrency(FunctionName=name)


class Function(Handler):
    type_name = "AWS::Lambda::Function"
    delete = delete_by_id("lambda", "delete_function", "FunctionName")

    def create(self, request: Request) -> Made:
        client = request.client("lambda")
        props = request.properties
        name = request.name("FunctionName", 64)
        while_role_spreads(
            client.create_function,
            FunctionName=name,
            Code=_code(props),
            Tags=request.user_tags(),
            **_settings(props),
        )
        _concurrency(client, name, props, {})
        return _function_made(_wait_until_ready(client, name))

    def update(self, request: Request) -> Made:
        client = request.client("lambda")
        props, old = request.properties, request.previous_properties or {}
        name = request.previous.physical_id
        if props.get("Code") != old.get("Code"):
            client.update_function_code(FunctionName=name, **_code(props))
            _wait_until_ready(client, name)
        settings = _settings(props)
        settings.pop("PackageType", None)
        settings.pop("Architectures", None)
        for key in SETTINGS:
            if key in old and key not in props and key in ("Description", "Environment"):
                settings[key] = "" if key == "Description" else {"Variables": {}}
        while_role_spreads(client.update_function_configuration, FunctionName=name, **settings)
        _concurrency(client, name, props, old)
        config = _wait_until_ready(client, name)
        arn = config["FunctionArn"]
        tags = request.user_tags()
        current = client.list_tags(Resource=arn).get("Tags", {})
        gone = [key for key in current if key not in tags and not key.startswith("aws:")]
        if gone:
            client.untag_resource(Resource=arn, TagKeys=gone)
        if tags:
            client.tag_resource(Resource=arn, Tags=tags)
        return _function_made(config)


class Permission(Handler):
    """A statement of the function's resource policy (every property is create-only)."""

    type_name = "AWS::Lambda::Permission"
    FIELDS = (
        "SourceArn",
        "SourceAccount",
        "EventSourceToken",
        "PrincipalOrgID",
        "FunctionUrlAuthType",
    )

    def create(self, request: Request) -> Made:
        client = request.client("lambda")
        props = request.properties
        statement_id = request.physical_name(100)
        client.add_permission(
            FunctionName=props["FunctionName"],
            StatementId=statement_id,
            Action=props["Action"],
            Principal=props["Principal"],
            **given(props, self.FIELDS),
        )
        return Made(statement_id, {"Id": statement_id})

    def delete(self, request: Request, made: Made) -> None:
        client = request.client("lambda")
        with suppress(client.exceptions.ResourceNotFoundException):
            client.remove_permission(
                FunctionName=request.properties["FunctionName"], StatementId=made.physical_id
            )


class Version(Handler):
    """A published version; a change publishes a new one (and CloudFormation keeps none of
    the old ones it replaced)."""

    type_name = "AWS::Lambda::Version"

    def create(self, request: Request) -> Made:
        client = request.client("lambda")
        props = request.properties
        _wait_until_ready(client, props["FunctionName"])
        version = client.publish_version(
            FunctionName=props["FunctionName"], **given(props, ("Description", "CodeSha256"))
        )
        return Made(
            version["FunctionArn"],
            {"Version": version["Version"], "FunctionArn": version["FunctionArn"]},
        )

    def delete(self, request: Request, made: Made) -> None:
        client = request.client("lambda")
        with suppress(client.exceptions.ResourceNotFoundException, client.exceptions.ClientError):
            client.delete_function(
                FunctionName=request.properties["FunctionName"],
                Qualifier=made.attributes["Version"],
            )


class Alias(Handler):
    type_name = "AWS::Lambda::Alias"

    def create(self, request: Request) -> Made:
        return self._put(request.client("lambda").create_alias, request.properties)

    def update(self, request: Request) -> Made:
        return self._put(request.client("lambda").update_alias, request.properties)

    def _put(self, call, props: dict) -> Made:
        """The alias made or changed by ``call``, which both take the same arguments."""
        alias = call(
            FunctionName=props["FunctionName"],
            Name=props["Name"],
            FunctionVersion=str(props["FunctionVersion"]),
            **given(props, ("Description", "RoutingConfig")),
        )
        return Made(alias["AliasArn"], {"AliasArn": alias["AliasArn"]})

    def delete(self, request: Request, made: Made) -> None:
        client = request.client("lambda")
        with suppress(client.exceptions.ResourceNotFoundException):
            client.delete_alias(
                FunctionName=request.properties["FunctionName"], Name=request.properties["Name"]
            )


class EventSourceMapping(Handler):
    type_name = "AWS::Lambda::EventSourceMapping"
    FIELDS = (
        "BatchSize",
        "Enabled",
        "MaximumBatchingWindowInSeconds",
        "FilterCriteria",
        "FunctionResponseTypes",
        "ScalingConfig",
        "MaximumRetryAttempts",
        "MaximumRecordAgeInSeconds",
        "BisectBatchOnFunctionError",
        "DestinationConfig",
        "ParallelizationFactor",
    )
    delete = delete_by_id("lambda", "delete_event_source_mapping", "UUID")

    def create(self, request: Request) -> Made:
        props = request.properties
        mapping = request.client("lambda").create_event_source_mapping(
            FunctionName=props["FunctionName"],
            EventSourceArn=props["EventSourceArn"],
            **given(props, (*self.FIELDS, "StartingPosition")),
        )
        return Made(mapping["UUID"], {"Id": mapping["UUID"]})

    def update(self, request: Request) -> Made:
        props = request.properties
        request.client("lambda").update_event_source_mapping(
            UUID=request.previous.physical_id,
            FunctionName=props["FunctionName"],
            **given(props, self.FIELDS),
        )
        return request.previous


class EventInvokeConfig(Handler):
    """How Lambda retries an asynchronous invocation, and where it sends the outcome."""

    type_name = "AWS::Lambda::EventInvokeConfig"

    def create(self, request: Request) -> Made:
        props = request.properties
        target = self._target(props)
        names = ("MaximumEventAgeInSeconds", "MaximumRetryAttempts", "DestinationConfig")
        request.client("lambda").put_function_event_invoke_config(**target, **given(props, names))
        return Made(f"{target['FunctionName']}|{target['Qualifier']}")

    def _target(self, props: dict) -> dict:
        """The function and the version or alias the configuration is for."""
        return {
            "FunctionName": props["FunctionName"],
            "Qualifier": str(props.get("Qualifier", "$LATEST")),
        }

    def delete(self, request: Request, made: Made) -> None:
        client = request.client("lambda")
        with suppress(client.exceptions.ResourceNotFoundException):
            client.delete_function_event_invoke_config(**self._target(request.properties))


HANDLERS = [Function(), Permission(), Version(), Alias(), EventSourceMapping(), EventInvokeConfig()]
