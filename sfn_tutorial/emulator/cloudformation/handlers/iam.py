"""IAM: ``AWS::IAM::Role``, ``AWS::IAM::Policy`` and ``AWS::IAM::ManagedPolicy``.

A role's ``Policies`` become its inline policies and its ``ManagedPolicyArns`` its attached
ones, as ``PutRolePolicy`` and ``AttachRolePolicy`` make them, so IAM enforces them like any
other role's. IAM keeps tags starting with ``aws:`` for itself: roles get the stack's own tags.
"""

from __future__ import annotations

from contextlib import suppress

from sfn_tutorial.emulator.cloudformation.handlers import (
    Handler,
    Made,
    Request,
    as_json,
    tag_list,
)
from sfn_tutorial.emulator.cloudformation.handlers.arguments import given


class Role(Handler):
    type_name = "AWS::IAM::Role"

    def create(self, request: Request) -> Made:
        iam = request.client("iam")
        props = request.properties
        name = request.name("RoleName", 64)
        names = ("Path", "Description", "MaxSessionDuration", "PermissionsBoundary")
        role = iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=as_json(props["AssumeRolePolicyDocument"]),
            Tags=tag_list(request.tags(system=False)),
            **given(props, names),
        )["Role"]
        _put_policies(iam, name, props)
        return _made(role)

    def update(self, request: Request) -> Made:
        iam = request.client("iam")
        props, old = request.properties, request.previous_properties or {}
        name = request.previous.physical_id
        if props["AssumeRolePolicyDocument"] != old.get("AssumeRolePolicyDocument"):
            iam.update_assume_role_policy(
                RoleName=name, PolicyDocument=as_json(props["AssumeRolePolicyDocument"])
            )
        settings = given(props, ("Description", "MaxSessionDuration"))
        if settings:
            iam.update_role(RoleName=name, **settings)
        kept = {policy["PolicyName"] for policy in props.get("Policies") or []}
        for policy in old.get("Policies") or []:
            if policy["PolicyName"] not in kept:
                iam.delete_role_policy(RoleName=name, PolicyName=policy["PolicyName"])
        attached = set(props.get("ManagedPolicyArns") or [])
        for arn in old.get("ManagedPolicyArns") or []:
            if arn not in attached:
                iam.detach_role_policy(RoleName=name, PolicyArn=arn)
        _put_policies(iam, name, props)
        tags = request.tags(system=False)
        gone = [key for key in iam.list_role_tags(RoleName=name)["Tags"] if key["Key"] not in tags]
        if gone:
            iam.untag_role(RoleName=name, TagKeys=[tag["Key"] for tag in gone])
        if tags:
            iam.tag_role(RoleName=name, Tags=tag_list(tags))
        return _made(iam.get_role(RoleName=name)["Role"])

    def delete(self, request: Request, made: Made) -> None:
        iam = request.client("iam")
        name = made.physical_id
        with suppress(iam.exceptions.NoSuchEntityException):  # gone: deleting it is done
            for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
                for policy in page["AttachedPolicies"]:
                    iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
            for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
                for policy_name in page["PolicyNames"]:
                    iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
            iam.delete_role(RoleName=name)


def _put_policies(iam, name: str, props: dict) -> None:
    for policy in props.get("Policies") or []:
        iam.put_role_policy(
            RoleName=name,
            PolicyName=policy["PolicyName"],
            PolicyDocument=as_json(policy["PolicyDocument"]),
        )
    for arn in props.get("ManagedPolicyArns") or []:
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)


def _made(role: dict) -> Made:
    return Made(role["RoleName"], {"Arn": role["Arn"], "RoleId": role["RoleId"]})


class Policy(Handler):
    """An inline policy put into each of its roles, users and groups."""

    type_name = "AWS::IAM::Policy"

    def create(self, request: Request) -> Made:
        _put_inline(request, request.properties)
        return Made(request.previous_id or _short_name(request))

    def update(self, request: Request) -> Made:
        _delete_inline(request, request.previous_properties or {})
        _put_inline(request, request.properties)
        return Made(request.previous.physical_id)

    def delete(self, request: Request, made: Made) -> None:
        _delete_inline(request, request.properties)


def _short_name(request: Request) -> str:
    """CloudFormation's physical id of a policy: ``{stack[:5]}-{logical[:5]}-{random}``."""
    suffix = request.physical_name(13, with_stack=False).rsplit("-", 1)[1]
    return f"{request.stack_name[:5]}-{request.logical_id[:5]}-{suffix}"


def _put_inline(request: Request, props: dict) -> None:
    iam = request.client("iam")
    document = as_json(props["PolicyDocument"])
    for role in props.get("Roles") or []:
        iam.put_role_policy(
            RoleName=_name_of(role), PolicyName=props["PolicyName"], PolicyDocument=document
        )
    for user in props.get("Users") or []:
        iam.put_user_policy(UserName=user, PolicyName=props["PolicyName"], PolicyDocument=document)
    for group in props.get("Groups") or []:
        iam.put_group_policy(
            GroupName=group, PolicyName=props["PolicyName"], PolicyDocument=document
        )


def _delete_inline(request: Request, props: dict) -> None:
    iam = request.client("iam")
    for role in props.get("Roles") or []:
        with suppress(iam.exceptions.NoSuchEntityException):
            iam.delete_role_policy(RoleName=_name_of(role), PolicyName=props["PolicyName"])
    for user in props.get("Users") or []:
        with suppress(iam.exceptions.NoSuchEntityException):
            iam.delete_user_policy(UserName=user, PolicyName=props["PolicyName"])


def _name_of(role: str) -> str:
    """A role given by ARN or by name, as its name."""
    return role.rsplit("/", 1)[-1]


class ManagedPolicy(Handler):
    """A customer managed policy, attached to its roles; an update adds a version."""

    type_name = "AWS::IAM::ManagedPolicy"

    def create(self, request: Request) -> Made:
        iam = request.client("iam")
        props = request.properties
        policy = iam.create_policy(
            PolicyName=request.name("ManagedPolicyName", 128),
            PolicyDocument=as_json(props["PolicyDocument"]),
            **given(props, ("Path", "Description")),
        )["Policy"]
        _attach(iam, policy["Arn"], props)
        return Made(policy["Arn"], {"PolicyArn": policy["Arn"], "PolicyId": policy["PolicyId"]})

    def update(self, request: Request) -> Made:
        iam = request.client("iam")
        arn = request.previous.physical_id
        props, old = request.properties, request.previous_properties or {}
        if props["PolicyDocument"] != old.get("PolicyDocument"):
            versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
            for version in sorted(versions, key=lambda v: v["CreateDate"])[: len(versions) - 4]:
                if not version["IsDefaultVersion"]:
                    iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
            iam.create_policy_version(
                PolicyArn=arn, PolicyDocument=as_json(props["PolicyDocument"]), SetAsDefault=True
            )
        for role in set(old.get("Roles") or []) - set(props.get("Roles") or []):
            iam.detach_role_policy(RoleName=_name_of(role), PolicyArn=arn)
        _attach(iam, arn, props)
        return Made(arn, request.previous.attributes)

    def delete(self, request: Request, made: Made) -> None:
        iam = request.client("iam")
        arn = made.physical_id
        with suppress(iam.exceptions.NoSuchEntityException):
            for role in request.properties.get("Roles") or []:
                iam.detach_role_policy(RoleName=_name_of(role), PolicyArn=arn)
            for version in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
                if not version["IsDefaultVersion"]:
                    iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
            iam.delete_policy(PolicyArn=arn)


def _attach(iam, arn: str, props: dict) -> None:
    for role in props.get("Roles") or []:
        iam.attach_role_policy(RoleName=_name_of(role), PolicyArn=arn)
    for user in props.get("Users") or []:
        iam.attach_user_policy(UserName=user, PolicyArn=arn)
    for group in props.get("Groups") or []:
        iam.attach_group_policy(GroupName=group, PolicyArn=arn)


HANDLERS = [Role(), Policy(), ManagedPolicy()]
