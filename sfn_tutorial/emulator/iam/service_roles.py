"""Can an AWS service act with a role? The checks EventBridge and API Gateway make before they
call Step Functions for you.

AWS refuses such a call when the role does not exist, when its trust policy does not let the
service (``events.amazonaws.com``, ``apigateway.amazonaws.com``) assume it, or when none of its
policies allows the action on the resource (or one denies it). ``refusal()`` tells why, using
moto's own IAM data and its policy evaluator.
"""

from __future__ import annotations

import functools
import json


def find_role(role_arn: str):
    """moto's IAM role with this ARN, or ``None``."""
    from moto.iam.models import iam_backends

    account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
    try:
        return iam_backends[account]["aws"].get_role_by_arn(role_arn)
    except Exception:  # NoSuchEntity, or no IAM backend for that account yet
        return None


def trusts(role, service: str) -> bool:
    """Does the role's trust policy allow ``service`` to call ``sts:AssumeRole``?"""
    document = role.assume_role_policy_document
    policy = json.loads(document) if isinstance(document, str) else document
    statements = policy.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        principals = statement.get("Principal", {})
        services = principals.get("Service", []) if isinstance(principals, dict) else []
        services = [services] if isinstance(services, str) else services
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if (
            statement.get("Effect") == "Allow"
            and any(is_principal(name, service) for name in services)
            and any(action in ("sts:AssumeRole", "sts:*", "*") for action in actions)
        ):
            return True
    return False


def is_principal(name: str, service: str) -> bool:
    """Does a trust policy's ``Service`` name the service: its global principal
    (``states.amazonaws.com``) or a regional one (``states.eu-west-1.amazonaws.com``)?"""
    if name == service:
        return True
    head, _, tail = service.partition(".")
    return name.startswith(head + ".") and name.endswith("." + tail) and name.count(".") == 3


def named_policies(role) -> list[tuple[str, str, str]]:
    """``(name, policy simulator's type, document)`` for each of the role's inline policies and
    its managed policies' default versions."""
    found = [
        (name, "role", json.dumps(doc) if isinstance(doc, dict) else doc)
        for name, doc in role.policies.items()
    ]
    for arn, policy in role.managed_policies.items():
        kind = "aws-managed" if ":aws:policy/" in arn else "user-managed"
        for version in policy.versions:
            if version.is_default:
                found.append((policy.name, kind, version.document))
    return found


def policy_documents(role) -> list[str]:
    """The role's inline policy documents and its managed policies' default versions."""
    return [document for _, _, document in named_policies(role)]


def allows(role, action: str, resource: str) -> bool:
    """Do the role's policies allow ``action`` on ``resource``, with no explicit deny?"""
    from moto.iam.access_control import PermissionResult

    allowed = False
    for document in policy_documents(role):
        result = evaluate(document, action, resource)
        if result == PermissionResult.DENIED:
            return False
        allowed = allowed or result == PermissionResult.PERMITTED
    return allowed


def evaluate(document: str, action: str, resource: str):
    """moto's evaluator (``IAMPolicy``) on one policy document; actions are compared without
    regard to case, as IAM compares them (``SNS:Publish`` is ``sns:publish``)."""
    return _policy(document).is_action_permitted(action.lower(), resource)


@functools.lru_cache(maxsize=512)
def _policy(document: str):
    """moto's ``IAMPolicy`` for a document, its actions lower-cased (kept: documents repeat).

    A statement with a ``Condition`` is left out: the emulator knows no request's context keys,
    so its condition is never met and IAM would not apply it (moto's evaluator would read an
    unmet condition as an explicit deny)."""
    from moto.iam.access_control import IAMPolicy

    policy = json.loads(document)
    statements = policy.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    statements = [statement for statement in statements if "Condition" not in statement]
    policy["Statement"] = statements
    for statement in statements:
        for key in ("Action", "NotAction"):
            value = statement.get(key)
            if isinstance(value, str):
                statement[key] = value.lower()
            elif isinstance(value, list):
                statement[key] = [item.lower() for item in value]
    return IAMPolicy(json.dumps(policy))


def refusal(role_arn: str | None, service: str, action: str, resource: str) -> str | None:
    """Why ``service``, acting with ``role_arn``, may not do ``action`` on ``resource``; ``None``
    if it may. The reason reads like the message AWS logs for the failed call."""
    if not role_arn:
        return f"No role given for {service} to assume."
    role = find_role(role_arn)
    if role is None:
        return f"The role {role_arn} does not exist."
    if not trusts(role, service):
        return f"{service} is not authorized to assume the role {role_arn}."
    if not allows(role, action, resource):
        assumed = f"arn:aws:sts::{role.account_id}:assumed-role/{role.name}/{service}"
        return f"User: {assumed} is not authorized to perform: {action} on resource: {resource}"
    return None
