"""Notebook 01, Lambda functions (``01_lambda_functions.ipynb``): the checks of ``01-error`` and
``01-settings``."""

from __future__ import annotations

import time

import boto3
from botocore.exceptions import ClientError

from sfn_tutorial import target
from sfn_tutorial.exercises.checking import LOG_PATIENCE_S, Wrong, exercise, newest_invocation_log
from sfn_tutorial.i18n import t
from sfn_tutorial.resources import resource_name


@exercise("01-error")
def purchase_invocation_failed() -> str:
    """The newest invocation of ProcessPurchase failed with ``KeyError``, as its log shows."""
    name = resource_name("ProcessPurchase")
    deadline = time.monotonic() + (LOG_PATIENCE_S if target.chosen_target() == target.AWS else 0)
    while True:  # on AWS a log arrives seconds after the invocation
        lines = newest_invocation_log(name)
        errors = [line for line in lines if "[ERROR]" in line]
        if (errors and "KeyError" in errors[0]) or time.monotonic() > deadline:
            break
        time.sleep(2)
    if not errors:
        raise Wrong(
            t(
                "The newest invocation of {name} succeeded (its log has no [ERROR] line): invoke "
                "it with an empty event, Payload=json.dumps({{}}).",
                name=name,
            )
        )
    if "KeyError" not in errors[0]:
        raise Wrong(
            t(
                "The newest invocation of {name} failed with {error!r}, not the KeyError of a "
                "missing TransactionType: invoke it with an empty event, {{}}.",
                name=name,
                error=errors[0].strip(),
            )
        )
    return t(
        "✅ The newest invocation of {name} raised KeyError: 'TransactionType', and its "
        "log in CloudWatch Logs says so.",
        name=name,
    )


@exercise("01-settings")
def refund_memory_and_stage() -> str:
    """ProcessRefund has 256 MB of memory and the environment variable ``STAGE=tutorial``."""
    name = resource_name("ProcessRefund")
    try:
        configuration = boto3.client("lambda").get_function_configuration(FunctionName=name)
    except ClientError as error:
        raise Wrong(
            t("There is no function {name}: run the notebook's cells from the top.", name=name)
        ) from (error)
    problems = []
    if configuration.get("MemorySize") != 256:
        problems.append(
            t("its memory is {memory} MB, not 256", memory=configuration.get("MemorySize"))
        )
    stage = configuration.get("Environment", {}).get("Variables", {}).get("STAGE")
    if stage != "tutorial":
        problems.append(
            t("it has no environment variable STAGE")
            if stage is None
            else t("its STAGE is {stage!r}, not 'tutorial'", stage=stage)
        )
    if problems:
        raise Wrong(
            t(
                "{name}: {problems}. Set both with "
                "lambda_client.update_function_configuration(FunctionName=..., MemorySize=..., "
                "Environment={{'Variables': {{...}}}}).",
                name=name,
                problems="; ".join(problems),
            )
        )
    return t("✅ {name} has 256 MB of memory and STAGE=tutorial in its environment.", name=name)
