"""IAM's one policy evaluator on the local target, and the checks a service makes before it acts
with a role for you.

``evaluate`` decides one policy document for a request: moto's evaluator (``IAMPolicy``),
extended where moto's rules differ from IAM's (actions compared without case, ``NotResource``,
service principals, and ``Condition`` blocks decided by ``conditions.holds``, a statement whose
condition does not hold being skipped). ``verdict`` combines a role's policies; the request check
(``authorization.decision``), the policy simulator and the services below all use it.

A service (EventBridge for a rule, Scheduler for a schedule, API Gateway for an API, Step
Functions for a state machine, Lambda for a function) may act with a role only when the role
exists, its trust policy lets the service assume it *for that resource* (``trusts``, with the
resource's ``aws:SourceArn`` and ``aws:SourceAccount``: ``source_context``), and its policies
allow the action on the target (and none denies it). ``refusal()`` tells why not.
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


def trusts(role, service: str, context: dict | None = None) -> bool:
    """Does the role's trust policy allow ``service`` to call ``sts:AssumeRole``, with the
    request's context keys (``source_context``: the account and resource the service acts for)
    meeting its statements' conditions?"""
    from moto.iam.access_control import PermissionResult

    document = role.assume_role_policy_document
    document = document if isinstance(document, str) else json.dumps(document)
    result = evaluate(document, "sts:AssumeRole", role.arn, context, principal=service)
    return result == PermissionResult.PERMITTED


def source_context(source_arn: str | None) -> dict:
    """The context keys a service's ``sts:AssumeRole`` carries when it acts for one of your
    resources: ``aws:SourceArn`` (the resource) and ``aws:SourceAccount`` (its owner). A trust
    policy's conditions on them are what keeps the service from being a confused deputy."""
    if not source_arn:
        return {}
    parts = source_arn.split(":")
    context = {"aws:SourceArn": source_arn}
    if len(parts) > 4 and parts[4]:
        context["aws:SourceAccount"] = parts[4]
    return context


def principal_context(role) -> dict:
    """The context keys of every call a role's session makes (``aws:PrincipalArn`` is the
    role's ARN, not the session's)."""
    return {
        "aws:PrincipalArn": role.arn,
        "aws:PrincipalAccount": role.account_id,
        "aws:PrincipalType": "AssumedRole",
    }


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


def verdict(role, action: str, resource: str, context: dict | None = None) -> str:
    """IAM's decision over the role's policies, as the policy simulator names it: ``allowed``,
    ``explicitDeny`` or ``implicitDeny``. The request's context is the role's principal keys
    and ``context``."""
    from moto.iam.access_control import PermissionResult

    context = {**principal_context(role), **(context or {})}
    allowed = False
    for document in policy_documents(role):
        result = evaluate(document, action, resource, context)
        if result == PermissionResult.DENIED:
            return "explicitDeny"
        allowed = allowed or result == PermissionResult.PERMITTED
    return "allowed" if allowed else "implicitDeny"


def allows(role, action: str, resource: str, context: dict | None = None) -> bool:
    """Do the role's policies allow ``action`` on ``resource``, with no explicit deny?"""
    return verdict(role, action, resource, context) == "allowed"


def evaluate(
    document: str,
    action: str,
    resource: str,
    context: dict | None = None,
    principal: str | None = None,
):
    """IAM's answer of one policy document for a request: ``PERMITTED`` (a statement allows
    it), ``DENIED`` (one denies it) or ``NEUTRAL``. moto's evaluator (``IAMPolicy``), with
    IAM's rules where moto's differ (``Statement``): actions compare without regard to case
    (``SNS:Publish`` is ``sns:publish``), a statement applies only when its ``Condition`` holds
    for ``context`` (``conditions.holds``), and ``principal`` (a service, for trust policies)
    must be one the statement names."""
    return _policy(document).is_action_permitted(action.lower(), resource, principal, context)


def condition_keys_read(document, action: str, resource: str) -> list[str]:
    """The condition keys of ``document``'s statements that would decide ``action`` on
    ``resource`` if their conditions held (what the policy simulator reports as missing when a
    request lacks them)."""
    from moto.iam.access_control import PermissionResult

    parsed = json.loads(document) if isinstance(document, str) else document
    statements = parsed.get("Statement", [])
    keys: list[str] = []
    for statement in statements if isinstance(statements, list) else [statements]:
        block = statement.get("Condition") or {}
        if not block:
            continue
        bare = {"Version": "2012-10-17", "Statement": [dict(statement, Condition={})]}
        if evaluate(json.dumps(bare), action, resource) != PermissionResult.NEUTRAL:
            keys += [key for names in block.values() for key in (names or {})]
    return keys


def _classes():
    """``Policy`` and ``Statement``: moto's ``IAMPolicy`` and ``IAMPolicyStatement`` with IAM's
    rules where moto's differ (built on first use: moto is imported late)."""
    global _CLASSES
    if _CLASSES is not None:
        return _CLASSES
    from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, PermissionResult

    from sfn_tutorial.emulator.iam import conditions

    class Statement(IAMPolicyStatement):
        """One statement. moto reads an unmet condition as a deny and knows only
        ``StringEquals``; IAM skips a statement whose condition does not hold."""

        def is_action_permitted(
            self, action, resource="*", principal=None, incoming_condition_values=None
        ):
            statement = self._statement
            if "NotAction" in statement:
                concerned = not self._check_element_matches("NotAction", action)
            else:
                concerned = "Action" in statement and self._check_element_matches("Action", action)
            if not concerned:
                return PermissionResult.NEUTRAL
            if principal is not None and not self.names(principal):
                return PermissionResult.NEUTRAL
            if "NotResource" in statement:
                if self._check_element_matches("NotResource", resource):
                    return PermissionResult.NEUTRAL
            elif statement.get("Resource") and not self._check_element_matches(
                "Resource", resource
            ):
                return PermissionResult.NEUTRAL
            if not conditions.holds(statement.get("Condition"), incoming_condition_values):
                return PermissionResult.NEUTRAL
            if statement.get("Effect") == "Allow":
                return PermissionResult.PERMITTED
            return PermissionResult.DENIED

        def names(self, service: str) -> bool:
            """Does the statement's ``Principal`` name the service (or everyone)?"""
            principal = self._statement.get("Principal")
            if principal is None or principal == "*":
                return principal == "*"
            if not isinstance(principal, dict):
                return False
            if principal.get("AWS") == "*":
                return True
            names = principal.get("Service", [])
            names = [names] if isinstance(names, str) else names
            return any(is_principal(name, service) for name in names)

        @staticmethod
        def _match(pattern: str, string: str):
            # IAM's wildcards are * and ?; moto's regex would read "." and "+" too
            return conditions.like(pattern, string) or None

    class Policy(IAMPolicy):
        def is_action_permitted(
            self, action, resource="*", principal=None, incoming_condition_values=None
        ):
            statements = self._policy_json.get("Statement", [])
            statements = statements if isinstance(statements, list) else [statements]
            permitted = False
            for statement in statements:
                result = Statement(statement).is_action_permitted(
                    action, resource, principal, incoming_condition_values
                )
                if result == PermissionResult.DENIED:
                    return result
                permitted = permitted or result == PermissionResult.PERMITTED
            return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL

    _CLASSES = (Policy, Statement)
    return _CLASSES


_CLASSES = None


@functools.lru_cache(maxsize=512)
def _policy(document: str):
    """``Policy`` for a document, its actions lower-cased (kept: documents repeat)."""
    policy = json.loads(document)
    statements = policy.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    policy["Statement"] = statements
    for statement in statements:
        for key in ("Action", "NotAction"):
            value = statement.get(key)
            if isinstance(value, str):
                statement[key] = value.lower()
            elif isinstance(value, list):
                statement[key] = [item.lower() for item in value]
    return _classes()[0](json.dumps(policy))


def refusal(
    role_arn: str | None, service: str, action: str, resource: str, source_arn: str | None = None
) -> str | None:
    """Why ``service``, acting with ``role_arn`` for ``source_arn`` (the rule, schedule group or
    API it acts for), may not do ``action`` on ``resource``; ``None`` if it may. The trust
    policy's conditions see ``source_context(source_arn)``. The reason reads like the message
    AWS logs for the failed call."""
    if not role_arn:
        return f"No role given for {service} to assume."
    role = find_role(role_arn)
    if role is None:
        return f"The role {role_arn} does not exist."
    if not trusts(role, service, source_context(source_arn)):
        return f"{service} is not authorized to assume the role {role_arn}."
    if not allows(role, action, resource):
        assumed = f"arn:aws:sts::{role.account_id}:assumed-role/{role.name}/{service}"
        return f"User: {assumed} is not authorized to perform: {action} on resource: {resource}"
    return None
