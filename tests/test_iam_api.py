"""sfn_tutorial/emulator/iam/api.py: what IAM accepts, checked on the running emulator."""

import json

import boto3
import policies
import pytest

TRUST = policies.trust("states.amazonaws.com")
NO_VERSION = {"Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}


def test_an_inline_policy_may_omit_the_version(emulator):
    # IAM reads a policy without Version as the 2008-10-17 language (SAM's policy templates
    # are written so).
    iam = boto3.client("iam")
    iam.create_role(RoleName="iam-api-inline", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(
        RoleName="iam-api-inline", PolicyName="send", PolicyDocument=json.dumps(NO_VERSION)
    )
    stored = iam.get_role_policy(RoleName="iam-api-inline", PolicyName="send")["PolicyDocument"]
    assert stored == NO_VERSION


def test_a_managed_policy_still_needs_the_2012_version(emulator):
    iam = boto3.client("iam")
    with pytest.raises(iam.exceptions.MalformedPolicyDocumentException) as refused:
        iam.create_policy(PolicyName="iam-api-managed", PolicyDocument=json.dumps(NO_VERSION))
    assert refused.value.response["Error"]["Message"] == (
        "Policy document must be version 2012-10-17 or greater."
    )
