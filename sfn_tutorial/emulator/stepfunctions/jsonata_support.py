"""JSONata and variables on the local target, through the pure-Python ``jsonata-python`` engine.

Since November 2024 a state machine may be written in JSONata (``"QueryLanguage": "JSONata"``,
with ``Arguments``, ``Output``, ``Condition`` and ``{% ... %}`` expressions over ``$states``) and
any state may ``Assign`` variables that later states read as ``$name``, in JSONPath machines too.
moto's interpreter parses all of this but leaves its JSONata evaluator unset, so every expression
and every variable reference fails. ``apply()`` plugs in an engine and makes its failures read as
AWS's do. Each fix is a small function with a docstring saying what AWS does;
``tests/test_jsonata.py`` checks them against a running emulator.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import threading
import uuid
from typing import Any

_fields = threading.local()


def apply() -> None:
    """Give moto's interpreter a JSONata engine, and AWS's JSONata error reports."""
    jsonata_expressions_are_evaluated()
    step_functions_jsonata_functions()
    string_variables_keep_their_quotes()
    the_current_value_may_be_used()
    jsonata_failures_name_the_expression_and_field()
    evaluation_failures_are_recorded_once()


# -- the engine -----------------------------------------------------------------------------


class Undefined(Exception):
    """The expression produced no value at all (JSONata's ``undefined``), not ``null``."""


class Unsupported(Exception):
    """The expression produced a value JSON cannot hold, such as a function."""


def evaluate(expression: str) -> Any:
    """The JSON value of a self-contained JSONata ``expression``.

    Raises ``jsonata.JException`` when it fails, ``Undefined`` when it yields nothing and
    ``Unsupported`` when its value is not JSON.
    """
    import jsonata

    compiled = jsonata.Jsonata(expression)
    compiled.set_output_convert_nulls(False)  # keep null apart from undefined
    for name, function in STEP_FUNCTIONS_FUNCTIONS.items():
        compiled.register_lambda(name, function)
    result = compiled.evaluate(None)
    if result is None:
        raise Undefined(expression)
    return _to_json(result)


def _uuid() -> str:
    """``$uuid()``: a random version 4 UUID."""
    return str(uuid.uuid4())


def _hash(value: Any, algorithm: Any) -> str:
    """``$hash(value, algorithm)``: the hex digest of a string with MD5, SHA-1, SHA-256,
    SHA-384 or SHA-512."""
    names = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384"}
    names["SHA-512"] = "sha512"
    if not isinstance(value, str) or algorithm not in names:
        raise ValueError(f"$hash needs a string and one of {', '.join(names)}")
    return hashlib.new(names[algorithm], value.encode()).hexdigest()


def _random(seed: Any = None) -> float:
    """``$random([seed])``: a number from 0 (included) to 1; the same for the same seed."""
    if seed is None:
        return random.random()
    return random.Random(int(seed)).random()


STEP_FUNCTIONS_FUNCTIONS = {"uuid": _uuid, "hash": _hash, "random": _random}


def _to_json(value: Any) -> Any:
    """``value`` as plain JSON data: ``null`` for JSONata's null, lists, dicts, numbers."""
    from jsonata.utils import Utils

    if value is Utils.NULL_VALUE or value is None:
        return None
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2**63 else value
    if isinstance(value, int):
        return value
    if isinstance(value, list):
        return [_to_json(item) for item in value if item is not None]
    if isinstance(value, dict):
        return {key: _to_json(item) for key, item in value.items() if item is not None}
    raise Unsupported(repr(type(value)))


def _moto_evaluator(expression: str) -> Any:
    """moto's evaluator contract: a JSON value, ``None`` for undefined, errors raised."""
    from moto.stepfunctions.parser.asl.jsonata.jsonata import JSONataException

    try:
        return evaluate(expression)
    except Undefined:
        return None
    except Unsupported as error:
        raise JSONataException("UNSUPPORTED", str(error)) from None
    except Exception as error:  # noqa: BLE001 - the engine's errors are the expression's
        raise JSONataException(getattr(error, "error", None) or "UNKNOWN", str(error)) from None


def jsonata_expressions_are_evaluated() -> None:
    """``{% expression %}`` is evaluated with JSONata over ``$states`` and the variables.

    moto composes each expression with its bindings into one JSONata program and hands it to an
    evaluator it never sets. Here that evaluator is ``jsonata-python``.
    """
    from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata

    moto_jsonata._eval_jsonata = _moto_evaluator


def step_functions_jsonata_functions() -> None:
    """Step Functions adds ``$partition``, ``$range``, ``$hash``, ``$random([seed])``, ``$uuid``
    and ``$parse`` to JSONata's functions, and no others: ``$randomSeeded(...)`` fails with
    ``T1006: Attempted to invoke a non-function``.

    moto defines ``$hash`` and ``$uuid`` as placeholders that return a "not supported" string,
    and a ``$randomSeeded`` that AWS does not have. Here ``$hash``, ``$uuid`` and ``$random``
    are real functions of the engine (``STEP_FUNCTIONS_FUNCTIONS``).
    """
    from moto.stepfunctions.parser.asl.component.intrinsic import jsonata as moto_functions

    for name in ("$hash", "$uuid", "$randomSeeded"):
        moto_functions._DECLARATION_BY_VARIABLE_REFERENCE.pop(name, None)


def string_variables_keep_their_quotes() -> None:
    """A variable or ``$states`` value holding a string with ``"``, ``\\`` or a line break reads
    back exactly as it was stored.

    moto writes string bindings into the composed program between quotes without escaping, so
    such a string breaks the program. Here every binding is written as a JSON literal.
    """
    import moto.stepfunctions.parser.asl.eval.states  # noqa: F401 - modules that copy it
    import moto.stepfunctions.parser.asl.eval.variable_store  # noqa: F401
    from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata

    def encode_jsonata_variable_declarations(bindings: dict[str, Any]) -> str:
        return "".join(
            f"{name}:={json.dumps(value, separators=(',', ':'))};"
            for name, value in bindings.items()
        )

    _replace_everywhere(
        moto_jsonata, "encode_jsonata_variable_declarations", encode_jsonata_variable_declarations
    )


def the_current_value_may_be_used() -> None:
    """``$`` in a JSONata expression is the value at hand, as in a filter or a function:
    ``$count($states.result[$ = 1])`` counts the results equal to 1.

    moto rejects every expression holding a lone ``$`` (as it does ``$$``) when it looks for the
    variables an expression reads, and the state fails with ``States.Runtime``.
    """
    import moto.stepfunctions.parser.asl.component.common.string.string_expression  # noqa: F401
    import moto.stepfunctions.parser.asl.static_analyser.variable_references_static_analyser  # noqa: F401, E501
    from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata

    original = moto_jsonata.extract_jsonata_variable_references

    def extract_jsonata_variable_references(expression):
        try:
            return original(expression)
        except moto_jsonata.IllegalJSONataVariableReference as error:
            if error.variable_reference != "$":
                raise
        found = moto_jsonata._PATTERN_VARIABLE_REFERENCE.findall(expression)
        references = {reference for reference in found if reference and reference != "$"}
        if "$$" in references:
            raise moto_jsonata.IllegalJSONataVariableReference(variable_reference="$$")
        return references

    _replace_everywhere(
        moto_jsonata, "extract_jsonata_variable_references", extract_jsonata_variable_references
    )


# -- failures -------------------------------------------------------------------------------


@contextlib.contextmanager
def field(name: str):
    """Mark the definition field being evaluated, for error causes such as ``Output/result``."""
    stack = _fields.__dict__.setdefault("stack", [])
    stack.append(name)
    try:
        yield
    finally:
        stack.pop()


def current_field() -> str:
    """The path of the field being evaluated, e.g. ``Assign/total``."""
    return "/".join(getattr(_fields, "stack", []))


def _wrap_with_field(component_class, name_of) -> None:
    """Evaluate every ``component_class`` inside ``field(name_of(component))``."""
    original = component_class._eval_body

    def _eval_body(self, env):
        with field(name_of(self)):
            return original(self, env)

    component_class._eval_body = _eval_body


class RecordedDetails(dict):
    """The details of a failure event already written to the history: the event manager
    leaves out any later event with them (``evaluation_failures_are_recorded_once``)."""


def query_evaluation_error(env, cause: str, location: str | None = None, record: bool = True):
    """A ``States.QueryEvaluationError`` failure; ``record`` adds its ``EvaluationFailed`` event
    to the history now (otherwise the state adds it when it handles the failure)."""
    from moto.stepfunctions.parser.api import EvaluationFailedEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    error_name = StatesErrorName(typ=StatesErrorNameType.StatesQueryEvaluationError)
    details = EvaluationFailedEventDetails(error=error_name.error_name, cause=cause)
    if location:
        details["location"] = location
    failure = FailureEventException(
        FailureEvent(
            env=env,
            error_name=error_name,
            event_type=HistoryEventType.EvaluationFailed,
            event_details=(RecordedDetails if record else EventDetails)(
                evaluationFailedEventDetails=details
            ),
        )
    )
    if record:
        env.event_manager.add_event(
            context=env.event_history_context,
            event_type=HistoryEventType.EvaluationFailed,
            event_details=EventDetails(
                evaluationFailedEventDetails=failure.get_evaluation_failed_event_details()
            ),
        )
    return failure


def jsonata_failures_name_the_expression_and_field() -> None:
    """A JSONata expression that fails stops the execution with ``States.QueryEvaluationError``
    and a cause naming the expression and the field, e.g. ``The JSONata expression '$x'
    specified for the field 'Output/result' returned nothing (undefined).``, ``... threw an error
    during evaluation. T1006: Attempted to invoke a non-function`` or ``... returned an
    unsupported result type.``

    moto lets engine errors escape as ``States.Runtime`` and names no field.
    """
    from moto.stepfunctions.parser.asl.component.common.assign.assign_decl import AssignDecl
    from moto.stepfunctions.parser.asl.component.common.assign.assign_template_binding import (
        AssignTemplateBinding,
    )
    from moto.stepfunctions.parser.asl.component.common.jsonata.jsonata_template_binding import (
        JSONataTemplateBinding,
    )
    from moto.stepfunctions.parser.asl.component.common.outputdecl import Output
    from moto.stepfunctions.parser.asl.component.common.parargs import Arguments
    from moto.stepfunctions.parser.asl.component.common.string.string_expression import (
        StringJSONata,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.items.items import (
        ItemsJSONata,
    )

    for component_class, name in (
        (Output, "Output"),
        (AssignDecl, "Assign"),
        (Arguments, "Arguments"),
        (ItemsJSONata, "Items"),
    ):
        _wrap_with_field(component_class, lambda _, name=name: name)
    _wrap_with_field(AssignTemplateBinding, lambda binding: binding.identifier)
    _wrap_with_field(JSONataTemplateBinding, lambda binding: binding.identifier)
    StringJSONata._eval_body = _eval_string_jsonata


def _eval_string_jsonata(self, env) -> None:
    """Evaluate ``{% expression %}`` with its bindings; fail as AWS does when it cannot."""
    from moto.stepfunctions.parser.asl.component.intrinsic.jsonata import (
        get_intrinsic_functions_declarations,
    )
    from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata

    references = moto_jsonata.extract_jsonata_variable_references(self.expression)
    program = moto_jsonata.compose_jsonata_expression(
        final_jsonata_expression=self.expression,
        variable_declarations_list=[
            get_intrinsic_functions_declarations(variable_references=references),
            env.states.to_variable_declarations(variable_references=references),
            env.variable_store.get_variable_declarations(),
        ],
    )
    described = f"The JSONata expression '{self.expression}'"
    location = current_field() or None
    if location:
        described += f" specified for the field '{location}'"
    try:
        result = evaluate(program)
    except Undefined:
        cause = f"{described} returned nothing (undefined)."
        raise query_evaluation_error(env, cause, location) from None
    except Unsupported:
        cause = f"{described} returned an unsupported result type."
        raise query_evaluation_error(env, cause, location) from None
    except Exception as error:  # noqa: BLE001 - the engine's errors are the expression's
        code = getattr(error, "error", None)
        message = _engine_message(error)
        reason = f"{code}: {message}" if code else message
        cause = f"{described} threw an error during evaluation. {reason}"
        raise query_evaluation_error(env, cause, location) from None
    env.stack.append(result)


def evaluation_failures_are_recorded_once() -> None:
    """A JSONata failure writes one ``EvaluationFailed`` event, with the state's name and the
    field's path as ``location`` (``Arguments``, ``Output/error``), then the state fails.

    A Task, Map or Parallel state writes the failure event of every error it handles; the
    ``EvaluationFailed`` event written when the expression failed was written a second time,
    without the state's name.
    """
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager

    original = EventManager.add_event

    def add_event(self, context, event_type, event_details=None, *args, **kwargs):
        if isinstance(event_details, RecordedDetails):
            return context.last_published_event_id
        return original(self, context, event_type, event_details, *args, **kwargs)

    EventManager.add_event = add_event


def _engine_message(error: Exception) -> str:
    """The engine's message without its code prefix."""
    message = str(error)
    code = getattr(error, "error", None)
    if code and message.startswith(code):
        message = message[len(code) :].lstrip(": ")
    return message


def _replace_everywhere(home, name: str, value) -> None:
    """Replace ``home.name`` and every copy that ``from home import name`` made elsewhere."""
    import sys

    original = getattr(home, name)
    for module in list(sys.modules.values()):
        if getattr(module, name, None) is original:
            setattr(module, name, value)
    setattr(home, name, value)
