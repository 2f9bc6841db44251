"""AWS managed policies, such as ``AWSLambdaRole``, ready to attach as in a real account."""

from __future__ import annotations

import os


def apply() -> None:
    """AWS accounts come with AWS managed policies such as ``AWSLambdaRole`` ready to attach.

    moto loads them only when ``MOTO_IAM_LOAD_MANAGED_POLICIES`` is set before IAM starts.
    """
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
