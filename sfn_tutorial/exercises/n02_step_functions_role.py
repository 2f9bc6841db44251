"""Notebook 02, the role (``02_step_functions_role.ipynb``): the checks of ``02-role``."""

from __future__ import annotations

import boto3

from sfn_tutorial.exercises.checking import (
    Wrong,
    exercise,
    function_arn,
    listed,
    policy_document,
    policy_statements,
    simulated,
    trusts,
)
from sfn_tutorial.i18n import t
from sfn_tutorial.resources import NAME_PREFIX, TAG_KEY, TAG_VALUE, resource_name


@exercise("02-role")
def purchase_only_role() -> str:
    """Role ``sfn-tutorial-purchase-only-role``: Step Functions may assume it, it is tagged, and
    its policies allow ``lambda:InvokeFunction`` on ProcessPurchase and nothing else."""
    name = resource_name("purchase-only-role")
    iam = boto3.client("iam")
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except iam.exceptions.NoSuchEntityException as error:
        raise Wrong(
            t(
                "There is no role {name} yet: create it with iam.create_role, as the notebook "
                "created the states role.",
                name=name,
            )
        ) from error
    if not trusts(policy_document(role["AssumeRolePolicyDocument"]), "states.amazonaws.com"):
        raise Wrong(
            t(
                "{name}'s trust policy does not let states.amazonaws.com assume it: use "
                "helpers.trust_policy('states.amazonaws.com').",
                name=name,
            )
        )
    if {"Key": TAG_KEY, "Value": TAG_VALUE} not in role.get("Tags", []):
        raise Wrong(
            t(
                "{name} is not tagged {TAG_KEY}={TAG_VALUE}, so 99_clean_up would leave it "
                "behind: create it with Tags=helpers.tags('Key').",
                name=name,
                TAG_KEY=TAG_KEY,
                TAG_VALUE=TAG_VALUE,
            )
        )
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    if attached:
        names = ", ".join(policy["PolicyName"] for policy in attached)
        raise Wrong(
            t(
                "{name} has the managed policy {names} attached: detach it, and allow the one "
                "function in an inline policy (iam.put_role_policy).",
                name=name,
                names=names,
            )
        )
    statements = [
        statement
        for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]
        for statement in policy_statements(
            iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
        )
    ]
    if not statements:
        raise Wrong(
            t("{name} has no inline policy yet: add one with iam.put_role_policy.", name=name)
        )
    if any("NotAction" in s or "NotResource" in s for s in statements):
        raise Wrong(
            t("{name}'s policy uses NotAction or NotResource: list Action and Resource.", name=name)
        )
    actions = {a for s in statements if s.get("Effect") == "Allow" for a in listed(s["Action"])}
    if actions - {"lambda:InvokeFunction"}:
        extra = ", ".join(sorted(actions - {"lambda:InvokeFunction"}))
        raise Wrong(
            t(
                "{name} also allows {extra}: least privilege is lambda:InvokeFunction only.",
                name=name,
                extra=extra,
            )
        )
    purchase = function_arn("ProcessPurchase")
    others = [
        purchase.replace("ProcessPurchase", other)
        for other in ("ProcessRefund", "DeleteEverything")
    ]
    decisions = simulated(role["Arn"], "lambda:InvokeFunction", [purchase, *others])
    if decisions[purchase] != "allowed":
        raise Wrong(
            t(
                "{name} may not invoke {purchase}: put that ARN in the policy's Resource.",
                name=name,
                purchase=purchase,
            )
        )
    for other_arn in others:
        other = other_arn.split(":")[-1].removeprefix(NAME_PREFIX)
        if decisions[other_arn] == "allowed":
            raise Wrong(
                t(
                    "{name} may also invoke {NAME_PREFIX}{other}: list only ProcessPurchase's ARN "
                    "(and ARN + ':*' for its versions) in Resource.",
                    name=name,
                    NAME_PREFIX=NAME_PREFIX,
                    other=other,
                )
            )
    return t(
        "✅ Step Functions may assume {name}, and it may invoke "
        "{NAME_PREFIX}ProcessPurchase and nothing else.",
        name=name,
        NAME_PREFIX=NAME_PREFIX,
    )
