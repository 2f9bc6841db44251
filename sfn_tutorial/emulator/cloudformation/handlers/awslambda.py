"""Lambda: functions, permissions, versions, aliases and event source mappings.

A function's ``Code`` is its zip in S3 (``S3Bucket``/``S3Key``, what packaging uploads) or, for
a Python or Node.js runtime, inline ``ZipFile`` text, which CloudFormation zips as
``index.py`` (``index.js``). Its handler really runs when it is invoked, as any function's.
"""

from __future__ import annotations

import io
import time
import zipfile

from sfn_tutorial.emulator.cloudformation.handlers import (
    Handler,
    HandlerError,
    Made,
    Request,
    user_tags,
    while_role_spreads,
)

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
    settings = {key: props[key] for key in SETTINGS if key in props}
    for key in ("Runtime", "Handler", "Role", "PackageType", "Architectures"):
        if key in props:
            settings[key] = props[key]
    return settings


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


class Function(Handler):
    type_name = "AWS::Lambda::Function"

    def create(self, request: Request) -> Made:
        client = request.client("lambda")
        props = request.properties
        name = request.name("FunctionName", 64)
        while_role_spreads(
            client.create_function,
            FunctionName=name,
            Code=_code(props),
            Tags=user_tags(request.tags()),
            **_settings(props),
        )
        if "ReservedConcurrentExecutions" in props:
            client.put_function_concurrency(
                FunctionName=name,
                ReservedConcurrentExecutions=int(props["ReservedConcurrentExecutions"]),
            )
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
        if "ReservedConcurrentExecutions" in props:
            client.put_function_concurrency(
                FunctionName=name,
                ReservedConcurrentExecutions=int(props["ReservedConcurrentExecutions"]),
            )
        elif "ReservedConcurrentExecutions" in old:
            client.delete_function_concurrency(FunctionName=name)
        config = _wait_until_ready(client, name)
        arn = config["FunctionArn"]
        tags = user_tags(request.tags())
        current = client.list_tags(Resource=arn).get("Tags", {})
        gone = [key for key in current if key not in tags and not key.startswith("aws:")]
        if gone:
            client.untag_resource(Resource=arn, TagKeys=gone)
        if tags:
            client.tag_resource(Resource=arn, Tags=tags)
        return _function_made(config)

    def delete(self, request: Request, made: Made) -> None:
        client = request.client("lambda")
        try:
            client.delete_function(FunctionName=made.physical_id)
        except client.exceptions.ResourceNotFoundException:
            pass


class Permission(Handler):
    """A statement of the function's resource policy (every property is create-only)."""

    type_name = "AWS::Lambda::Permission"

    def create(self, request: Request) -> Made:
        client = request.client("lambda")
        props = request.properties
        statement_id = request.physical_name(100)
        options = {
            key: props[key]
            for key in (
                "SourceArn",
                "SourceAccount",
                "EventSourceToken",
                "PrincipalOrgID",
                "FunctionUrlAuthType",
            )
            if key in props
        }
        client.add_permission(
            FunctionName=props["FunctionName"],
            StatementId=statement_id,
            Action=props["Action"],
            Principal=props["Principal"],
            **options,
        )
        return Made(statement_id, {"Id": statement_id})

    def delete(self, request: Request, made: Made) -> None:
        client = request.client("lambda")
        try:
            client.remove_permission(
                FunctionName=request.properties["FunctionName"], StatementId=made.physical_id
            )
        except client.exceptions.ResourceNotFoundException:
            pass


class Version(Handler):
    """A published version; a change publishes a new one (and CloudFormation keeps none of
    the old ones it replaced)."""

    type_name = "AWS::Lambda::Version"

    def create(self, request: Request) -> Made:
        client = request.client("lambda")
        props = request.properties
        options = {k: props[k] for k in ("Description", "CodeSha256") if k in props}
        _wait_until_ready(client, props["FunctionName"])
        version = client.publish_version(FunctionName=props["FunctionName"], **options)
        return Made(
            version["FunctionArn"],
            {"Version": version["Version"], "FunctionArn": version["FunctionArn"]},
        )

    def delete(self, request: Request, made: Made) -> None:
        client = request.client("lambda")
        try:
            client.delete_function(
                FunctionName=request.properties["FunctionName"],
                Qualifier=made.attributes["Version"],
            )
        except (client.exceptions.ResourceNotFoundException, client.exceptions.ClientError):
            pass


class Alias(Handler):
    type_name = "AWS::Lambda::Alias"

    def create(self, request: Request) -> Made:
        client = request.client("lambda")
        props = request.properties
        options = {k: props[k] for k in ("Description", "RoutingConfig") if k in props}
        alias = client.create_alias(
            FunctionName=props["FunctionName"],
            Name=props["Name"],
            FunctionVersion=str(props["FunctionVersion"]),
            **options,
        )
        return Made(alias["AliasArn"], {"AliasArn": alias["AliasArn"]})

    def update(self, request: Request) -> Made:
        client = request.client("lambda")
        props = request.properties
        options = {k: props[k] for k in ("Description", "RoutingConfig") if k in props}
        alias = client.update_alias(
            FunctionName=props["FunctionName"],
            Name=props["Name"],
            FunctionVersion=str(props["FunctionVersion"]),
            **options,
        )
        return Made(alias["AliasArn"], {"AliasArn": alias["AliasArn"]})

    def delete(self, request: Request, made: Made) -> None:
        client = request.client("lambda")
        try:
            client.delete_alias(
                FunctionName=request.properties["FunctionName"], Name=request.properties["Name"]
            )
        except client.exceptions.ResourceNotFoundException:
            pass


MAPPING_SETTINGS = (
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


class EventSourceMapping(Handler):
    type_name = "AWS::Lambda::EventSourceMapping"

    def create(self, request: Request) -> Made:
        client = request.client("lambda")
        props = request.properties
        options = {k: props[k] for k in (*MAPPING_SETTINGS, "StartingPosition") if k in props}
        mapping = client.create_event_source_mapping(
            FunctionName=props["FunctionName"], EventSourceArn=props["EventSourceArn"], **options
        )
        return Made(mapping["UUID"], {"Id": mapping["UUID"]})

    def update(self, request: Request) -> Made:
        client = request.client("lambda")
        props = request.properties
        options = {k: props[k] for k in MAPPING_SETTINGS if k in props}
        client.update_event_source_mapping(
            UUID=request.previous.physical_id, FunctionName=props["FunctionName"], **options
        )
        return request.previous

    def delete(self, request: Request, made: Made) -> None:
        client = request.client("lambda")
        try:
            client.delete_event_source_mapping(UUID=made.physical_id)
        except client.exceptions.ResourceNotFoundException:
            pass


class EventInvokeConfig(Handler):
    """How Lambda retries an asynchronous invocation, and where it sends the outcome."""

    type_name = "AWS::Lambda::EventInvokeConfig"

    def create(self, request: Request) -> Made:
        client = request.client("lambda")
        props = request.properties
        options = {
            key: props[key]
            for key in ("MaximumEventAgeInSeconds", "MaximumRetryAttempts", "DestinationConfig")
            if key in props
        }
        qualifier = str(props.get("Qualifier", "$LATEST"))
        client.put_function_event_invoke_config(
            FunctionName=props["FunctionName"], Qualifier=qualifier, **options
        )
        return Made(f"{props['FunctionName']}|{qualifier}")

    def update(self, request: Request) -> Made:
        return self.create(request)

    def delete(self, request: Request, made: Made) -> None:
        client = request.client("lambda")
        try:
            client.delete_function_event_invoke_config(
                FunctionName=request.properties["FunctionName"],
                Qualifier=str(request.properties.get("Qualifier", "$LATEST")),
            )
        except client.exceptions.ResourceNotFoundException:
            pass


HANDLERS = [Function(), Permission(), Version(), Alias(), EventSourceMapping(), EventInvokeConfig()]
