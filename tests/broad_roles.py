"""A role for tests that are not about IAM: the emulator enforces IAM as AWS does, so a state
machine's role must exist, Step Functions must be allowed to assume it, and it must allow what
the state machine calls. This one may be assumed by every service the tests use and may do
anything, like the broad roles of the AWS accounts the conformance cases were recorded in.
(IAM itself is tested with least-privilege roles in test_iam_authorization.py.)
"""

from __future__ import annotations

import json

import boto3

SERVICES = [
    "states.amazonaws.com",
    "lambda.amazonaws.com",
    "events.amazonaws.com",
    "apigateway.amazonaws.com",
    "scheduler.amazonaws.com",
]
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": SERVICES}, "Action": "sts:AssumeRole"}
    ],
}
EVERYTHING = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def role(name: str = "tests-may-do-anything") -> str:
    """The ARN of role ``name`` (created if missing) that may do anything."""
    iam = boto3.client("iam")
    try:
        return iam.get_role(RoleName=name)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"][
            "Arn"
        ]
        iam.put_role_policy(
            RoleName=name, PolicyName="everything", PolicyDocument=json.dumps(EVERYTHING)
        )
        return arn
