"""What ``TestState`` refuses before it runs anything, with the errors AWS answers.

A definition AWS would not accept, a ``stateName`` the definition does not have, Map and
Parallel states without a mock, a mock that does not fit the state (a result and an error
together, a result that is not JSON, not one result per Parallel branch, fewer Map iterations
than failed ones, or not what the service returns: ``mocked_results``), a Task without
``roleArn`` that would really call its service, and a ``context`` object with fields an
execution's context object cannot have. ``test_state`` calls these in this order; each raises
``ValidationException`` or ``InvalidDefinition``. The messages are AWS's, recorded on AWS
(``../shared/conformance-test-state/``, and LocalStack's TestState snapshots for those said so).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sfn_tutorial.emulator.stepfunctions import mocked_results, validation

SINGLE_STATE_NAME = "StateName"  # what AWS names the state it tests
NEEDS_A_MOCK = (
    "TestState API does not support Map or Parallel states. Supported state types include: "
    "[Task, Wait, Pass, Succeed, Fail, Choice]"
)
NEEDS_A_MOCK_TO_WAIT = (
    "TestState API does not support Activity tasks, .sync or .waitForTaskToken service "
    "integration patterns unless a mock is specified"
)
NEVER_MOCKED = ("Pass", "Wait", "Choice", "Succeed", "Fail")
# AWS-recorded (LocalStack's TestState snapshots, test_state_mock_validation)
ONE_RESULT_PER_BRANCH = (
    "Mocked result must contain the same number of items as number of Parallel branches."
)
MORE_FAILURES_THAN_ITERATIONS = (
    "Map iteration failure count must be less than or equal to the number of Map iterations"
)
CONTEXT_FIELDS = {
    "Execution": {"Id": str, "Input": object, "Name": str, "RoleArn": str, "StartTime": str},
    "State": {"EnteredTime": str, "Name": str, "RetryCount": int},
    "StateMachine": {"Id": str, "Name": str},
    "Task": {"Token": str},
}
TYPE_WORDS = {str: "a string", int: "a number", dict: "an object"}


def validation_error(message: str):
    """Step Functions' ``ValidationException`` with ``message``."""
    from moto.stepfunctions.exceptions import ValidationException

    return ValidationException(message)


def invalid_definition(message: str):
    """Step Functions' ``InvalidDefinition`` with ``message``."""
    from moto.stepfunctions.parser.api import InvalidDefinition

    return InvalidDefinition(message)


@dataclass
class Mock:
    """A checked ``mock``: the parsed ``result``, or the ``errorOutput``'s error and cause."""

    result: Any = None
    error: str | None = None
    cause: str | None = None

    @property
    def fails(self) -> bool:
        return self.error is not None


@dataclass
class Selected:
    """The state a TestState request tests: its name, its definition and a machine to run it in
    (the whole machine for a top-level state, a machine of that state alone otherwise)."""

    name: str
    state: dict
    machine: dict


def selected_state(definition: str, state_name: str | None) -> Selected:
    """The state to test, once its definition is one AWS accepts (``InvalidDefinition``).

    Without ``stateName`` the definition is one state, which AWS validates and runs as the only
    state of a machine, named ``StateName`` (its ``Next`` may name a state it does not have).
    With it, the definition is a whole state machine, validated as ``CreateStateMachine``
    validates it, and the state is found at any depth (AWS: "stateName ... the name of the state
    to test", also inside a Parallel branch or a Map's ``ItemProcessor``); it runs with the
    machine's ``QueryLanguage``. A name found nowhere: ``State not found in definition``.
    """
    try:
        document = json.loads(definition)
    except ValueError:
        found = validation.diagnostics(definition)
        raise invalid_definition(validation.error_message(found)) from None
    if state_name is None:
        if not isinstance(document, dict):
            raise invalid_definition(
                validation.error_message(
                    [validation.diagnostic("SCHEMA_VALIDATION_FAILED", "A state must be an object")]
                )
            )
        machine = {"StartAt": SINGLE_STATE_NAME, "States": {SINGLE_STATE_NAME: document}}
        _check_definition(machine, whole_machine=False)
        return Selected(SINGLE_STATE_NAME, document, machine)
    _check_definition(document, whole_machine=True)
    top_level = document.get("States") or {}
    if isinstance(top_level.get(state_name), dict):
        return Selected(state_name, top_level[state_name], document)
    nested = _nested_state(document, state_name)
    if nested is None:
        raise validation_error("State not found in definition")
    machine = {"StartAt": state_name, "States": {state_name: nested}}
    if "QueryLanguage" in document:
        machine["QueryLanguage"] = document["QueryLanguage"]
    return Selected(state_name, nested, machine)


def _nested_state(machine: dict, name: str) -> dict | None:
    """The state ``name`` in the branches and item processors of ``machine``'s states, depth
    first; ``None`` when there is none."""
    states = machine.get("States")
    for state in states.values() if isinstance(states, dict) else ():
        if not isinstance(state, dict):
            continue
        inner = [*(state.get("Branches") or []), state.get("ItemProcessor"), state.get("Iterator")]
        for scope in filter(lambda item: isinstance(item, dict), inner):
            found = (scope.get("States") or {}).get(name)
            if isinstance(found, dict):
                return found
            if found := _nested_state(scope, name):
                return found
    return None


def _check_definition(machine: dict, whole_machine: bool) -> None:
    found = validation.diagnostics(json.dumps(machine), transitions=whole_machine)
    if found:
        raise invalid_definition(validation.error_message(found))


def checked_mock(
    mock: dict | None, state: dict, reveal_secrets: bool, configuration: dict
) -> Mock | None:
    """The request's ``mock``, checked as AWS checks it against the state it stands in for.

    Without a mock, Map and Parallel states cannot be tested, nor Tasks that would wait for an
    activity worker, a ``.sync`` job or a task token (AWS: "TestState only supports the following
    when a mock is specified: Activity tasks, .sync or .waitForTaskToken service integration
    patterns, Parallel, or Map states"; the wording of that refusal is the emulator's), nor can
    ``mapIterationFailureCount`` be given. A mock holds a ``result`` or an ``errorOutput``, not
    both; it cannot come with ``revealSecrets``, nor stand in for a state that calls nothing
    (Pass, Wait, Choice, Succeed, Fail). A result must be JSON: an array for a Parallel state or
    a Map state (an object for a Map with a ``ResultWriter``), one result per branch of a
    Parallel state, at least as many Map iterations as ``mapIterationFailureCount`` says failed,
    and for a Task what its service answers (``fieldValidationMode`` STRICT by default,
    PRESENT, NONE: ``mocked_results``).
    """
    state_type = state.get("Type")
    if not mock or (mock.get("result") is None and mock.get("errorOutput") is None):
        if configuration.get("mapIterationFailureCount") is not None:
            raise validation_error(
                "TestState does not support MapIterationFailureCount when a mock is not specified."
            )
        if state_type in ("Map", "Parallel"):
            raise invalid_definition(NEEDS_A_MOCK)
        if waits_for_its_task(state) or ":activity:" in str(state.get("Resource", "")):
            raise invalid_definition(NEEDS_A_MOCK_TO_WAIT)
        return None
    if mock.get("result") is not None and mock.get("errorOutput") is not None:
        raise validation_error(
            "A test mock should have only one of the following fields: [result, errorOutput]."
        )
    if reveal_secrets:
        raise validation_error("TestState does not support RevealSecrets when a mock is specified.")
    if state_type in NEVER_MOCKED:
        raise validation_error(
            f"State type '{state_type}' is not supported when a mock is specified"
        )
    if mock.get("errorOutput") is not None:
        output = mock["errorOutput"]
        return Mock(error=output.get("error") or "", cause=output.get("cause") or "")
    try:
        result = json.loads(mock["result"])
    except ValueError:
        raise validation_error("Mocked result must be valid JSON") from None
    if state_type == "Map" and "ResultWriter" in state:
        if not isinstance(result, dict):
            raise validation_error("Mocked result must be a JSON object.")
    elif state_type in ("Map", "Parallel") and not isinstance(result, list):
        raise validation_error("Mocked result must be an array.")
    if state_type == "Parallel" and len(result) != len(state.get("Branches") or ()):
        raise validation_error(ONE_RESULT_PER_BRANCH)
    failed = configuration.get("mapIterationFailureCount")
    if state_type == "Map" and isinstance(result, list) and (failed or 0) > len(result):
        raise validation_error(MORE_FAILURES_THAN_ITERATIONS)
    if state_type == "Task":
        mode = mock.get("fieldValidationMode") or "STRICT"
        wrong = mocked_results.problem(str(state.get("Resource", "")), result, mode)
        if wrong:
            raise validation_error(wrong)
    return Mock(result=result)


def check_role(role_arn: str | None, state: dict, mock: Mock | None) -> None:
    """A Task state that really calls its service needs the role it would call it with."""
    if state.get("Type") == "Task" and mock is None and not role_arn:
        raise validation_error("RoleArn must be specified when testing a Task state")


def checked_context(text: str | None, state: dict) -> dict | None:
    """The request's ``context`` object, parsed: it may hold ``Execution``, ``State``,
    ``StateMachine`` (and ``Task``, for a Task state with ``.sync`` or ``.waitForTaskToken``),
    with the fields and types of an execution's context object; ``Map`` cannot be mocked. AWS
    answers e.g. ``Invalid Context object provided: Execution.Id must be a string``."""
    if text is None:
        return None

    def invalid(reason: str):
        return validation_error(f"Invalid Context object provided: {reason}")

    try:
        context = json.loads(text)
    except ValueError:
        raise invalid("Context object must be valid JSON") from None
    if not isinstance(context, dict):
        raise invalid("Context object must be a JSON object")
    for key, value in context.items():
        if key == "Map":
            raise invalid("'Map' field is not supported when mocking a Context object")
        if key not in CONTEXT_FIELDS:
            raise invalid(f"Field '{key}' is not allowed")
        if not isinstance(value, dict):
            raise invalid(f"{key} must be an object")
        for field, item in value.items():
            wanted = CONTEXT_FIELDS[key].get(field)
            if wanted is None:  # AWS names the field alone (LocalStack's recording of AWS)
                raise invalid(f"Field '{field}' is not allowed")
            if wanted is not object and (not isinstance(item, wanted) or isinstance(item, bool)):
                raise invalid(f"{key}.{field} must be {TYPE_WORDS[wanted]}")
    if "Task" in context and not waits_for_its_task(state):
        raise invalid(
            "Context object contains 'Task' when state is not a Task state with a '.sync' or "
            "'.waitForTaskToken' service integration pattern"
        )
    return context


def waits_for_its_task(state: dict) -> bool:
    """Whether a state is a Task with the ``.sync`` or ``.waitForTaskToken`` pattern."""
    resource = str(state.get("Resource", ""))
    pattern = re.search(r"\.(sync(:2)?|waitForTaskToken)$", resource)
    return state.get("Type") == "Task" and pattern is not None


def parsed_json(text: str | None, default: Any, what: str) -> Any:
    """``input`` or ``variables`` as JSON (``InvalidExecutionInput`` / ``ValidationException``
    when it is not)."""
    if text is None:
        return default
    try:
        return json.loads(text)
    except ValueError as error:
        if what == "input":
            from moto.stepfunctions.parser.api import InvalidExecutionInput

            raise InvalidExecutionInput(
                f"Invalid State Machine Execution Input: '{error}'"
            ) from None
        raise validation_error(f"Invalid {what}: '{error}'") from None
