"""S3 buckets and bucket policies, DynamoDB tables, CloudWatch Logs log groups, SSM
parameters and KMS keys and aliases.

A bucket's ``NotificationConfiguration`` is put with ``PutBucketNotificationConfiguration``;
with ``EventBridgeConfiguration`` the bucket sends its events to EventBridge. Deleting a
bucket that still holds objects fails, as it does on AWS (the stack's delete fails with S3's
message): empty it first.
"""

from __future__ import annotations

from sfn_tutorial.emulator.cloudformation.handlers import (
    Handler,
    HandlerError,
    Made,
    Request,
    as_json,
    tag_list,
)
from sfn_tutorial.emulator.cloudformation.handlers.arguments import given, lower_camel
from sfn_tutorial.emulator.cloudformation.handlers.deleting import delete_by_id


class Bucket(Handler):
    type_name = "AWS::S3::Bucket"

    def create(self, request: Request) -> Made:
        s3 = request.client("s3")
        name = request.name("BucketName", 63, lower=True)
        options = {}
        if request.region != "us-east-1":
            options["CreateBucketConfiguration"] = {"LocationConstraint": request.region}
        try:
            s3.create_bucket(Bucket=name, **options)
        except s3.exceptions.BucketAlreadyOwnedByYou:
            raise HandlerError(f"{name} already exists", "AlreadyExists") from None
        self._configure(request, name)
        return self._made(request, name)

    def update(self, request: Request) -> Made:
        name = request.previous.physical_id
        self._configure(request, name)
        return self._made(request, name)

    def _configure(self, request: Request, name: str) -> None:
        s3 = request.client("s3")
        props = request.properties
        tags = request.user_tags()
        if tags:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_list(tags)})
        for key, (call, argument, shaped) in BUCKET_SETTINGS.items():
            if key in props:
                getattr(s3, call)(Bucket=name, **{argument: shaped(props[key])})

    def _made(self, request: Request, name: str) -> Made:
        region = request.region
        return Made(
            name,
            {
                "Arn": f"arn:aws:s3:::{name}",
                "DomainName": f"{name}.s3.amazonaws.com",
                "RegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
                "DualStackDomainName": f"{name}.s3.dualstack.{region}.amazonaws.com",
                "WebsiteURL": f"http://{name}.s3-website.{region}.amazonaws.com",
            },
        )

    def delete(self, request: Request, made: Made) -> None:
        s3 = request.client("s3")
        try:
            s3.delete_bucket(Bucket=made.physical_id)
        except s3.exceptions.NoSuchBucket:
            pass  # gone already: deleting it is done
        except s3.exceptions.ClientError as error:
            message = error.response["Error"]["Message"]
            raise HandlerError(message, "GeneralServiceException") from None


def _notifications(config: dict) -> dict:
    """The template's notification configuration in the API's shape."""
    found = {}
    if config.get("EventBridgeConfiguration", {}).get("EventBridgeEnabled") in (True, "true"):
        found["EventBridgeConfiguration"] = {}
    for key, target, arn_key in (
        ("LambdaConfigurations", "LambdaFunctionConfigurations", "Function"),
        ("QueueConfigurations", "QueueConfigurations", "Queue"),
        ("TopicConfigurations", "TopicConfigurations", "Topic"),
    ):
        items = []
        for item in config.get(key) or []:
            entry = {
                {"Function": "LambdaFunctionArn", "Queue": "QueueArn", "Topic": "TopicArn"}[
                    arn_key
                ]: item[arn_key],
                "Events": [item["Event"]],
            }
            if "Filter" in item:
                rules = item["Filter"].get("S3Key", {}).get("Rules", [])
                entry["Filter"] = {"Key": {"FilterRules": rules}}
            items.append(entry)
        if items:
            found[target] = items
    return found


BUCKET_SETTINGS = {  # property: the call that puts it, its argument and its value as S3's
    "VersioningConfiguration": (
        "put_bucket_versioning",
        "VersioningConfiguration",
        lambda versioning: {"Status": versioning["Status"]},
    ),
    "NotificationConfiguration": (
        "put_bucket_notification_configuration",
        "NotificationConfiguration",
        _notifications,
    ),
    "CorsConfiguration": (
        "put_bucket_cors",
        "CORSConfiguration",
        lambda cors: {"CORSRules": cors["CorsRules"]},
    ),
    "PublicAccessBlockConfiguration": (
        "put_public_access_block",
        "PublicAccessBlockConfiguration",
        lambda block: block,
    ),
}


class BucketPolicy(Handler):
    type_name = "AWS::S3::BucketPolicy"
    delete = delete_by_id("s3", "delete_bucket_policy", "Bucket", missing="ClientError")

    def create(self, request: Request) -> Made:
        s3 = request.client("s3")
        bucket = request.properties["Bucket"]
        s3.put_bucket_policy(Bucket=bucket, Policy=as_json(request.properties["PolicyDocument"]))
        return Made(bucket)


class Table(Handler):
    type_name = "AWS::DynamoDB::Table"
    FIELDS = (
        "AttributeDefinitions",
        "KeySchema",
        "LocalSecondaryIndexes",
        "GlobalSecondaryIndexes",
        "BillingMode",
        "ProvisionedThroughput",
        "StreamSpecification",
        "SSESpecification",
        "TableClass",
        "DeletionProtectionEnabled",
    )
    delete = delete_by_id("dynamodb", "delete_table", "TableName")

    def create(self, request: Request) -> Made:
        dynamodb = request.client("dynamodb")
        props = request.properties
        fields = given(props, self.FIELDS)
        fields.setdefault("BillingMode", "PROVISIONED")
        if "SSESpecification" in fields:
            fields["SSESpecification"] = {
                "Enabled": bool(fields["SSESpecification"].get("SSEEnabled", False))
            }
        name = request.name("TableName", 255)
        tags = request.user_tag_list()
        table = dynamodb.create_table(TableName=name, **fields, **({"Tags": tags} if tags else {}))[
            "TableDescription"
        ]
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        dynamodb.get_waiter("table_exists").wait(
            TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
        )
        return self._made(table)

    def update(self, request: Request) -> Made:
        dynamodb = request.client("dynamodb")
        props, old = request.properties, request.previous_properties or {}
        name = request.previous.physical_id
        changes = {}
        for key in ("BillingMode", "ProvisionedThroughput", "StreamSpecification"):
            if props.get(key) != old.get(key) and key in props:
                changes[key] = props[key]
        if changes:
            dynamodb.update_table(TableName=name, **changes)
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl != old.get("TimeToLiveSpecification"):
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        return self._made(dynamodb.describe_table(TableName=name)["Table"])

    def _made(self, table: dict) -> Made:
        attributes = {"Arn": table["TableArn"]}
        if table.get("LatestStreamArn"):
            attributes["StreamArn"] = table["LatestStreamArn"]
        return Made(table["TableName"], attributes)


class LogGroup(Handler):
    type_name = "AWS::Logs::LogGroup"
    delete = delete_by_id("logs", "delete_log_group", "logGroupName")

    def create(self, request: Request) -> Made:
        logs = request.client("logs")
        name = request.name("LogGroupName", 512)
        options = lower_camel(given(request.properties, ("KmsKeyId",)))
        try:
            logs.create_log_group(logGroupName=name, tags=request.user_tags(), **options)
        except logs.exceptions.ResourceAlreadyExistsException:
            raise HandlerError(
                f"Resource of type 'AWS::Logs::LogGroup' with identifier '{name}' already exists.",
                "AlreadyExists",
            ) from None
        return self._configure(request, name)

    def update(self, request: Request) -> Made:
        return self._configure(request, request.previous.physical_id)

    def _configure(self, request: Request, name: str) -> Made:
        logs = request.client("logs")
        days = request.properties.get("RetentionInDays")
        if days:
            logs.put_retention_policy(logGroupName=name, retentionInDays=int(days))
        elif request.previous_properties and request.previous_properties.get("RetentionInDays"):
            logs.delete_retention_policy(logGroupName=name)
        groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        arn = next(group["arn"] for group in groups if group["logGroupName"] == name)
        return Made(name, {"Arn": arn if arn.endswith(":*") else arn + ":*"})


class Parameter(Handler):
    type_name = "AWS::SSM::Parameter"
    delete = delete_by_id("ssm", "delete_parameter", "Name", missing="ParameterNotFound")

    def create(self, request: Request) -> Made:
        ssm = request.client("ssm")
        props = request.properties
        suffix = request.physical_name(13, with_stack=False).rsplit("-", 1)[1]
        name = props.get("Name") or f"CFN-{request.logical_id}-{suffix}"
        self._put(request, name, overwrite=False)
        tags = request.user_tags()
        if tags:
            ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=tag_list(tags))
        return Made(name, {"Type": props["Type"], "Value": props["Value"]})

    def update(self, request: Request) -> Made:
        self._put(request, request.previous.physical_id, overwrite=True)
        props = request.properties
        return Made(request.previous.physical_id, {"Type": props["Type"], "Value": props["Value"]})

    def _put(self, request: Request, name: str, overwrite: bool) -> None:
        props = request.properties
        request.client("ssm").put_parameter(
            Name=name,
            Value=str(props["Value"]),
            Type=props["Type"],
            Overwrite=overwrite,
            **given(props, ("Description", "AllowedPattern", "Tier")),
        )


class Key(Handler):
    type_name = "AWS::KMS::Key"

    def create(self, request: Request) -> Made:
        kms = request.client("kms")
        props = request.properties
        options = given(props, ("Description", "KeyUsage", "KeySpec"))
        if "KeyPolicy" in props:
            options["Policy"] = as_json(props["KeyPolicy"])
        key = kms.create_key(Tags=request.user_tag_list("TagKey", "TagValue"), **options)[
            "KeyMetadata"
        ]
        if props.get("EnableKeyRotation") in (True, "true"):
            kms.enable_key_rotation(KeyId=key["KeyId"])
        return Made(key["KeyId"], {"Arn": key["Arn"], "KeyId": key["KeyId"]})

    def update(self, request: Request) -> Made:
        return request.previous

    def delete(self, request: Request, made: Made) -> None:
        kms = request.client("kms")
        days = int(request.properties.get("PendingWindowInDays", 30))
        kms.schedule_key_deletion(KeyId=made.physical_id, PendingWindowInDays=days)


class KeyAlias(Handler):
    type_name = "AWS::KMS::Alias"
    delete = delete_by_id("kms", "delete_alias", "AliasName", missing="NotFoundException")

    def create(self, request: Request) -> Made:
        request.client("kms").create_alias(**self._names(request.properties))
        return Made(request.properties["AliasName"])

    def update(self, request: Request) -> Made:
        request.client("kms").update_alias(**self._names(request.properties))
        return request.previous

    def _names(self, props: dict) -> dict:
        """The alias and the key it points to, as creating and changing it both name them."""
        return {"AliasName": props["AliasName"], "TargetKeyId": props["TargetKeyId"]}


HANDLERS = [Bucket(), BucketPolicy(), Table(), LogGroup(), Parameter(), Key(), KeyAlias()]
