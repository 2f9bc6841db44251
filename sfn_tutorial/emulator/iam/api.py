"""Where moto's IAM answers differently from IAM, fixed and named.

``apply()`` is called once, in the emulator process; ``tests/test_iam_api.py`` checks each fix
against the running emulator.
"""

from __future__ import annotations

import threading

_inline = threading.local()


def apply() -> None:
    """Make moto's IAM accept what IAM accepts."""
    inline_policies_may_omit_the_version()


def inline_policies_may_omit_the_version() -> None:
    """``PutRolePolicy`` (and ``PutUserPolicy``, ``PutGroupPolicy``) accept a policy without
    ``Version``: IAM reads it as the 2008-10-17 version of the policy language (which takes
    policy variables literally). SAM writes its policy templates' statements that way.
    A managed policy (``CreatePolicy``) still needs ``"Version": "2012-10-17"``, as in IAM:
    "Policy document must be version 2012-10-17 or greater."

    moto asks every policy for the 2012-10-17 version.
    """
    from moto.iam.models import IAMBackend
    from moto.iam.policy_validation import BaseIAMPolicyValidator

    check_version = BaseIAMPolicyValidator._validate_version

    def _validate_version(self):
        if getattr(_inline, "policy", False) and "Version" not in self._policy_json:
            return
        check_version(self)

    BaseIAMPolicyValidator._validate_version = _validate_version
    for name in ("put_role_policy", "put_user_policy", "put_group_policy"):
        _as_inline(IAMBackend, name)


def _as_inline(cls, name: str) -> None:
    original = getattr(cls, name)

    def put_inline_policy(self, *args, **kwargs):
        _inline.policy = True
        try:
            return original(self, *args, **kwargs)
        finally:
            _inline.policy = False

    setattr(cls, name, put_inline_policy)
