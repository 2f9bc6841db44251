"""Notebook 03, the state machine (``03_state_machine.ipynb``): the checks of ``03-default``."""

from __future__ import annotations

from sfn_tutorial.exercises.checking import Wrong, exercise, state_machine
from sfn_tutorial.i18n import t


@exercise("03-default")
def choice_default_fails() -> str:
    """``TransactionsWithDefault``: the Choice state's ``Default`` is the Fail state
    ``UnknownTransaction`` (``UnknownTransactionType``), and the blog's two rules remain."""
    name, _, definition = state_machine(
        "TransactionsWithDefault",
        "deploy your copy with helpers.deploy_state_machine('TransactionsWithDefault', ...).",
    )
    states = definition.get("States", {})
    start = definition.get("StartAt")
    choice = states.get(start, {})
    if choice.get("Type") != "Choice":
        raise Wrong(
            t(
                "{name} starts at {start!r}, not at the Choice state: copy `definition`.",
                name=name,
                start=start,
            )
        )
    rules_lead_to = {rule.get("Next") for rule in choice.get("Choices", [])}
    if not {"ProcessPurchase", "ProcessRefund"} <= rules_lead_to:
        raise Wrong(
            t(
                "{name}'s Choice rules no longer lead to both functions: keep the blog's two.",
                name=name,
            )
        )
    default = choice.get("Default")
    if default is None:
        raise Wrong(
            t(
                '{name}\'s Choice state has no Default: add "Default": "UnknownTransaction".',
                name=name,
            )
        )
    if default != "UnknownTransaction":
        raise Wrong(
            t(
                "{name}'s Default goes to {default!r}: the task names it UnknownTransaction.",
                name=name,
                default=default,
            )
        )
    fail = states.get(default, {})
    if fail.get("Type") != "Fail" or fail.get("Error") != "UnknownTransactionType":
        raise Wrong(
            t(
                "UnknownTransaction is a {kind} state with the error {error!r}: make it a Fail "
                'state with "Error": "UnknownTransactionType".',
                kind=fail.get("Type"),
                error=fail.get("Error"),
            )
        )
    return t(
        "✅ {name} sends every other TransactionType to the Fail state UnknownTransaction "
        "(UnknownTransactionType).",
        name=name,
    )
