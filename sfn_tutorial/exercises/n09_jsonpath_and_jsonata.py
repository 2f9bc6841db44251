"""Notebook 09, JSONPath and JSONata (``09_jsonpath_and_jsonata.ipynb``): the checks of
``09-default`` and ``09-variables``."""

from __future__ import annotations

import json

from sfn_tutorial.exercises.checking import (
    Wrong,
    ended,
    exercise,
    json_or_none,
    newest_execution,
    newest_success,
    state_machine,
)
from sfn_tutorial.i18n import t


@exercise("09-default")
def jsonata_default_message() -> str:
    """``TransactionsJSONataDefault`` (JSONata): an EXCHANGE run succeeded with the message
    ``Unknown transaction type: EXCHANGE``."""
    name, arn, definition = state_machine(
        "TransactionsJSONataDefault",
        "deploy your copy with helpers.deploy_state_machine('TransactionsJSONataDefault', ...).",
    )
    if definition.get("QueryLanguage") != "JSONata":
        raise Wrong(
            t(
                "{name} is not a JSONata machine: start from a copy of jsonata_definition.",
                name=name,
            )
        )
    choice = definition.get("States", {}).get(definition.get("StartAt"), {})
    if "Default" not in choice:
        raise Wrong(
            t('{name}\'s Choice state has no Default: add "Default": "Unknown".', name=name)
        )
    execution = newest_execution(name, arn, 'run it with {"TransactionType": "EXCHANGE"}.')
    given = json_or_none(execution.get("input"))
    if not isinstance(given, dict) or given.get("TransactionType") != "EXCHANGE":
        raise Wrong(
            t(
                "The newest execution of {name} had the input {input}: run it with "
                '{{"TransactionType": "EXCHANGE"}}.',
                name=name,
                input=execution.get("input"),
            )
        )
    expected = {"Message": "Unknown transaction type: EXCHANGE"}
    output = json_or_none(execution.get("output"))
    if execution["status"] != "SUCCEEDED" or output != expected:
        raise Wrong(
            t(
                "The EXCHANGE execution ended {ending} with the output {output}, not {expected}: "
                "Unknown's Output is "
                '{{"Message": "{{% \'Unknown transaction type: \' & ... %}}"}}.',
                ending=ended(execution),
                output=execution.get("output"),
                expected=json.dumps(expected),
            )
        )
    return t(
        "✅ {name} answers an EXCHANGE with {expected}.", name=name, expected=json.dumps(expected)
    )


@exercise("09-variables")
def vat_from_variable() -> str:
    """``ReceiptWithVat``: a state assigns the variable ``vat``, and the newest run's output
    has ``vat``, 10 % of the input's amount."""
    name, arn, definition = state_machine(
        "ReceiptWithVat",
        "deploy your copy with helpers.deploy_state_machine('ReceiptWithVat', ...).",
    )
    if not any("vat" in s.get("Assign", {}) for s in definition.get("States", {}).values()):
        raise Wrong(
            t(
                "No state of {name} assigns the variable vat: add it to Remember's Assign.",
                name=name,
            )
        )
    execution = newest_success(name, arn, 'run it with {"customer": "kim", "amount": 1200}.')
    amount = (json_or_none(execution.get("input")) or {}).get("amount")
    output = json_or_none(execution.get("output"))
    vat = output.get("vat") if isinstance(output, dict) else None
    if not isinstance(amount, (int, float)) or not isinstance(vat, (int, float)):
        raise Wrong(
            t(
                "The newest execution of {name} returned {output}: give ProcessPurchase's Output "
                'a "vat": "{{% $vat %}}", and run it with an amount.',
                name=name,
                output=execution.get("output"),
            )
        )
    if abs(vat - amount * 0.1) > 0.005:
        raise Wrong(
            t(
                "{name} computed a VAT of {vat} on {amount}: 10 % is {expected:g}.",
                name=name,
                vat=vat,
                amount=amount,
                expected=amount * 0.1,
            )
        )
    return t(
        "✅ {name} kept the VAT in the variable vat and returned it: {vat:g} on {amount:g}.",
        name=name,
        vat=vat,
        amount=amount,
    )
