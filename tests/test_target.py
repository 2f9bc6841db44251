"""The target switch: local by default, AWS only when asked, never AWS with dummy credentials."""

import os

import boto3
import pytest

from sfn_tutorial import target


@pytest.fixture
def clean_environment(monkeypatch):
    """Keep each test's changes to os.environ out of the others."""
    for name in list(os.environ):
        if name.startswith("AWS_") or name == "TUTORIAL_TARGET":
            monkeypatch.setenv(name, os.environ[name])
    yield monkeypatch
    boto3.DEFAULT_SESSION = None


def test_local_is_the_default(clean_environment):
    clean_environment.delenv("TUTORIAL_TARGET", raising=False)
    assert target.chosen_target() == "local"


def test_unknown_target_is_refused_with_advice(clean_environment):
    clean_environment.setenv("TUTORIAL_TARGET", "prod")
    with pytest.raises(target.TargetError, match="Unknown target 'prod'.*'local'.*'aws'"):
        target.chosen_target()


def test_local_connect_points_plain_boto3_at_the_emulator(clean_environment):
    connected = target.connect("local", progress=lambda message: None)
    assert connected.is_local and connected.region == "ap-northeast-2"
    assert os.environ["AWS_ENDPOINT_URL"] == connected.endpoint_url
    client = boto3.client("stepfunctions")
    assert client.meta.endpoint_url == connected.endpoint_url
    assert client.meta.region_name == "ap-northeast-2"
    assert "No AWS account is used" in connected.banner()


def test_local_start_sync_execution_works_with_a_plain_client(clean_environment, emulator):
    import json

    from sfn_tutorial import resources

    target.connect("local", progress=lambda message: None)
    sfn = boto3.client("stepfunctions")
    role = resources.ensure_workflows_role()
    arn = sfn.create_state_machine(
        name=resources.resource_name("sync-hello"),
        definition=json.dumps({"StartAt": "Hi", "States": {"Hi": {"Type": "Pass", "End": True}}}),
        roleArn=role,
        type="EXPRESS",
    )["stateMachineArn"]
    result = sfn.start_sync_execution(stateMachineArn=arn, input='{"a": 1}')
    assert (result["status"], json.loads(result["output"])) == ("SUCCEEDED", {"a": 1})


def test_aws_without_credentials_refuses_and_never_falls_back(clean_environment, tmp_path):
    target.connect("local", progress=lambda message: None)  # leaves dummy credentials behind
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        clean_environment.delenv(name, raising=False)
    clean_environment.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    clean_environment.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    clean_environment.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(target.TargetError, match="no AWS credentials were found"):
        target.connect("aws")
    assert "AWS_ENDPOINT_URL" not in os.environ  # the local endpoint is not kept for AWS
    assert "AWS_DISABLE_HOST_PREFIX_INJECTION" not in os.environ
    assert os.environ.get("AWS_ACCESS_KEY_ID") != "testing"


def test_aws_banner_warns_that_resources_are_created():
    banner = target.Target("aws", "eu-west-1", "210987654321").banner()
    assert "210987654321" in banner and "CREATE real resources" in banner
    assert "99_clean_up.ipynb" in banner
