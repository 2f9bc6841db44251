"""IAM policy documents for tests: who may assume a role, and what a role may do."""

from __future__ import annotations


def document(*statements: dict) -> dict:
    """A policy document of ``statements``."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


def trust(*services: str, condition: dict | None = None) -> dict:
    """A trust policy that lets ``services`` (one is named as itself, more as a list) assume the
    role, under ``condition`` if given."""
    principal = services[0] if len(services) == 1 else list(services)
    statement = {"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}
    if condition is not None:
        statement["Condition"] = condition
    return document(statement)


def allowing(actions: str | list[str], resources: str | list[str] = "*") -> dict:
    """A policy that allows ``actions`` on ``resources``."""
    return document({"Effect": "Allow", "Action": actions, "Resource": resources})
