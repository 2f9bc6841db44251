"""sfn_tutorial/deployment.py: templates packaged, linted and deployed as the AWS CLI and SAM
do, on the running emulator; and stacks in the tutorial's clean-up."""

import json

import boto3
import pytest

from sfn_tutorial import aws_cli, deployment, resources


@pytest.fixture(scope="module")
def bucket(emulator):
    return deployment.artifacts_bucket()


def test_the_artifacts_bucket_is_named_and_tagged_as_the_tutorials(bucket):
    assert bucket.startswith(resources.NAME_PREFIX + "artifacts-")
    tags = boto3.client("s3").get_bucket_tagging(Bucket=bucket)["TagSet"]
    assert {"Key": resources.TAG_KEY, "Value": resources.TAG_VALUE} in tags


def test_package_uploads_each_local_path_under_its_md5_and_rewrites_the_template(bucket):
    packaged = json.loads(deployment.package(deployment.TEMPLATE, bucket))["Resources"]
    code = packaged["ProcessPurchaseFunction"]["Properties"]["CodeUri"]
    definition = packaged["TransactionsStateMachine"]["Properties"]["DefinitionUri"]
    # As the AWS CLI writes them: a function's code as an s3:// URI, a state machine's
    # definition as a bucket and key.
    assert code.startswith(f"s3://{bucket}/") and len(code.rsplit("/", 1)[1]) == 32
    assert set(definition) == {"Bucket", "Key"}
    body = boto3.client("s3").get_object(Bucket=bucket, Key=definition["Key"])["Body"].read()
    assert (
        body == deployment.PROJECT_ROOT.joinpath("statemachine/transactions.asl.json").read_bytes()
    )
    # The same content gives the same key: nothing is uploaded twice.
    again = json.loads(deployment.package(deployment.TEMPLATE, bucket))["Resources"]
    assert again["ProcessPurchaseFunction"]["Properties"]["CodeUri"] == code


def test_package_uploads_include_snippets(bucket, tmp_path):
    (tmp_path / "snippet.yaml").write_text("Type: AWS::SQS::Queue\n")
    template = {
        "Resources": {
            "Queue": {
                "Fn::Transform": {
                    "Name": "AWS::Include",
                    "Parameters": {"Location": "snippet.yaml"},
                }
            }
        }
    }
    (tmp_path / "template.json").write_text(json.dumps(template))
    packaged = json.loads(deployment.package(tmp_path / "template.json", bucket))
    location = packaged["Resources"]["Queue"]["Fn::Transform"]["Parameters"]["Location"]
    assert location.startswith(f"s3://{bucket}/")
    # CloudFormation reads the snippet from S3 and puts it in place.
    stack = deployment.deploy("deployment-include", json.dumps(packaged), capabilities=())
    assert stack["Changes"][0]["ResourceChange"]["ResourceType"] == "AWS::SQS::Queue"
    assert deployment.stack_status("deployment-include") == "CREATE_COMPLETE"


def test_lint_reports_cfn_lints_errors_for_the_region(emulator):
    assert deployment.lint(deployment.TEMPLATE.read_text()) == []
    broken = deployment.TEMPLATE.read_text().replace("MemorySize: 128", "MemorySize: 64")
    (finding,) = deployment.lint(broken)
    assert finding.rule.id == "E3034" and "64 is less than the minimum of 128" in finding.message


def test_deploy_creates_then_finds_nothing_to_change(bucket):
    packaged = deployment.package(deployment.TEMPLATE, bucket)
    first = deployment.deploy("deployment-blog", packaged)
    assert first["ChangeSetName"].startswith("deployment-blog-")
    assert deployment.stack_status("deployment-blog") == "CREATE_COMPLETE"
    assert deployment.deploy("deployment-blog", packaged) is None
    # The empty change set (FAILED: nothing to change) is not left behind.
    summaries = boto3.client("cloudformation").list_change_sets(StackName="deployment-blog")
    assert [s for s in summaries["Summaries"] if s["Status"] == "FAILED"] == []


def test_new_roles_are_waited_for_on_aws_only(emulator, monkeypatch, sleeps):
    """EventBridge loses an event it cannot deliver with a role that has not spread through
    AWS yet: on the aws target the roles a stack has just made get ROLE_SETTLE_S seconds; a
    stack without roles, or with older ones, and the local target never wait."""
    slept, said = sleeps, []
    role = {
        "Type": "AWS::IAM::Role",
        "Properties": {"AssumeRolePolicyDocument": resources.trust_policy("events.amazonaws.com")},
    }
    queue = {"Type": "AWS::SQS::Queue"}
    deployment.deploy("roles-wait", json.dumps({"Resources": {"Role": role}}))
    deployment.deploy("no-roles-wait", json.dumps({"Resources": {"Queue": queue}}))
    deployment.wait_for_new_roles("roles-wait", progress=said.append)
    assert slept == []  # the local target

    monkeypatch.setenv("TUTORIAL_TARGET", "aws")  # the endpoint stays the emulator's
    deployment.wait_for_new_roles("no-roles-wait", progress=said.append)
    assert slept == []
    deployment.wait_for_new_roles("roles-wait", progress=said.append)
    (waited,) = slept
    assert 0 < waited <= resources.ROLE_SETTLE_S and "must spread through AWS" in said[0]
    monkeypatch.setattr(resources, "ROLE_SETTLE_S", 0)  # the roles are old enough now
    deployment.wait_for_new_roles("roles-wait", progress=said.append)
    assert len(slept) == 1


def test_a_workspace_is_a_copy_the_repository_does_not_see(emulator):
    work = deployment.workspace()
    (work / "statemachine" / "transactions.asl.json").write_text("{}")
    assert (
        deployment.PROJECT_ROOT.joinpath("statemachine/transactions.asl.json").read_text() != "{}"
    )
    assert (work / "lambdas" / "ProcessPurchase" / "lambda_function.py").exists()


def test_clean_up_deletes_stacks_first_with_what_they_made(bucket):
    packaged = deployment.package(deployment.TEMPLATE, bucket)
    cloudformation = boto3.client("cloudformation")
    cloudformation.create_stack(
        StackName="sfn-tutorial-deployment-cleanup",
        TemplateBody=packaged,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
        Tags=resources.tags("Key"),
    )
    found = resources.find_tutorial_resources()
    assert found[0].kind == "CloudFormation stack"
    # The stack's tag is on what it made, so those are found too.
    assert any(r.kind == "Lambda function" and "deployment-cleanup" in r.name for r in found)
    deleted = resources.clean_up(progress=lambda message: None)
    kinds = [r.kind for r in deleted]
    stacks = kinds.count("CloudFormation stack")
    assert kinds[:stacks] == ["CloudFormation stack"] * stacks  # stacks first
    assert "sfn-tutorial-deployment-cleanup" in [r.name for r in deleted[:stacks]]
    # What the stack made went with it: nothing of it was left to delete one by one.
    assert not [r for r in deleted[stacks:] if "deployment-cleanup" in r.name]
    assert resources.find_tutorial_resources() == []


def test_the_aws_cli_is_pinned_apart_from_the_tutorial():
    pins = [line for line in aws_cli.REQUIREMENTS.read_text().splitlines() if "==" in line]
    assert pins[0].startswith("awscli==")
    assert (
        aws_cli.CLI_DIR.name == ".aws-cli" and aws_cli.CLI_DIR != deployment.PROJECT_ROOT / ".venv"
    )
