"""Notebook 14, testing a workflow (``14_testing_workflows.ipynb``): the checks of ``14-red`` and
``14-retry``."""

from __future__ import annotations

import copy
import inspect
import json
import sys

import boto3

from sfn_tutorial import integrations
from sfn_tutorial.exercises.checking import LAMBDA_TRANSIENT_ERRORS, Wrong, exercise, state_machine
from sfn_tutorial.i18n import t
from sfn_tutorial.resources import blog_definition, resource_name

RETRY_TEST = "test_a_throttled_purchase_is_retried"
WITH_RETRY = "TransactionsWithRetry"
THROTTLED = {"errorOutput": {"error": "Lambda.TooManyRequestsException", "cause": "Rate exceeded"}}


@exercise("14-red")
def red_test_for_the_retry() -> str:
    """The notebook's ``test_a_throttled_purchase_is_retried(blog)`` fails (on an ``assert``)
    on the blog's definition, which has no Retry, and passes on the same definition once its
    Tasks retry Lambda's transient errors: it tests the retry. The check calls the test itself
    with each definition as its fixture ``blog``."""
    blog = _blog_with_target_arns()
    test = _notebook_test(RETRY_TEST)
    outcome = _outcome(test, blog)
    if outcome is None:
        raise Wrong(
            t(
                "{test} passes on the blog's definition, which has no Retry, so it cannot tell a "
                "missing retry: mock Lambda.TooManyRequestsException on ProcessPurchase and "
                "assert that TestState's status is RETRIABLE.",
                test=RETRY_TEST,
            )
        )
    if not _failed_on_purpose(outcome):
        raise Wrong(
            t(
                "{test} stops with {error}: {detail} on the blog's definition: a red test fails "
                "on its assert, not on an error in the test.",
                test=RETRY_TEST,
                error=type(outcome).__name__,
                detail=outcome,
            )
        )
    outcome = _outcome(test, _with_lambda_retrier(blog))
    if outcome is not None:
        raise Wrong(
            t(
                "{test} also fails once ProcessPurchase retries Lambda's transient errors "
                "({error}: {detail}): for a mocked Lambda.TooManyRequestsException, expect the "
                "status RETRIABLE.",
                test=RETRY_TEST,
                error=type(outcome).__name__,
                detail=outcome,
            )
        )
    return t(
        "✅ {test} fails on the blog's definition and passes once ProcessPurchase retries: a red "
        "test that says what is missing.",
        test=RETRY_TEST,
    )


@exercise("14-retry")
def purchase_retried_when_throttled() -> str:
    """``TransactionsWithRetry``: TestState on its definition answers RETRIABLE for
    ``ProcessPurchase`` with a mocked ``Lambda.TooManyRequestsException``, and no longer once
    that retrier's attempts are used up; its Choice still sends PURCHASE and REFUND to their
    Tasks; the notebook's ``test_a_throttled_purchase_is_retried``, if defined, passes on it."""
    name, _, definition = state_machine(
        WITH_RETRY,
        "deploy the fixed definition with helpers.deploy_state_machine("
        f"'{WITH_RETRY}', with_retry, stack.states_role_arn).",
    )
    sfn = boto3.client("stepfunctions")

    def tested(state: str, state_input: dict, **more) -> dict:
        return sfn.test_state(
            definition=json.dumps(definition),
            stateName=state,
            input=json.dumps(state_input),
            **more,
        )

    for transaction_type, task in (("PURCHASE", "ProcessPurchase"), ("REFUND", "ProcessRefund")):
        routed = tested("ProcessTransaction", {"TransactionType": transaction_type})
        if routed.get("nextState") != task:
            raise Wrong(
                t(
                    "{name}'s Choice sends {transaction_type} to {routed}, not {task}: change "
                    "only ProcessPurchase.",
                    name=name,
                    transaction_type=transaction_type,
                    routed=routed.get("nextState") or routed["status"],
                    task=task,
                )
            )
    purchase = {"TransactionType": "PURCHASE"}
    throttled = tested("ProcessPurchase", purchase, mock=THROTTLED, inspectionLevel="DEBUG")
    if throttled["status"] != "RETRIABLE":
        raise Wrong(
            t(
                "TestState answers {status} for {name}'s ProcessPurchase when Lambda throttles "
                "it: give it a Retry whose ErrorEquals has Lambda.TooManyRequestsException.",
                status=throttled["status"],
                name=name,
            )
        )
    index = throttled.get("inspectionData", {}).get("errorDetails", {}).get("retryIndex", 0)
    attempts = definition["States"]["ProcessPurchase"]["Retry"][index].get("MaxAttempts", 3)
    used_up = tested(
        "ProcessPurchase",
        purchase,
        mock=THROTTLED,
        stateConfiguration={"retrierRetryCount": attempts},
    )
    test = getattr(sys.modules["__main__"], RETRY_TEST, None)
    outcome = _outcome(test, definition) if callable(test) else None
    if outcome is not None:
        raise Wrong(
            t(
                "Your {test} fails on {name}'s definition ({error}: {detail}): fix the "
                "definition (or the test) until it passes.",
                test=RETRY_TEST,
                name=name,
                error=type(outcome).__name__,
                detail=outcome,
            )
        )
    return t(
        "✅ {name}'s ProcessPurchase retries a throttled call (TestState: RETRIABLE, then "
        "{status} after {attempts} attempts), and its Choice still routes PURCHASE and REFUND.",
        name=name,
        status=used_up["status"],
        attempts=attempts,
    )


def _notebook_test(name: str):
    """The test function ``name`` that the notebook defined (in the kernel's ``__main__``,
    where ipytest has pytest look for tests)."""
    test = getattr(sys.modules["__main__"], name, None)
    if not callable(test):
        raise Wrong(
            t(
                "There is no test {name} in this notebook yet: write it in the cell above and "
                "run that cell (%%ipytest), then the check.",
                name=name,
            )
        )
    return test


def _outcome(test, blog: dict) -> BaseException | None:
    """Run ``test`` as pytest would, with ``blog`` as its fixture ``blog``: ``None`` if it
    passed, else what it raised."""
    unknown = [name for name in inspect.signature(test).parameters if name != "blog"]
    if unknown:
        raise Wrong(
            t(
                "{test} asks for {arguments}: give it one argument, the fixture blog (the "
                "definition it tests).",
                test=test.__name__,
                arguments=", ".join(unknown),
            )
        )
    try:
        test(blog=copy.deepcopy(blog))
    except Exception as error:  # a failed assert, or an error in the test
        return error
    except BaseException as error:  # pytest.fail() and pytest.skip() raise these
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        return error
    return None


def _failed_on_purpose(outcome: BaseException) -> bool:
    """A test's own failure (an ``assert``, ``pytest.fail``) rather than an error in it."""
    return isinstance(outcome, AssertionError) or type(outcome).__name__ == "Failed"


def _blog_with_target_arns() -> dict:
    """The blog's definition with the ARNs its functions have on the target."""
    account, region = integrations.account_and_region()
    arn = f"arn:aws:lambda:{region}:{account}:function:"
    return blog_definition(
        arn + resource_name("ProcessPurchase"), arn + resource_name("ProcessRefund")
    )


def _with_lambda_retrier(definition: dict) -> dict:
    """``definition`` whose Task states retry Lambda's transient errors as AWS advises."""
    fixed = copy.deepcopy(definition)
    retrier = {
        "ErrorEquals": list(LAMBDA_TRANSIENT_ERRORS),
        "IntervalSeconds": 1,
        "MaxAttempts": 3,
        "BackoffRate": 2,
    }
    for state in fixed["States"].values():
        if state["Type"] == "Task":
            state["Retry"] = [retrier]
    return fixed
