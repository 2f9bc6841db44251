"""The notebooks' exercises, checked on the target: one small function per exercise.

A check looks at what the learner built *on the target*: a state machine's definition
(``DescribeStateMachine``), its newest execution (``ListExecutions``, ``DescribeExecution``,
``GetExecutionHistory``), a role's policies, a function's configuration or log, a rule, a route.
Notebook 14's checks also run the test the learner wrote, the function itself (found where pytest
in the notebook finds it, in the kernel's ``__main__``), on definitions of their own.
It never reads the text of a notebook cell, so any correct answer passes. It answers with one
line: ``✅`` and what is right, or ``❌``, what is wrong and a hint. It never raises: a missing
resource, a wrong answer and an unexpected error are all ``❌`` lines, so a learner who skips an
exercise goes on.

Where an exercise creates something, the task fixes its name; where it runs something, the check
reads the newest execution (or invocation), so running a cell again never confuses it.

``CHECKS`` maps an exercise's id (notebook number and a word, e.g. ``03-default``) to its check;
``check(exercise_id)`` runs one.
"""

from __future__ import annotations

import copy
import functools
import inspect
import json
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from urllib.parse import unquote

import boto3
from botocore.exceptions import ClientError

from sfn_tutorial import executions, integrations, target
from sfn_tutorial.i18n import t
from sfn_tutorial.resources import (
    BLOG_STACK,
    NAME_PREFIX,
    STATE_MACHINE,
    STATES_LOG_GROUP_PREFIX,
    TAG_KEY,
    TAG_VALUE,
    blog_definition,
    find_state_machine_arn,
    resource_name,
)

CHECKS: dict[str, Callable[[], str]] = {}
WAIT_S = 60  # how long a check waits for an execution that is still running
LOG_PATIENCE_S = 15  # on AWS, how long a check waits for Lambda's log to arrive
LAMBDA_TRANSIENT_ERRORS = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)


class Wrong(Exception):
    """What is wrong with an answer and a hint: a check's ``❌`` line without the ``❌``."""


def exercise(exercise_id: str):
    """Register a check under ``exercise_id``. The check returns its ``✅`` line or raises
    ``Wrong``; registered, it returns the ``❌`` line instead, and never raises."""

    def register(check: Callable[[], str]) -> Callable[[], str]:
        @functools.wraps(check)
        def line() -> str:
            try:
                return check()
            except Wrong as wrong:
                return t("❌ {message}", message=_one_line(wrong))
            except Exception as error:  # a check never raises: it says what went wrong
                return t(
                    "❌ The check could not finish ({error_type}: {message}). Run the notebook's "
                    "cells from the top, then your answer, then the check.",
                    error_type=type(error).__name__,
                    message=_one_line(error),
                )

        CHECKS[exercise_id] = line
        return line

    return register


def check(exercise_id: str) -> str:
    """The line of exercise ``exercise_id``'s check (``✅ ...`` or ``❌ ...``)."""
    if exercise_id not in CHECKS:
        return t(
            "❌ There is no exercise {exercise_id!r}; the exercises are {exercises}.",
            exercise_id=exercise_id,
            exercises=", ".join(CHECKS),
        )
    return CHECKS[exercise_id]()


# ---------------------------------------------------------------- 01 Lambda functions


@exercise("01-error")
def purchase_invocation_failed() -> str:
    """The newest invocation of ProcessPurchase failed with ``KeyError``, as its log shows."""
    name = resource_name("ProcessPurchase")
    deadline = time.monotonic() + (LOG_PATIENCE_S if target.chosen_target() == target.AWS else 0)
    while True:  # on AWS a log arrives seconds after the invocation
        lines = _newest_invocation_log(name)
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


# ---------------------------------------------------------------- 02 the role


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
    if not _trusts(_document(role["AssumeRolePolicyDocument"]), "states.amazonaws.com"):
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
        for statement in _statements(
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
    actions = {a for s in statements if s.get("Effect") == "Allow" for a in _listed(s["Action"])}
    if actions - {"lambda:InvokeFunction"}:
        extra = ", ".join(sorted(actions - {"lambda:InvokeFunction"}))
        raise Wrong(
            t(
                "{name} also allows {extra}: least privilege is lambda:InvokeFunction only.",
                name=name,
                extra=extra,
            )
        )
    purchase = _function_arn("ProcessPurchase")
    others = [
        purchase.replace("ProcessPurchase", other)
        for other in ("ProcessRefund", "DeleteEverything")
    ]
    decisions = _simulated(role["Arn"], "lambda:InvokeFunction", [purchase, *others])
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


# ---------------------------------------------------------------- 03 the state machine


@exercise("03-default")
def choice_default_fails() -> str:
    """``TransactionsWithDefault``: the Choice state's ``Default`` is the Fail state
    ``UnknownTransaction`` (``UnknownTransactionType``), and the blog's two rules remain."""
    name, _, definition = _state_machine(
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


# ---------------------------------------------------------------- 04 executions


@exercise("04-exchange")
def exchange_matched_no_rule() -> str:
    """The newest execution of the blog's machine had ``EXCHANGE`` as its TransactionType and
    failed with ``States.NoChoiceMatched``."""
    name, arn, _ = _state_machine(
        STATE_MACHINE, "run the notebook's cells from the top (ensure_blog_stack)."
    )
    execution = _newest_execution(name, arn, "start one with sfn.start_execution(...).")
    given = _json(execution.get("input"))
    if not isinstance(given, dict) or given.get("TransactionType") != "EXCHANGE":
        raise Wrong(
            t(
                "The newest execution of {name} had the input {input}: start one with "
                '{{"TransactionType": "EXCHANGE"}}.',
                name=name,
                input=execution.get("input"),
            )
        )
    if _ending(execution) != "FAILED with States.NoChoiceMatched":
        raise Wrong(
            t(
                "Your EXCHANGE execution ended {ending}, not FAILED with States.NoChoiceMatched: "
                "has {name} been changed? Run the notebook from the top.",
                ending=_ended(execution),
                name=name,
            )
        )
    return t(
        "✅ Your EXCHANGE execution failed with States.NoChoiceMatched: no Choice rule matched."
    )


# ---------------------------------------------------------------- 05 triggers


@exercise("05-rule")
def refunds_rule_matches_refunds_only() -> str:
    """Rule ``sfn-tutorial-refunds-rule`` matches REFUND transactions and not PURCHASE ones,
    is tagged, and starts the blog's machine with the event's ``detail``."""
    name = resource_name("refunds-rule")
    events = boto3.client("events")
    try:
        rule = events.describe_rule(Name=name)
    except events.exceptions.ResourceNotFoundException as error:
        raise Wrong(
            t(
                "There is no rule {name} yet: create it with events.put_rule, as the notebook "
                "created sfn-tutorial-transactions-rule.",
                name=name,
            )
        ) from error
    pattern = rule.get("EventPattern")
    if not pattern:
        raise Wrong(
            t("{name} has no EventPattern: give it one, as the notebook's rule has.", name=name)
        )
    if not _pattern_matches(pattern, "REFUND"):
        raise Wrong(
            t(
                "{name}'s pattern {pattern} does not match a REFUND Transaction event.",
                name=name,
                pattern=pattern,
            )
        )
    if _pattern_matches(pattern, "PURCHASE"):
        raise Wrong(
            t(
                '{name}\'s pattern {pattern} also matches PURCHASE transactions: add "detail": '
                '{{"TransactionType": ["REFUND"]}}.',
                name=name,
                pattern=pattern,
            )
        )
    if rule.get("State") != "ENABLED":
        raise Wrong(
            t(
                "{name} is {state}: enable it (events.enable_rule).",
                name=name,
                state=rule.get("State"),
            )
        )
    rule_tags = events.list_tags_for_resource(ResourceARN=rule["Arn"])["Tags"]
    if {"Key": TAG_KEY, "Value": TAG_VALUE} not in rule_tags:
        raise Wrong(
            t(
                "{name} is not tagged {TAG_KEY}={TAG_VALUE}, so 99_clean_up would leave it "
                "behind: put_rule it again with Tags=helpers.tags('Key').",
                name=name,
                TAG_KEY=TAG_KEY,
                TAG_VALUE=TAG_VALUE,
            )
        )
    machine = find_state_machine_arn(STATE_MACHINE)
    targets = events.list_targets_by_rule(Rule=name)["Targets"]
    chosen = next((t for t in targets if t["Arn"] == machine), None)
    if chosen is None:
        raise Wrong(
            t(
                "{name} has no target {STATE_MACHINE}: add one with events.put_targets.",
                name=name,
                STATE_MACHINE=STATE_MACHINE,
            )
        )
    if not chosen.get("RoleArn"):
        raise Wrong(
            t("{name}'s target has no RoleArn: EventBridge needs events_role_arn.", name=name)
        )
    if chosen.get("InputPath") != "$.detail":
        raise Wrong(
            t(
                '{name}\'s target does not pass only the detail: add "InputPath": "$.detail".',
                name=name,
            )
        )
    return t(
        "✅ {name} matches REFUND transactions only, and starts {STATE_MACHINE} with the detail.",
        name=name,
        STATE_MACHINE=STATE_MACHINE,
    )


@exercise("05-route")
def refunds_route_starts_executions() -> str:
    """The HTTP API has a route ``POST /refunds`` whose integration starts the blog's machine."""
    name = resource_name("transactions-http")
    apigw = boto3.client("apigatewayv2")
    apis = [api for api in apigw.get_apis()["Items"] if api["Name"] == name]
    if not apis:
        raise Wrong(
            t(
                "There is no HTTP API {name}: run the cells of 'API Gateway, way 1' first.",
                name=name,
            )
        )
    api_id = max(apis, key=lambda api: api["CreatedDate"])["ApiId"]
    routes = apigw.get_routes(ApiId=api_id)["Items"]
    route = next((r for r in routes if r["RouteKey"] == "POST /refunds"), None)
    if route is None:
        keys = ", ".join(sorted(r["RouteKey"] for r in routes))
        raise Wrong(
            t(
                "{name} has the routes {keys} but no POST /refunds: add it (create_route).",
                name=name,
                keys=keys,
            )
        )
    if not route.get("Target", "").startswith("integrations/"):
        raise Wrong(t("POST /refunds has no integration: give it Target=f'integrations/{{...}}'."))
    integration = apigw.get_integration(ApiId=api_id, IntegrationId=route["Target"].split("/")[1])
    starts = integration.get("RequestParameters", {}).get("StateMachineArn")
    if integration.get("IntegrationSubtype") != "StepFunctions-StartExecution" or (
        starts != find_state_machine_arn(STATE_MACHINE)
    ):
        raise Wrong(
            t(
                "POST /refunds's integration does not start executions of {STATE_MACHINE}: use "
                "integration_id, the integration of POST /transactions.",
                STATE_MACHINE=STATE_MACHINE,
            )
        )
    return t(
        "✅ POST /refunds on {name} starts executions of {STATE_MACHINE}.",
        name=name,
        STATE_MACHINE=STATE_MACHINE,
    )


# ---------------------------------------------------------------- 06 state types and data flow


@exercise("06-result-path")
def result_replaces_input() -> str:
    """``data-flow-exercise``: AddStatus has ``"ResultPath": "$"``, and its newest run failed
    with ``States.Runtime``."""
    name, arn, definition = _state_machine(
        "data-flow-exercise",
        "deploy your copy with helpers.deploy_state_machine('data-flow-exercise', ...).",
    )
    result_path = definition.get("States", {}).get("AddStatus", {}).get("ResultPath")
    if result_path != "$":
        raise Wrong(
            t(
                "{name}'s AddStatus has ResultPath {result_path!r}: which path means the whole "
                "input?",
                name=name,
                result_path=result_path,
            )
        )
    execution = _newest_execution(name, arn, "run it with helpers.run(..., order).")
    if _ending(execution) != "FAILED with States.Runtime":
        raise Wrong(
            t(
                "The newest execution of {name} ended {ending}: with only ResultPath changed, a "
                "run with `order` fails with States.Runtime.",
                name=name,
                ending=_ended(execution),
            )
        )
    return t(
        "✅ AddStatus's Result replaced its whole input, so KeepTracking failed: States.Runtime."
    )


@exercise("06-parameters")
def order_summary_built() -> str:
    """``order-summary``'s newest run built ``{orderId, customer, source}`` from its input."""
    name, arn, _ = _state_machine(
        "order-summary", "deploy it with helpers.deploy_state_machine('order-summary', ...)."
    )
    execution = _newest_execution(name, arn, "run it with helpers.run(..., order).")
    if execution["status"] != "SUCCEEDED":
        raise Wrong(
            t(
                "The newest execution of {name} ended {ending}: {cause}",
                name=name,
                ending=_ended(execution),
                cause=execution.get("cause"),
            )
        )
    given = _json(execution.get("input"))
    try:
        expected = {
            "orderId": given["order"]["id"],
            "customer": given["order"]["customer"],
            "source": given["request"]["source"],
        }
    except (KeyError, TypeError) as error:
        raise Wrong(
            t("The newest execution of {name} did not run with `order`: run it so.", name=name)
        ) from (error)
    output = _json(execution.get("output"))
    if output != expected:
        raise Wrong(
            t(
                "{name} returned {output}, not {expected}: in Parameters, a key ending in .$ takes "
                "its value from a path such as $.order.id.",
                name=name,
                output=json.dumps(output),
                expected=json.dumps(expected),
            )
        )
    return t("✅ {name} built {expected} from the order.", name=name, expected=json.dumps(expected))


# ---------------------------------------------------------------- 07 error handling


@exercise("07-retry-timeout")
def ship_timeout_retried_once() -> str:
    """``checkout-exercise``: Ship retries ``States.Timeout`` once, and its newest run timed out
    twice (first try and retry) before the Catch took over."""
    name, arn, definition = _state_machine(
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
    execution = _newest_execution(name, arn, "run it with helpers.run(..., slow_partner).")
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
                ending=_ended(execution),
            )
        )
    return t(
        "✅ Ship timed out twice, on its first try and on the one retry; then Catch took over."
    )


@exercise("07-lambda-retrier")
def lambda_errors_retried() -> str:
    """``checkout-resilient``: Charge retries Lambda's four transient errors, still retries
    ``GatewayBusy``, and its newest run succeeded."""
    name, arn, definition = _state_machine(
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
    execution = _newest_execution(name, arn, "run it with helpers.run(..., busy_twice).")
    if execution["status"] != "SUCCEEDED":
        raise Wrong(
            t(
                "The newest execution of {name} ended {ending}: run it with busy_twice.",
                name=name,
                ending=_ended(execution),
            )
        )
    return t(
        "✅ {name}'s Charge retries Lambda's transient errors and GatewayBusy, and it succeeded.",
        name=name,
    )


# ---------------------------------------------------------------- 08 more than fifteen minutes


@exercise("08-strict")
def failure_budget_exceeded() -> str:
    """``price-all-lines-strict``: its Map tolerates 10 % of failures, and its newest run failed
    with ``States.ExceedToleratedFailureThreshold``."""
    name, arn, definition = _state_machine(
        "price-all-lines-strict",
        "deploy your copy with helpers.deploy_state_machine('price-all-lines-strict', ...).",
    )
    maps = [s for s in definition.get("States", {}).values() if s.get("Type") == "Map"]
    if not maps:
        raise Wrong(t("{name} has no Map state: start from a copy of price_all.", name=name))
    tolerated = maps[0].get("ToleratedFailurePercentage")
    if tolerated != 10:
        raise Wrong(
            t(
                "{name}'s Map tolerates {tolerated} % of failures: set it to 10.",
                name=name,
                tolerated=tolerated,
            )
        )
    execution = _newest_execution(name, arn, "run it with helpers.run(strict_arn, {}).")
    if _ending(execution) != "FAILED with States.ExceedToleratedFailureThreshold":
        raise Wrong(
            t(
                "The newest execution of {name} ended {ending}: 15 % of the lines fail, more "
                "than 10 %, so it should fail with States.ExceedToleratedFailureThreshold.",
                name=name,
                ending=_ended(execution),
            )
        )
    return t(
        "✅ More items failed than the 10 % tolerated: States.ExceedToleratedFailureThreshold."
    )


# ---------------------------------------------------------------- 09 JSONPath and JSONata


@exercise("09-default")
def jsonata_default_message() -> str:
    """``TransactionsJSONataDefault`` (JSONata): an EXCHANGE run succeeded with the message
    ``Unknown transaction type: EXCHANGE``."""
    name, arn, definition = _state_machine(
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
    execution = _newest_execution(name, arn, 'run it with {"TransactionType": "EXCHANGE"}.')
    given = _json(execution.get("input"))
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
    output = _json(execution.get("output"))
    if execution["status"] != "SUCCEEDED" or output != expected:
        raise Wrong(
            t(
                "The EXCHANGE execution ended {ending} with the output {output}, not {expected}: "
                "Unknown's Output is "
                '{{"Message": "{{% \'Unknown transaction type: \' & ... %}}"}}.',
                ending=_ended(execution),
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
    name, arn, definition = _state_machine(
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
    execution = _newest_execution(name, arn, 'run it with {"customer": "kim", "amount": 1200}.')
    if execution["status"] != "SUCCEEDED":
        raise Wrong(
            t(
                "The newest execution of {name} ended {ending}: {cause}",
                name=name,
                ending=_ended(execution),
                cause=execution.get("cause"),
            )
        )
    amount = (_json(execution.get("input")) or {}).get("amount")
    output = _json(execution.get("output"))
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


# ---------------------------------------------------------------- 10 service integrations


def _task_states(definition: dict) -> list[dict]:
    return [s for s in definition.get("States", {}).values() if s.get("Type") == "Task"]


@exercise("10-shipped")
def purchase_marked_shipped() -> str:
    """``MarkShipped``: a ``dynamodb:updateItem`` Task; its newest run (for ``p-1001``)
    succeeded, and the purchase's item in the table has ``Status`` ``SHIPPED``."""
    name, arn, definition = _state_machine(
        "MarkShipped",
        "deploy it with helpers.deploy_state_machine('MarkShipped', ..., role_arn).",
    )
    resources = [state.get("Resource") for state in _task_states(definition)]
    if "arn:aws:states:::dynamodb:updateItem" not in resources:
        raise Wrong(
            t(
                "{name} has no Task calling arn:aws:states:::dynamodb:updateItem (its Tasks call "
                "{resources}).",
                name=name,
                resources=resources or "nothing",
            )
        )
    execution = _newest_execution(name, arn, 'run it with {"PurchaseId": "p-1001"}.')
    if execution["status"] != "SUCCEEDED":
        raise Wrong(
            t(
                "The newest execution of {name} ended {ending}: {cause}",
                name=name,
                ending=_ended(execution),
                cause=execution.get("cause"),
            )
        )
    purchase_id = (_json(execution.get("input")) or {}).get("PurchaseId")
    if not isinstance(purchase_id, str):
        raise Wrong(
            t(
                'The newest execution of {name} had no PurchaseId in its input: use "p-1001".',
                name=name,
            )
        )
    item = (
        boto3.client("dynamodb")
        .get_item(TableName=resource_name("Purchases"), Key={"PurchaseId": {"S": purchase_id}})
        .get("Item")
    )
    status = ((item or {}).get("Status") or {}).get("S")
    if status != "SHIPPED":
        raise Wrong(
            t(
                "Purchase {purchase_id} has the Status {status!r} in the table, not 'SHIPPED': "
                'set it with "UpdateExpression": "SET #status = :shipped".',
                purchase_id=purchase_id,
                status=status,
            )
        )
    return t(
        "✅ {name} marked purchase {purchase_id} SHIPPED in the table.",
        name=name,
        purchase_id=purchase_id,
    )


@exercise("10-reject")
def purchase_rejected() -> str:
    """``ApprovePurchase``'s newest execution failed with ``PurchaseRejected`` after a
    ``SendTaskFailure`` that gave a reason."""
    name, arn, _definition = _state_machine(
        "ApprovePurchase", "run the notebook's cells from the top first."
    )
    execution = _newest_execution(
        name, arn, "start it, then answer it with the form's Reject button."
    )
    if execution.get("error") != "PurchaseRejected":
        raise Wrong(
            t(
                "The newest execution of {name} ended {ending}: start a new one and press Reject "
                "in a form (not Approve), with a reason.",
                name=name,
                ending=_ended(execution),
            )
        )
    events = executions.execution_history(execution["executionArn"])
    failed = [e["taskFailedEventDetails"] for e in events if e["type"] == "TaskFailed"]
    reason = failed[0].get("cause", "") if failed else ""
    if not reason or reason == "rejected without a reason":
        raise Wrong(t("The rejection gave no reason: type one in the form's Reason box first."))
    return t("✅ {name} ended with PurchaseRejected, because: {reason}", name=name, reason=reason)


@exercise("10-job")
def report_failure_caught() -> str:
    """``ReportWithFallback``: its ``ecs:runTask.sync`` Task catches ``States.TaskFailed``;
    its newest run's container failed, and the run succeeded through the catcher."""
    name, arn, definition = _state_machine(
        "ReportWithFallback",
        "deploy your copy with helpers.deploy_state_machine('ReportWithFallback', ..., role_arn).",
    )
    jobs = [
        state
        for state in _task_states(definition)
        if state.get("Resource") == "arn:aws:states:::ecs:runTask.sync"
    ]
    if not jobs:
        raise Wrong(
            t(
                "{name} has no ecs:runTask.sync Task: start from a copy of report_definition.",
                name=name,
            )
        )
    caught = [
        error for catcher in jobs[0].get("Catch", []) for error in catcher.get("ErrorEquals", [])
    ]
    if not {"States.TaskFailed", "States.ALL"} & set(caught):
        raise Wrong(
            t(
                '{name}\'s RunReport has no Catch for States.TaskFailed: add "Catch": '
                '[{{"ErrorEquals": ["States.TaskFailed"], "Next": "ReportFailed"}}].',
                name=name,
            )
        )
    execution = _newest_execution(name, arn, 'run it with {"PurchaseId": "p-1009", "Amount": 0}.')
    events = executions.execution_history(execution["executionArn"])
    failed = [e for e in events if e["type"] == "TaskFailed"]
    if not failed:
        raise Wrong(
            t(
                "In the newest execution of {name} the report did not fail: run it with an "
                'Amount of 0, e.g. {{"PurchaseId": "p-1009", "Amount": 0}}.',
                name=name,
            )
        )
    if execution["status"] != "SUCCEEDED":
        raise Wrong(
            t(
                "The newest execution of {name} ended {ending}: the Catch should lead to a Pass "
                "state that ends the execution.",
                name=name,
                ending=_ended(execution),
            )
        )
    return t("✅ {name} caught the failed report job and ended SUCCEEDED.", name=name)


# ---------------------------------------------------------------- 11 Standard vs Express


@exercise("11-errors")
def errors_only_without_data() -> str:
    """``TransactionsErrorsOnly``: an EXPRESS machine logging level ``ERROR`` without execution
    data to a tutorial log group, where its EXCHANGE run's failure is, with no input in it."""
    name, arn, _ = _state_machine(
        "TransactionsErrorsOnly",
        "create it with helpers.deploy_state_machine('TransactionsErrorsOnly', ..., "
        'type="EXPRESS", loggingConfiguration=...).',
    )
    described = boto3.client("stepfunctions").describe_state_machine(stateMachineArn=arn)
    if described["type"] != "EXPRESS":
        raise Wrong(
            t(
                "{name} is a {kind} machine: its type cannot change, so delete it "
                '(sfn.delete_state_machine) and create it with type="EXPRESS".',
                name=name,
                kind=described["type"],
            )
        )
    configuration = described.get("loggingConfiguration") or {}
    if configuration.get("level") != "ERROR":
        raise Wrong(
            t(
                '{name} logs at level {level}: set "level": "ERROR" in its loggingConfiguration.',
                name=name,
                level=configuration.get("level", "OFF"),
            )
        )
    if configuration.get("includeExecutionData"):
        raise Wrong(
            t('{name} logs its execution data: set "includeExecutionData": False.', name=name)
        )
    group = _tutorial_log_group(name, configuration)
    messages = _logged(group, f":express:{name}:", _newest_logged_run)
    if not messages:
        raise Wrong(
            t(
                "{group} holds no event of {name} yet: run it with sfn.start_sync_execution and "
                'the input {{"TransactionType": "EXCHANGE"}}.',
                group=group,
                name=name,
            )
        )
    types = {message["type"] for message in messages}
    if "ExecutionFailed" not in types:
        raise Wrong(
            t(
                "The newest run of {name} logged {types}, and no ExecutionFailed: run it with "
                '{{"TransactionType": "EXCHANGE"}}, which no Choice rule matches.',
                name=name,
                types=", ".join(sorted(types)),
            )
        )
    if "ExecutionStarted" in types or any(
        key in message.get("details", {}) for message in messages for key in ("input", "output")
    ):
        raise Wrong(
            t(
                "The newest run of {name} logged more than its errors, or their data: run it "
                "once more, now that it logs level ERROR without execution data.",
                name=name,
            )
        )
    return t(
        "✅ {name} logs only its failures, without inputs or outputs: {group} holds its "
        "ExecutionFailed (States.NoChoiceMatched) and nothing of what the caller sent.",
        name=name,
        group=group,
    )


@exercise("11-async")
def async_refund_logged() -> str:
    """The newest execution ``TransactionsExpressLogged`` logged was a REFUND that succeeded
    through ``ProcessRefund``."""
    name, arn, _ = _state_machine(
        "TransactionsExpressLogged", "run the notebook's cells from the top first."
    )
    described = boto3.client("stepfunctions").describe_state_machine(stateMachineArn=arn)
    group = _tutorial_log_group(name, described.get("loggingConfiguration") or {})

    def newest_run(messages):
        started = [m for m in messages if m["type"] == "ExecutionStarted"]
        if not started:
            return []
        newest = max(started, key=lambda m: (int(m["event_timestamp"]), m["execution_arn"]))
        run = [m for m in messages if m["execution_arn"] == newest["execution_arn"]]
        refund = "REFUND" in newest.get("details", {}).get("input", "")
        ended = any(m["type"] in executions.ENDINGS for m in run)
        return run if refund and ended else []

    run = _logged(group, f":express:{name}:", newest_run)
    if not run:
        raise Wrong(
            t(
                "The newest execution {group} holds for {name} is not a finished REFUND: start "
                'one with sfn.start_execution and {{"TransactionType": "REFUND"}}, then read it '
                "back with helpers.logged_history.",
                group=group,
                name=name,
            )
        )
    entered = [m["details"].get("name") for m in run if m["type"].endswith("StateEntered")]
    if "ProcessRefund" not in entered or not any(m["type"] == "ExecutionSucceeded" for m in run):
        raise Wrong(
            t(
                "The newest REFUND of {name} went {path} and did not succeed through "
                'ProcessRefund: check its input is exactly {{"TransactionType": "REFUND"}}.',
                name=name,
                path=" -> ".join(map(str, entered)),
            )
        )
    return t(
        "✅ The newest execution of {name} was a REFUND that succeeded through "
        "ProcessRefund, and its whole history is in {group}.",
        name=name,
        group=group,
    )


# ---------------------------------------------------------------- 12 stack as code


@exercise("12-default")
def stack_choice_has_a_default() -> str:
    """Stack ``sfn-tutorial-blog-stack`` was updated so that its state machine's Choice has a
    ``Default`` to a Fail state: in the definition the stack deploys (the file its processed
    template names in S3) and in the machine Step Functions runs."""
    stack = _stack(BLOG_STACK, "run the notebook's cells from the top: they deploy it.")
    if not stack["StackStatus"].startswith("UPDATE_COMPLETE"):
        raise Wrong(
            t(
                "{BLOG_STACK} is {status}: execute a change set that updates it (an "
                "UPDATE_ROLLBACK means the update failed: read helpers.stack_events).",
                BLOG_STACK=BLOG_STACK,
                status=stack["StackStatus"],
            )
        )
    arn = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}.get(
        "StateMachineArn"
    )
    if arn is None:
        raise Wrong(
            t(
                "{BLOG_STACK} has no StateMachineArn output: keep the template's Outputs.",
                BLOG_STACK=BLOG_STACK,
            )
        )
    deployed = _stack_definition(BLOG_STACK)
    for where, definition in (
        (t("the definition file the stack deploys"), deployed),
        (t("the state machine Step Functions runs"), _definition_of(arn)),
    ):
        states = definition.get("States", {})
        choice = states.get(definition.get("StartAt"), {})
        default = choice.get("Default")
        if choice.get("Type") != "Choice" or default is None:
            raise Wrong(
                t(
                    "The Choice state in {where} has no Default: add one in the workspace's "
                    "statemachine/transactions.asl.json, package, then create and execute a change "
                    "set.",
                    where=where,
                )
            )
        if states.get(default, {}).get("Type") != "Fail":
            raise Wrong(
                t(
                    "The Default in {where} goes to {default!r}, which is not a Fail state.",
                    where=where,
                    default=default,
                )
            )
    return t(
        "✅ {BLOG_STACK} deploys a Choice whose Default is the Fail state {default}, and "
        "Step Functions runs that same definition.",
        BLOG_STACK=BLOG_STACK,
        default=default,
    )


@exercise("12-trigger")
def stack_has_an_hourly_trigger() -> str:
    """Stack ``sfn-tutorial-blog-stack`` has an EventBridge rule with a schedule that starts its
    state machine with a PURCHASE."""
    stack = _stack(BLOG_STACK, "run the notebook's cells from the top: they deploy it.")
    arn = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}.get(
        "StateMachineArn"
    )
    cloudformation, events = boto3.client("cloudformation"), boto3.client("events")
    summaries = cloudformation.list_stack_resources(StackName=BLOG_STACK)["StackResourceSummaries"]
    rules = [
        s["PhysicalResourceId"]
        for s in summaries
        if s["ResourceType"] == "AWS::Events::Rule" and s["ResourceStatus"].endswith("COMPLETE")
    ]
    for rule in rules:
        described = events.describe_rule(Name=rule.split("|")[-1])
        if not described.get("ScheduleExpression"):
            continue
        targets = events.list_targets_by_rule(Rule=described["Name"])["Targets"]
        for found in targets:
            if found["Arn"] == arn and "PURCHASE" in found.get("Input", ""):
                return t(
                    "✅ {BLOG_STACK} has the rule {name}, {schedule}, which starts its "
                    "state machine with {input}.",
                    BLOG_STACK=BLOG_STACK,
                    name=described["Name"],
                    schedule=described["ScheduleExpression"],
                    input=found["Input"],
                )
        raise Wrong(
            t(
                "The scheduled rule {name} does not start the stack's state machine with "
                '{{"TransactionType": "PURCHASE"}}: give its event an Input.',
                name=described["Name"],
            )
        )
    raise Wrong(
        t(
            "{BLOG_STACK} has no scheduled EventBridge rule yet: add an event of Type "
            "Schedule to the state machine in the workspace's template.yaml, then deploy it "
            "with a change set.",
            BLOG_STACK=BLOG_STACK,
        )
    )


def _stack(name: str, hint: str) -> dict:
    """``DescribeStacks`` of a stack that exists."""
    cloudformation = boto3.client("cloudformation")
    try:
        return cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as error:
        if "does not exist" in str(error):
            raise Wrong(t("There is no stack {name}: {hint}", name=name, hint=hint)) from None
        raise


def _stack_definition(name: str) -> dict:
    """The state machine definition a stack deploys: the file its processed template's
    ``DefinitionS3Location`` names (as it stands before substitutions)."""
    processed = boto3.client("cloudformation").get_template(
        StackName=name, TemplateStage="Processed"
    )["TemplateBody"]
    template = processed if isinstance(processed, dict) else json.loads(processed)
    machines = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"
    ]
    properties = machines[0]["Properties"] if machines else {}
    if "DefinitionS3Location" in properties:
        location = properties["DefinitionS3Location"]
        body = boto3.client("s3").get_object(Bucket=location["Bucket"], Key=location["Key"])
        return json.loads(body["Body"].read())
    if "DefinitionString" in properties and isinstance(properties["DefinitionString"], str):
        return json.loads(properties["DefinitionString"])
    return properties.get("Definition") or {}


def _definition_of(state_machine_arn: str) -> dict:
    described = boto3.client("stepfunctions").describe_state_machine(
        stateMachineArn=state_machine_arn
    )
    return json.loads(described["definition"])


# ---------------------------------------------------------------- 13 operating a workflow

FULFILMENT = "Fulfilment"
LIVE_ALIAS = "live"


@exercise("13-rollback")
def alias_rolled_back() -> str:
    """``Fulfilment:live`` routes 100 % to version 1, and its newest execution ran version 1."""
    name, arn, _ = _state_machine(FULFILMENT, "run the notebook's cells from the top first.")
    sfn = boto3.client("stepfunctions")
    alias = f"{arn}:{LIVE_ALIAS}"
    try:
        routing = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)[
            "routingConfiguration"
        ]
    except ClientError as error:
        raise Wrong(
            t(
                "{name} has no alias {LIVE_ALIAS}: run the notebook's cells first.",
                name=name,
                LIVE_ALIAS=LIVE_ALIAS,
            )
        ) from error
    shares = {route["stateMachineVersionArn"]: route["weight"] for route in routing}
    if shares != {f"{arn}:1": 100}:
        shown = ", ".join(f"v{key.rsplit(':', 1)[1]} {value} %" for key, value in shares.items())
        raise Wrong(
            t(
                "{LIVE_ALIAS} routes {shown}: update it with "
                'routingConfiguration=[{{"stateMachineVersionArn": v1_arn, "weight": 100}}].',
                LIVE_ALIAS=LIVE_ALIAS,
                shown=shown,
            )
        )
    newest = _newest_execution(
        alias, alias, 'start one through the alias with {"TransactionType": "PURCHASE"}.'
    )
    if newest.get("stateMachineVersionArn") != f"{arn}:1":
        raise Wrong(
            t(
                "The newest execution started through {LIVE_ALIAS} ran version {version}: start "
                "one more now that the alias routes to version 1.",
                LIVE_ALIAS=LIVE_ALIAS,
                version=newest.get("stateMachineVersionArn", "?").rsplit(":", 1)[1],
            )
        )
    return t(
        "✅ {LIVE_ALIAS} routes every execution to version 1 again, and the newest one ran it.",
        LIVE_ALIAS=LIVE_ALIAS,
    )


@exercise("13-redrive")
def own_order_redriven() -> str:
    """Fulfilment's newest execution named ``my-order-...`` failed, was redriven and
    succeeded, with ``ProcessPurchase`` entered once."""
    name, arn, _ = _state_machine(FULFILMENT, "run the notebook's cells from the top first.")
    pages = (
        boto3.client("stepfunctions").get_paginator("list_executions").paginate(stateMachineArn=arn)
    )
    mine = [
        item for page in pages for item in page["executions"] if item["name"].startswith("my-order")
    ]
    if not mine:
        raise Wrong(
            t(
                "{name} has no execution named my-order-...: start one with "
                'name=f"my-order-{{int(time.time())}}" while the warehouse is broken.',
                name=name,
            )
        )
    newest = max(mine, key=lambda item: item["startDate"])
    execution = executions.wait_for_execution(newest["executionArn"], timeout_s=WAIT_S)
    if execution.get("redriveCount", 0) < 1:
        raise Wrong(
            t(
                "{name} ended {ending} and was never redriven: break the warehouse before "
                "starting it, then fix it and call sfn.redrive_execution.",
                name=newest["name"],
                ending=_ended(execution),
            )
        )
    if execution["status"] != "SUCCEEDED":
        raise Wrong(
            t(
                "{name} was redriven but ended {ending}: fix the warehouse (set_warehouse(...) "
                "with the working address) and redrive it again.",
                name=newest["name"],
                ending=_ended(execution),
            )
        )
    events = executions.execution_history(newest["executionArn"])
    purchases = [
        event
        for event in events
        if event["type"] == "TaskStateEntered"
        and event["stateEnteredEventDetails"]["name"] == "ProcessPurchase"
    ]
    if len(purchases) != 1:
        raise Wrong(
            t(
                "ProcessPurchase ran {count} times in {name}: redrive the execution instead of "
                "starting a new one.",
                count=len(purchases),
                name=newest["name"],
            )
        )
    return t(
        "✅ Your newest my-order execution failed at ConfirmOrder, was redriven after the "
        "fix and succeeded, with ProcessPurchase run once."
    )


@exercise("13-alarm")
def function_errors_alarm() -> str:
    """``sfn-tutorial-confirm-errors``: Sum of ConfirmOrder's ``Errors`` per minute, at least
    1 in one period, missing data not breaching, notifying the tutorial's ``alerts`` topic."""
    alarm_name = resource_name("confirm-errors")
    found = boto3.client("cloudwatch").describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"]
    if not found:
        raise Wrong(
            t(
                "There is no alarm {alarm_name} yet: create it with put_metric_alarm.",
                alarm_name=alarm_name,
            )
        )
    alarm = found[0]
    function = resource_name("ConfirmOrder")
    expected = {
        "Namespace": "AWS/Lambda",
        "MetricName": "Errors",
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
    }
    for field, value in expected.items():
        if alarm.get(field) != value:
            raise Wrong(
                t(
                    "{alarm_name} has {field} {found!r}: it should be {value!r}.",
                    alarm_name=alarm_name,
                    field=field,
                    found=alarm.get(field),
                    value=value,
                )
            )
    dimensions = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
    if dimensions != {"FunctionName": function}:
        raise Wrong(
            t(
                '{alarm_name} watches dimensions {dimensions}: give exactly [{{"Name": '
                '"FunctionName", "Value": "{function}"}}].',
                alarm_name=alarm_name,
                dimensions=dimensions,
                function=function,
            )
        )
    if not any(action.endswith(":" + resource_name("alerts")) for action in alarm["AlarmActions"]):
        raise Wrong(
            t(
                "{alarm_name} notifies {actions}: add topic_arn as an action.",
                alarm_name=alarm_name,
                actions=alarm["AlarmActions"],
            )
        )
    tags = boto3.client("cloudwatch").list_tags_for_resource(ResourceARN=alarm["AlarmArn"])
    if {"Key": TAG_KEY, "Value": TAG_VALUE} not in tags.get("Tags", []):
        raise Wrong(
            t("{alarm_name} is not tagged: add Tags=helpers.tags('Key').", alarm_name=alarm_name)
        )
    return t(
        "✅ {alarm_name} watches {function}'s errors every minute and notifies the alerts topic.",
        alarm_name=alarm_name,
        function=function,
    )


# ---------------------------------------------------------------- 14 testing a workflow

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
    name, _, definition = _state_machine(
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


# ---------------------------------------------------------------- reading the target


def _state_machine(name: str, hint: str) -> tuple[str, str, dict]:
    """``(full name, ARN, definition)`` of state machine ``sfn-tutorial-<name>``."""
    full_name = resource_name(name)
    arn = find_state_machine_arn(full_name)
    if arn is None:
        raise Wrong(
            t("There is no state machine {full_name} yet: {hint}", full_name=full_name, hint=hint)
        )
    described = boto3.client("stepfunctions").describe_state_machine(stateMachineArn=arn)
    return full_name, arn, json.loads(described["definition"])


def _newest_execution(name: str, arn: str, hint: str) -> dict:
    """``DescribeExecution`` of the newest execution of ``arn``, once it has ended."""
    pages = (
        boto3.client("stepfunctions").get_paginator("list_executions").paginate(stateMachineArn=arn)
    )
    found = [execution for page in pages for execution in page["executions"]]
    if not found:
        raise Wrong(t("{name} has no execution yet: {hint}", name=name, hint=hint))
    newest = max(found, key=lambda execution: execution["startDate"])
    try:
        return executions.wait_for_execution(newest["executionArn"], timeout_s=WAIT_S)
    except TimeoutError as error:
        raise Wrong(
            t(
                "The newest execution of {name} is still running after {WAIT_S} s: wait for it "
                "(helpers.show_execution), then run this check again.",
                name=name,
                WAIT_S=WAIT_S,
            )
        ) from error


def _tutorial_log_group(name: str, configuration: dict) -> str:
    """The name of the tutorial log group a machine's ``loggingConfiguration`` sends to."""
    destinations = configuration.get("destinations") or []
    arn = (
        (destinations[0].get("cloudWatchLogsLogGroup") or {}).get("logGroupArn", "")
        if (destinations)
        else ""
    )
    group = executions.log_group_name(arn) if arn else ""
    if not group.startswith(STATES_LOG_GROUP_PREFIX + NAME_PREFIX):
        raise Wrong(
            t(
                "{name} does not send its logs to a tutorial log group ({group}): use the ARN "
                "helpers.ensure_log_group(...) returned as its destination.",
                name=name,
                group=group or "none",
            )
        )
    return group


def _newest_logged_run(messages: list[dict]) -> list[dict]:
    """The logged events of the execution that logged last."""
    if not messages:
        return []
    newest = max(messages, key=lambda m: int(m.get("event_timestamp", 0)))["execution_arn"]
    return [message for message in messages if message["execution_arn"] == newest]


def _logged(group: str, fragment: str, accept) -> list:
    """``accept(messages)`` for the parsed log events of ``group`` whose execution ARN contains
    ``fragment``; on AWS, retried for a while (logs arrive late) until it is not empty."""
    patience = LOG_PATIENCE_S if target.chosen_target() == target.AWS else 0
    deadline = time.monotonic() + patience
    while True:
        pages = boto3.client("logs").get_paginator("filter_log_events").paginate(logGroupName=group)
        messages = [
            message
            for page in pages
            for event in page["events"]
            for message in [_json(event["message"])]
            if isinstance(message, dict) and fragment in message.get("execution_arn", "")
        ]
        accepted = accept(messages)
        if accepted or time.monotonic() > deadline:
            return accepted
        time.sleep(2)


def _one_line(message) -> str:
    """A message on one line: a check prints exactly one."""
    return " ".join(str(message).split())


def _ended(execution: dict) -> str:
    """``_ending`` in the notebook's language, for a check's line."""
    error = execution.get("error")
    if error:
        return t("{status} with {error}", status=execution["status"], error=error)
    return execution["status"]


def _ending(execution: dict) -> str:
    """``SUCCEEDED``, or e.g. ``FAILED with States.Runtime``."""
    error = execution.get("error")
    return f"{execution['status']} with {error}" if error else execution["status"]


def _json(text):
    """Parsed JSON text, or ``None``."""
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


def _newest_invocation_log(function_name: str) -> list[str]:
    """The log lines of a function's newest invocation, from ``START`` to ``END``."""
    logs = boto3.client("logs")
    group = f"/aws/lambda/{function_name}"
    since = int(time.time() * 1000) - 24 * 3600 * 1000
    try:
        pages = logs.get_paginator("filter_log_events").paginate(
            logGroupName=group, startTime=since
        )
        found = [event for page in pages for event in page["events"]]
    except logs.exceptions.ResourceNotFoundException:
        found = []
    starts = [e for e in found if e["message"].startswith("START RequestId:")]
    if not starts:
        raise Wrong(
            t(
                "{function_name} has no invocation in its log yet: invoke it.",
                function_name=function_name,
            )
        )
    newest = sorted(starts, key=lambda event: event["timestamp"])[-1]  # the last of equals
    stream = [e for e in found if e["logStreamName"] == newest["logStreamName"]]
    lines = [e["message"] for e in stream[stream.index(newest) :]]
    ending = next((i for i, line in enumerate(lines) if line.startswith("END RequestId:")), None)
    return lines if ending is None else lines[: ending + 1]


def _function_arn(folder: str) -> str:
    """The ARN of function ``sfn-tutorial-<folder>`` on the target."""
    name = resource_name(folder)
    try:
        return boto3.client("lambda").get_function_configuration(FunctionName=name)["FunctionArn"]
    except ClientError as error:
        raise Wrong(
            t("There is no function {name}: run the notebook's first cells.", name=name)
        ) from error


def _document(document) -> dict:
    """A policy document: boto3 gives it parsed, some clients as (URL-encoded) JSON text."""
    if isinstance(document, str):
        return json.loads(unquote(document))
    return document


def _statements(document) -> list[dict]:
    statements = _document(document).get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _listed(value) -> list[str]:
    return value if isinstance(value, list) else [value]


def _trusts(document: dict, service: str) -> bool:
    """Does a trust policy let ``service`` assume the role?"""
    return any(
        statement.get("Effect") == "Allow"
        and "sts:AssumeRole" in _listed(statement.get("Action", []))
        and service in _listed(statement.get("Principal", {}).get("Service", []))
        for statement in _statements(document)
    )


def _simulated(role_arn: str, action: str, resources: list[str]) -> dict[str, str]:
    """IAM's policy simulator's decision (``allowed``, ``implicitDeny``, ``explicitDeny``) for
    the role doing ``action`` on each resource: how IAM would decide the real calls."""
    results = boto3.client("iam").simulate_principal_policy(
        PolicySourceArn=role_arn, ActionNames=[action], ResourceArns=resources
    )["EvaluationResults"]
    return {result["EvalResourceName"]: result["EvalDecision"] for result in results}


def _pattern_matches(pattern: str, transaction_type: str) -> bool:
    """Does an EventBridge pattern match the shop's Transaction event of this type?

    EventBridge's ``TestEventPattern`` answers on AWS; the local emulator does not implement it,
    so there moto's matcher, the one the emulator delivers events with, answers instead."""
    session = boto3.session.Session()
    event = {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "Transaction",
        "source": "tutorial.shop",
        "account": boto3.client("sts").get_caller_identity()["Account"],
        "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": session.region_name,
        "resources": [],
        "detail": {"TransactionType": transaction_type},
    }
    if target.chosen_target() == target.AWS:
        answer = boto3.client("events").test_event_pattern(
            EventPattern=pattern, Event=json.dumps(event)
        )
        return answer["Result"]
    from moto.events.models import EventPattern

    return EventPattern.load(pattern).matches_event(event)
