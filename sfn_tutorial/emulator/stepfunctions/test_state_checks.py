"""What ``TestState`` refuses before it runs anything, with the errors AWS answers.

Recorded against AWS (``../shared/conformance-test-state/``): a ``stateName`` the definition does
not have, a definition AWS would not accept, Map and Parallel states without a mock, a mock that
does not fit the state (a result and an error together, a result that is not JSON, or not what
the service returns), a Task without ``roleArn`` that would really call its service, and a
``context`` object with fields an execution's context object cannot have. ``test_state`` calls
these in this order; each raises ``ValidationException`` or ``InvalidDefinition``.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from dataclasses import dataclass
from typing import Any

from sfn_tutorial.emulator.stepfunctions import validation

SINGLE_STATE_NAME = "StateName"  # what AWS names a state tested on its own
NEEDS_A_MOCK = (
    "TestState API does not support Map or Parallel states. Supported state types include: "
    "[Task, Wait, Pass, Succeed, Fail, Choice]"
)
NEEDS_A_MOCK_TO_WAIT = (
    "TestState API does not support Activity tasks, .sync or .waitForTaskToken service "
    "integration patterns unless a mock is specified"
)
NEVER_MOCKED = ("Pass", "Wait", "Choice", "Succeed", "Fail")
# Step Functions' own names of services whose botocore names differ
BOTO_SERVICE_NAMES = {"sfn": "stepfunctions", "states": "stepfunctions"}
# Members of a service's answer that Step Functions gives as JSON, whatever their API type:
# the optimised Lambda integration parses the function's Payload.
JSON_MEMBERS = {("lambda", "Invoke"): {"Payload"}}
SERVICE_RESOURCE = re.compile(r"arn:aws[\w-]*:states:::(?:aws-sdk:)?([\w-]+):(\w+)")
CONTEXT_FIELDS = {
    "Execution": {"Id": str, "Input": object, "Name": str, "RoleArn": str, "StartTime": str},
    "State": {"EnteredTime": str, "Name": str, "RetryCount": int},
    "StateMachine": {"Id": str, "Name": str},
    "Task": {"Token": str},
}
TYPE_WORDS = {str: "a string", int: "a number", dict: "an object"}
_models = threading.Lock()  # botocore loads a service's model once; requests run in threads


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


def selected_state(definition: str, state_name: str | None) -> tuple[str, dict, dict]:
    """``(name, state, machine)``: the state to test and a whole machine that holds it.

    With ``stateName`` the definition is a state machine and the state one of its top-level
    states (``State not found in definition`` otherwise); without it the definition is one
    state, which AWS tests as the only state of a machine, named ``StateName``.
    """
    try:
        document = json.loads(definition)
    except ValueError:
        found = validation.diagnostics(definition)
        raise invalid_definition(validation.error_message(found)) from None
    if state_name is not None:
        states = document.get("States") if isinstance(document, dict) else None
        if not isinstance(states, dict) or not isinstance(states.get(state_name), dict):
            raise validation_error("State not found in definition")
        return state_name, states[state_name], document
    if not isinstance(document, dict):
        raise invalid_definition(
            validation.error_message(
                [validation.diagnostic("SCHEMA_VALIDATION_FAILED", "A state must be an object")]
            )
        )
    machine = {"StartAt": SINGLE_STATE_NAME, "States": {SINGLE_STATE_NAME: document}}
    return SINGLE_STATE_NAME, document, machine


def check_definition(machine: dict, whole_machine: bool) -> None:
    """AWS validates the definition as ``CreateStateMachine`` does (``InvalidDefinition``); a
    lone state's ``Next`` may name a state it does not have."""
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
    a Map state (an object for a Map with a ``ResultWriter``), and for a Task what its service
    answers (``fieldValidationMode`` STRICT by default, PRESENT, NONE: ``check_result_fields``).
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
    if state_type == "Task":
        mode = mock.get("fieldValidationMode") or "STRICT"
        check_result_fields(str(state.get("Resource", "")), result, mode)
    return Mock(result=result)


def check_result_fields(resource: str, result: Any, mode: str) -> None:
    """A Task's mocked result must be what its service answers, as the service's API model
    describes the answer (with Step Functions' capitalised field names): in STRICT mode every
    required field is there and every field has its type, allowed values and range; in PRESENT
    mode the fields that are there do; NONE checks nothing. Fields the API does not have, and
    services or patterns without a model of their answer (Lambda functions called by ARN,
    ``.sync``, ``.waitForTaskToken``, ``apigateway:invoke``), are not checked. AWS answers
    ``Mock result schema validation error: Field 'EventId' must be a string``."""
    if mode == "NONE":
        return
    found = _answer_shape(resource)
    if found is None:
        return
    shape, json_members = found
    if not isinstance(result, dict):
        raise validation_error("Mocked result must be a JSON object.")
    problem = _problem(result, shape, None, mode == "STRICT", json_members)
    if problem:
        raise validation_error(f"Mock result schema validation error: {problem}")


@functools.lru_cache(maxsize=64)
def _answer_shape(resource: str):
    """The botocore output shape of a request-response service integration, and the members
    given as JSON; ``None`` when the resource has no such model."""
    match = SERVICE_RESOURCE.fullmatch(resource)
    if match is None:
        return None
    service = BOTO_SERVICE_NAMES.get(match.group(1), match.group(1))
    operation = match.group(2)[:1].upper() + match.group(2)[1:]
    try:
        with _models:
            model = _botocore_session().get_service_model(service)
    except Exception:  # noqa: BLE001 - a service botocore does not know has no model
        return None
    if operation not in model.operation_names:
        return None
    shape = model.operation_model(operation).output_shape
    if shape is None:
        return None
    return shape, frozenset(JSON_MEMBERS.get((service, operation), ()))


@functools.lru_cache(maxsize=1)
def _botocore_session():
    import botocore.session

    return botocore.session.get_session()


def _capitalised(name: str) -> str:
    return name[:1].upper() + name[1:]


def _problem(value: Any, shape, name: str | None, strict: bool, json_members=()) -> str | None:
    """What is wrong with ``value`` as a ``shape``, in AWS's words; ``None`` if nothing."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return f"Field '{name}' must be an object"
        # Step Functions capitalises the API's field names: executionArn is ExecutionArn
        members = {_capitalised(member): item for member, item in shape.members.items()}
        if strict:
            for required in map(_capitalised, shape.required_members):
                if value.get(required) is None:
                    return f"Required field '{required}' is missing"
        for key, item in value.items():
            if key not in members or item is None or key in json_members:
                continue
            found = _problem(item, members[key], key, strict)
            if found:
                return found
        return None
    if kind == "list":
        if not isinstance(value, list):
            return f"Field '{name}' must be an array"
        for item in value:
            found = item is not None and _problem(item, shape.member, name, strict)
            if found:
                return found
        return None
    if kind == "map":
        if not isinstance(value, dict):
            return f"Field '{name}' must be an object"
        for item in value.values():
            found = item is not None and _problem(item, shape.value, name, strict)
            if found:
                return found
        return None
    if kind in ("string", "timestamp", "blob"):
        if not isinstance(value, str):
            return f"Field '{name}' must be a string"
        if getattr(shape, "enum", None) and value not in shape.enum:
            return f"Field '{name}' is not an expected value"
        return None
    if kind == "boolean":
        return None if isinstance(value, bool) else f"Field '{name}' must be a boolean"
    if kind in ("integer", "long", "float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"Field '{name}' must be a number"
        if "min" in shape.metadata and value < shape.metadata["min"]:
            return f"Field '{name}' is less than the minimum value"
        if "max" in shape.metadata and value > shape.metadata["max"]:
            return f"Field '{name}' exceeds the maximum value"
    return None


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
            if wanted is None:
                raise invalid(f"Field '{key}.{field}' is not allowed")
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
