"""Templates to stacks, on either target: package, validate, deploy with a change set, read back.

* ``package``: what ``sam package`` (and ``aws cloudformation package``) do: each local file or
  folder a template names (a function's ``CodeUri``, the one ``Globals`` gives every function, a
  state machine's ``DefinitionUri``, an ``AWS::Include`` snippet...) is uploaded to S3, a
  folder zipped first, under the MD5 of its content, and the template rewritten to point there.
* ``lint``: ``cfn-lint``, the linter ``sam validate --lint`` runs, for the target's region.
* ``deploy``: what ``aws cloudformation deploy`` does, step by step: a change set (``CREATE`` for
  a new stack, ``UPDATE`` otherwise), its changes, then its execution, waiting with boto3's
  waiters.
* ``changes_table``, ``events_table``, ``resources_table``, ``outputs``: readable answers.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

import boto3

from sfn_tutorial import resources
from sfn_tutorial.i18n import t
from sfn_tutorial.tables import Table

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = PROJECT_ROOT / "template.yaml"
DEFINITIONS_DIR = PROJECT_ROOT / "statemachine"
WAIT = {"Delay": 2, "MaxAttempts": 300}  # poll every 2 s, for up to 10 minutes

# Resource type -> (property, how the uploaded location is written, zip a folder?)
# as the AWS CLI's `cloudformation package` lists them.
PACKAGEABLE = {
    "AWS::Serverless::Function": [("CodeUri", "uri", True)],
    "AWS::Serverless::LayerVersion": [("ContentUri", "uri", True)],
    "AWS::Serverless::Api": [("DefinitionUri", "bucket-key", False)],
    "AWS::Serverless::HttpApi": [("DefinitionUri", "bucket-key", False)],
    "AWS::Serverless::StateMachine": [("DefinitionUri", "bucket-key", False)],
    "AWS::Lambda::Function": [("Code", "s3bucket-s3key", True)],
    "AWS::Lambda::LayerVersion": [("Content", "s3bucket-s3key", True)],
    "AWS::StepFunctions::StateMachine": [("DefinitionS3Location", "bucket-key", False)],
    "AWS::ApiGateway::RestApi": [("BodyS3Location", "bucket-key", False)],
    "AWS::ApiGatewayV2::Api": [("BodyS3Location", "bucket-key", False)],
}


class DeployError(RuntimeError):
    """A deployment that did not succeed; the message says why, in CloudFormation's words."""


# ---------------------------------------------------------------- the template's text


def read_template(path: Path | str = TEMPLATE) -> dict:
    """A template file as a dict (YAML short forms such as ``!Ref`` become their long forms)."""
    from sfn_tutorial.emulator.cloudformation import templates  # the same reading rules

    return templates.parse(Path(path).read_text())


def workspace() -> Path:
    """A working copy of the project's stack (``template.yaml``, ``statemachine/``,
    ``lambdas/``) in a new temporary folder, to change and deploy without touching the
    repository's own files; returns the folder."""
    folder = Path(tempfile.mkdtemp(prefix="sfn-tutorial-stack-"))
    shutil.copy(TEMPLATE, folder / TEMPLATE.name)
    for name in ("statemachine", "lambdas"):
        shutil.copytree(
            PROJECT_ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    return folder


# ---------------------------------------------------------------- package


def artifacts_bucket() -> str:
    """The tutorial's bucket for packaged code and definitions (created, tagged, if missing):
    ``sfn-tutorial-artifacts-{account}-{region}``."""
    session = boto3.session.Session()
    account = boto3.client("sts").get_caller_identity()["Account"]
    name = resources.resource_name(f"artifacts-{account}-{session.region_name}")
    s3 = boto3.client("s3")
    try:
        s3.head_bucket(Bucket=name)
    except s3.exceptions.ClientError:
        options = {}
        if session.region_name != "us-east-1":
            options["CreateBucketConfiguration"] = {"LocationConstraint": session.region_name}
        s3.create_bucket(Bucket=name, **options)
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": resources.tags("Key")})
    return name


def _zip_folder(folder: Path) -> bytes:
    """A folder's files in a zip with fixed timestamps: the same files, the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                info = zipfile.ZipInfo(
                    str(path.relative_to(folder)), date_time=(1980, 1, 1, 0, 0, 0)
                )
                info.external_attr = 0o644 << 16
                archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _upload(path: Path, bucket: str, prefix: str, zip_folder: bool) -> str:
    body = _zip_folder(path) if path.is_dir() else path.read_bytes()
    if path.is_dir() and not zip_folder:
        raise ValueError(f"{path} is a folder, but this property takes one file")
    key = f"{prefix}/{hashlib.md5(body).hexdigest()}" if prefix else hashlib.md5(body).hexdigest()
    s3 = boto3.client("s3")
    try:
        s3.head_object(Bucket=bucket, Key=key)  # uploaded before: the same content, the same key
    except s3.exceptions.ClientError:
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    return key


def package(
    template_path: Path | str = TEMPLATE, bucket: str | None = None, prefix: str = ""
) -> str:
    """The template at ``template_path`` with each local file or folder it names uploaded to
    ``bucket`` (the tutorial's artifacts bucket by default) and replaced by its S3 location;
    returned as JSON text, ready for ``create_change_set(TemplateBody=...)``."""
    template_path = Path(template_path)
    template = read_template(template_path)
    bucket = bucket or artifacts_bucket()
    _package_includes(template, template_path.parent, bucket, prefix)
    function_globals = (template.get("Globals") or {}).get("Function") or {}
    shared = function_globals.get("CodeUri")
    if isinstance(shared, str) and not shared.startswith("s3://"):  # as `sam package` does
        key = _upload((template_path.parent / shared).resolve(), bucket, prefix, zip_folder=True)
        function_globals["CodeUri"] = f"s3://{bucket}/{key}"
    for resource in (template.get("Resources") or {}).values():
        properties = resource.get("Properties") or {}
        for name, form, zip_folder in PACKAGEABLE.get(resource.get("Type"), []):
            value = properties.get(name)
            if not isinstance(value, str) or value.startswith("s3://"):
                continue  # already in S3, or an object (packaged, or inline)
            path = (template_path.parent / value).resolve()
            if not path.exists():
                raise FileNotFoundError(f"{resource['Type']} {name}: {path} does not exist")
            key = _upload(path, bucket, prefix, zip_folder)
            properties[name] = {
                "uri": f"s3://{bucket}/{key}",
                "bucket-key": {"Bucket": bucket, "Key": key},
                "s3bucket-s3key": {"S3Bucket": bucket, "S3Key": key},
            }[form]
    return json.dumps(template, indent=2)


def _package_includes(value, folder: Path, bucket: str, prefix: str) -> None:
    """``AWS::Include`` snippets (``Fn::Transform``) with a local ``Location``: uploaded, and
    the location rewritten to ``s3://``, as the AWS CLI does."""
    if isinstance(value, list):
        for item in value:
            _package_includes(item, folder, bucket, prefix)
        return
    if not isinstance(value, dict):
        return
    transform = value.get("Fn::Transform")
    if isinstance(transform, dict) and transform.get("Name") == "AWS::Include":
        parameters = transform.get("Parameters") or {}
        location = parameters.get("Location")
        if isinstance(location, str) and not location.startswith(("s3://", "https://")):
            key = _upload((folder / location).resolve(), bucket, prefix, zip_folder=False)
            parameters["Location"] = f"s3://{bucket}/{key}"
    for item in value.values():
        _package_includes(item, folder, bucket, prefix)


# ---------------------------------------------------------------- validate


def lint(template_text: str) -> list:
    """``cfn-lint``'s findings for a template (SAM ones included), for the target's region:
    errors and warnings, as ``sam validate --lint`` prints them."""
    from cfnlint.api import lint as cfn_lint

    region = boto3.session.Session().region_name or "us-east-1"
    return cfn_lint(template_text, regions=[region])


def findings_table(findings: list) -> Table:
    """``lint``'s findings as a table: rule, line, message."""
    rows = [[f.rule.id, f.linenumber, f.message] for f in findings]
    return Table([t("Rule"), t("Line"), t("Message")], rows, t("{count} findings", count=len(rows)))


# ---------------------------------------------------------------- deploy


def stack_status(stack_name: str) -> str | None:
    """The stack's status, or ``None`` if there is no such stack."""
    cloudformation = boto3.client("cloudformation")
    try:
        stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    except cloudformation.exceptions.ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    return stack["StackStatus"]


def create_change_set(
    stack_name: str, template_text: str, parameters=None, capabilities=(), name: str | None = None
) -> dict:
    """A change set for ``stack_name`` (``CREATE`` if the stack does not exist yet, else
    ``UPDATE``), waited for. Returns ``DescribeChangeSet``'s answer (with ``Status``
    ``FAILED`` and the reason when it found nothing to change)."""
    cloudformation = boto3.client("cloudformation")
    status = stack_status(stack_name)
    change_set_type = "CREATE" if status in (None, "REVIEW_IN_PROGRESS") else "UPDATE"
    name = name or f"{stack_name}-{time.strftime('%Y%m%d%H%M%S')}-{time.monotonic_ns() % 10**6}"
    created = cloudformation.create_change_set(
        StackName=stack_name,
        ChangeSetName=name,
        ChangeSetType=change_set_type,
        TemplateBody=template_text,
        Parameters=[
            {"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()
        ],
        Capabilities=list(capabilities),
        Tags=resources.tags("Key"),
    )
    waiter = cloudformation.get_waiter("change_set_create_complete")
    try:
        waiter.wait(ChangeSetName=created["Id"], WaiterConfig=WAIT)
    except Exception:  # FAILED: the description says why
        pass
    return cloudformation.describe_change_set(ChangeSetName=created["Id"])


def execute_change_set(change_set: dict) -> str:
    """Execute a change set and wait until its stack is done; return the stack's status
    (``DeployError`` with the failed resources' reasons if it rolled back)."""
    cloudformation = boto3.client("cloudformation")
    creating = stack_status(change_set["StackId"]) == "REVIEW_IN_PROGRESS"
    cloudformation.execute_change_set(ChangeSetName=change_set["ChangeSetId"])
    return wait_for_stack(
        change_set["StackId"], "stack_create_complete" if creating else "stack_update_complete"
    )


def wait_for_stack(stack_name: str, waiter_name: str) -> str:
    """Wait with boto3's waiter ``waiter_name``; return the status it ended in, or raise
    ``DeployError`` naming each failed resource and why."""
    cloudformation = boto3.client("cloudformation")
    try:
        cloudformation.get_waiter(waiter_name).wait(StackName=stack_name, WaiterConfig=WAIT)
    except Exception as error:
        reasons = failure_reasons(stack_name)
        raise DeployError(f"{stack_status(stack_name)}: {reasons or error}") from None
    return stack_status(stack_name) or "DELETE_COMPLETE"


def failure_reasons(stack_name: str) -> str:
    """Each failed resource of the stack's latest operation and why, one per line."""
    cloudformation = boto3.client("cloudformation")
    events = cloudformation.describe_stack_events(StackName=stack_name)["StackEvents"]
    failed = [
        f"{event['LogicalResourceId']}: {event.get('ResourceStatusReason', '')}"
        for event in reversed(events)
        if event["ResourceStatus"].endswith("_FAILED")
        and event["ResourceType"] != "AWS::CloudFormation::Stack"
    ]
    return "\n".join(failed)


def deploy(stack_name: str, template_text: str, parameters=None, capabilities=("CAPABILITY_IAM",)):
    """``aws cloudformation deploy``: a change set, executed; ``None`` if nothing changed, else
    the change set's description."""
    change_set = create_change_set(stack_name, template_text, parameters, capabilities)
    if change_set["Status"] == "FAILED":
        if "didn't contain changes" in change_set.get("StatusReason", ""):
            boto3.client("cloudformation").delete_change_set(
                ChangeSetName=change_set["ChangeSetId"]
            )
            return None
        raise DeployError(change_set.get("StatusReason", "The change set failed"))
    execute_change_set(change_set)
    return change_set


def delete_if_present(stack_name: str) -> bool:
    """Delete the stack an earlier run left, if there is one, and wait; ``True`` if there was."""
    if stack_status(stack_name) is None:
        return False
    delete_stack(stack_name)
    return True


def delete_stack(stack_name: str) -> str:
    """Delete a stack and wait until it is gone (``DeployError`` if a resource stays)."""
    cloudformation = boto3.client("cloudformation")
    stack_id = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]["StackId"]
    cloudformation.delete_stack(StackName=stack_id)
    return wait_for_stack(stack_id, "stack_delete_complete")


# ---------------------------------------------------------------- reading a stack back


def changes_table(change_set: dict) -> Table:
    """A change set's changes: action, resource, type, replacement, what changed and why."""
    rows = []
    for change in change_set.get("Changes", []):
        resource = change["ResourceChange"]
        details = [
            f"{d['Target'].get('Name', d['Target']['Attribute'])} ({d['ChangeSource']}"
            + (f": {d['CausingEntity']}" if d.get("CausingEntity") else "")
            + ")"
            for d in resource.get("Details", [])
        ]
        rows.append(
            [
                resource["Action"],
                resource["LogicalResourceId"],
                resource["ResourceType"],
                resource.get("Replacement", ""),
                ", ".join(dict.fromkeys(details)),
            ]
        )
    title = f"{change_set['ChangeSetName']}: {change_set['Status']}"
    columns = [t("Action"), t("Logical ID"), t("Type"), t("Replacement"), t("Changed")]
    return Table(columns, rows, title)


def _every(operation: str, key: str, stack_name: str) -> list[dict]:
    """Every item of CloudFormation's paginated ``operation`` on the stack, page after page."""
    pages = boto3.client("cloudformation").get_paginator(operation).paginate(StackName=stack_name)
    return [item for page in pages for item in page[key]]


def events_table(stack_name: str, since=None) -> Table:
    """The stack's events, oldest first (from ``since``, a datetime, if given)."""
    events = _every("describe_stack_events", "StackEvents", stack_name)
    rows = [
        [
            event["LogicalResourceId"],
            event["ResourceType"],
            event["ResourceStatus"],
            event.get("ResourceStatusReason", ""),
        ]
        for event in reversed(events)
        if since is None or event["Timestamp"] >= since
    ]
    columns = [t("Logical ID"), t("Type"), t("Status"), t("Reason")]
    return Table(columns, rows, t("{count} events", count=len(rows)))


def resources_table(stack_name: str) -> Table:
    """The stack's resources: logical id, type, status and the physical id each one got."""
    summaries = _every("list_stack_resources", "StackResourceSummaries", stack_name)
    rows = [
        [
            s["LogicalResourceId"],
            s["ResourceType"],
            s["ResourceStatus"],
            s.get("PhysicalResourceId", ""),
        ]
        for s in summaries
    ]
    columns = [t("Logical ID"), t("Type"), t("Status"), t("Physical ID")]
    return Table(columns, rows, t("{count} resources", count=len(rows)))


def wait_for_new_roles(stack_name: str, progress=print) -> None:
    """On the aws target, give the IAM roles the stack created or updated last
    ``resources.ROLE_SETTLE_S`` seconds to spread through AWS: a service that acts with a role
    on its own (EventBridge delivering an event) fails quietly until then, and the event is
    lost. The local target's roles work at once, so there it returns at once."""
    if not resources.on_aws():
        return
    changed = [
        summary["LastUpdatedTimestamp"]
        for summary in _every("list_stack_resources", "StackResourceSummaries", stack_name)
        if summary["ResourceType"] == "AWS::IAM::Role"
    ]
    if not changed:
        return
    age = (datetime.datetime.now(datetime.timezone.utc) - max(changed)).total_seconds()
    remaining = resources.ROLE_SETTLE_S - age
    if remaining > 0:
        progress(
            t(
                "  waiting {seconds:.0f} s: the roles {stack} has just made must spread through "
                "AWS before EventBridge can use them (this is normal right after creating them)",
                seconds=remaining,
                stack=stack_name,
            )
        )
        time.sleep(remaining)


def outputs(stack_name: str) -> dict[str, str]:
    """The stack's outputs, ``{OutputKey: OutputValue}``."""
    stack = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
