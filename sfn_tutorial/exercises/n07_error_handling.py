"""Notebook 07, error handling (``07_error_handling.ipynb``): the checks of ``07-retry-timeout`` and
``07-lambda-retrier``."""

from __future__ import annotations

from sfn_tutorial import executions
from sfn_tutorial.exercises.checking import (
    LAMBDA_TRANSIENT_ERRORS,
    Wrong,
    ended,
    exercise,
    newest_execution,
    state_machine,
)
from sfn_tutorial.i18n import t


@exercise("07-retry-timeout")
def ship_timeout_retried_once() -> str:
    """``checkout-exercise``: Ship retries ``States.Timeout`` once, and its newest run timed out
    twice (first try and retry) before the Catch took over."""
    name, arn, definition = state_machine(
        "checkout-exercise",
        "deploy your copy with helpers.deploy_state_machine('checkout-exercise', ...).",
    )
    retriers = definition.get("States", {}).get("Ship", {}).get("Retry", [])
    retrier = next((r for r in retriers if "States.Timeout" in r.get("ErrorEquals", [])), None)
    if retrier is None:
        raise Wrong(t("{name}'s Ship state has no Retry for States.Timeout: add one.", name=name))
    if retrier.get("MaxAttempts", 3) != 1:
        raise Wrong(
            t(
                "Ship retries States.Timeout {attempts} times (3 unless MaxAttempts says "
                'otherwise): the task asks for once, "MaxAttempts": 1.',
                attempts=retrier.get("MaxAttempts", 3),
            )
        )
    execution = newest_execution(name, arn, "run it with helpers.run(..., slow_partner).")
    timeouts = sum(
        event["type"] in ("LambdaFunctionTimedOut", "TaskTimedOut")
        for event in executions.execution_history(execution["executionArn"])
    )
    if timeouts != 2 or execution["status"] != "SUCCEEDED":
        raise Wrong(
            t(
                "The newest execution of {name} timed out {timeouts} times and ended {ending}; "
                "with slow_partner it times out twice, then ends in ShipLater.",
                name=name,
                timeouts=timeouts,
                ending=ended(execution),
            )
        )
    return t(
        "✅ Ship timed out twice, on its first try and on the one retry; then Catch took over."
    )


@exercise("07-lambda-retrier")
def lambda_errors_retried() -> str:
    """``checkout-resilient``: Charge retries Lambda's four transient errors, still retries
    ``GatewayBusy``, and its newest run succeeded."""
    name, arn, definition = state_machine(
        "checkout-resilient",
        "deploy your copy with helpers.deploy_state_machine('checkout-resilient', ...).",
    )
    retriers = definition.get("States", {}).get("Charge", {}).get("Retry", [])
    retried = {error for retrier in retriers for error in retrier.get("ErrorEquals", [])}
    missing = [error for error in LAMBDA_TRANSIENT_ERRORS if error not in retried]
    if missing:
        raise Wrong(
            t(
                "{name}'s Charge does not retry {missing}: add AWS's retrier.",
                name=name,
                missing=", ".join(missing),
            )
        )
    if "GatewayBusy" not in retried:
        raise Wrong(
            t("{name}'s Charge no longer retries GatewayBusy: keep that retrier too.", name=name)
        )
    execution = newest_execution(name, arn, "run it with helpers.run(..., busy_twice).")
    if execution["status"] != "SUCCEEDED":
        raise Wrong(
            t(
                "The newest execution of {name} ended {ending}: run it with busy_twice.",
                name=name,
                ending=ended(execution),
            )
        )
    return t(
        "✅ {name}'s Charge retries Lambda's transient errors and GatewayBusy, and it succeeded.",
        name=name,
    )
