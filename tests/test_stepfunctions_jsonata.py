"""JSONata and variables on the local target (emulator/stepfunctions/jsonata_support.py).

Every test runs a state machine on the emulator and says what AWS does.
"""

import json
import re

import machines
import pytest

from sfn_tutorial import executions
from sfn_tutorial.emulator.stepfunctions import jsonata_support


def run(emulator, definition: dict, execution_input=None) -> dict:
    """Create a state machine from ``definition``, run it once, return its description."""
    return machines.run("jsonata-test", definition, execution_input)


def jsonata_machine(*states: tuple[str, dict]) -> dict:
    """A JSONata state machine running ``states`` (name, state) in order."""
    chained = {}
    for index, (name, state) in enumerate(states):
        if index + 1 < len(states):
            chained[name] = {**state, "Next": states[index + 1][0]}
        else:
            chained[name] = {**state, "End": True}
    return {"QueryLanguage": "JSONata", "StartAt": states[0][0], "States": chained}


def output_of(description: dict):
    assert description["status"] == "SUCCEEDED", description.get("cause")
    return json.loads(description["output"])


def test_arguments_output_and_states_input_are_evaluated(emulator):
    definition = jsonata_machine(
        ("Total", {"Type": "Pass", "Output": {"total": "{% $sum($states.input.prices) %}"}})
    )
    assert output_of(run(emulator, definition, {"prices": [1, 2.5, 3]})) == {"total": 6.5}


def test_assigned_variables_are_read_by_later_states(emulator):
    definition = jsonata_machine(
        ("Remember", {"Type": "Pass", "Assign": {"name": "{% $states.input.who %}", "n": 2}}),
        ("Greet", {"Type": "Pass", "Output": "{% 'Hello ' & $name & ' x' & $string($n) %}"}),
    )
    assert output_of(run(emulator, definition, {"who": "Ada"})) == "Hello Ada x2"


def test_condition_chooses_with_jsonata(emulator):
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Route",
        "States": {
            "Route": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $states.input.amount > 100 %}", "Next": "Big"}],
                "Default": "Small",
            },
            "Big": {"Type": "Pass", "Output": "big", "End": True},
            "Small": {"Type": "Pass", "Output": "small", "End": True},
        },
    }
    assert output_of(run(emulator, definition, {"amount": 250})) == "big"
    assert output_of(run(emulator, definition, {"amount": 5})) == "small"


def test_jsonpath_states_read_variables_too(emulator):
    definition = {
        "StartAt": "Remember",
        "States": {
            "Remember": {"Type": "Pass", "Assign": {"city.$": "$.city"}, "Next": "Use"},
            "Use": {"Type": "Pass", "Parameters": {"where.$": "$city"}, "End": True},
        },
    }
    assert output_of(run(emulator, definition, {"city": "Seoul"})) == {"where": "Seoul"}


def test_strings_with_quotes_and_backslashes_survive_variables(emulator):
    tricky = 'say "hi" \\ then\nleave'
    definition = jsonata_machine(
        ("Keep", {"Type": "Pass", "Assign": {"text": "{% $states.input.text %}"}}),
        ("Give", {"Type": "Pass", "Output": "{% $text %}"}),
    )
    assert output_of(run(emulator, definition, {"text": tricky})) == tricky


def test_undefined_result_fails_naming_expression_and_field(emulator):
    definition = jsonata_machine(
        ("State0", {"Type": "Pass", "Output": {"result": "{% $doesNotExist %}"}})
    )
    description = run(emulator, definition)
    assert description["status"] == "FAILED"
    assert description["error"] == "States.QueryEvaluationError"
    assert description["cause"].endswith(
        "The JSONata expression '$doesNotExist' specified for the field 'Output/result' "
        "returned nothing (undefined)."
    )


def test_engine_errors_carry_the_jsonata_error_code(emulator):
    # AWS has no $randomSeeded: calling it is JSONata's T1006.
    definition = jsonata_machine(("State0", {"Type": "Pass", "Output": "{% $randomSeeded(1) %}"}))
    description = run(emulator, definition)
    assert description["error"] == "States.QueryEvaluationError"
    assert description["cause"].endswith(
        "specified for the field 'Output' threw an error during evaluation. "
        "T1006: Attempted to invoke a non-function"
    )


def test_the_value_at_hand_is_dollar(emulator):
    # AWS: "$" is the value at hand, e.g. each item in a filter: $count(...[$ = 1]) counts 1s.
    definition = jsonata_machine(
        ("Count", {"Type": "Pass", "Output": "{% $count($states.input.values[$ = 1]) %}"})
    )
    assert output_of(run(emulator, definition, {"values": [1, 0, 1]})) == 2


def test_a_function_is_not_a_result(emulator):
    definition = jsonata_machine(
        ("State0", {"Type": "Pass", "Output": "{% function($x){$x} %}"}),
    )
    description = run(emulator, definition)
    assert description["error"] == "States.QueryEvaluationError"
    assert description["cause"].endswith("returned an unsupported result type.")


def test_step_functions_functions(emulator):
    definition = jsonata_machine(
        (
            "State0",
            {
                "Type": "Pass",
                "Output": {
                    "hash": "{% $hash('abc', 'SHA-256') %}",
                    "uuid": "{% $uuid() %}",
                    "same_seed": "{% $random(7) = $random(7) %}",
                    "range": "{% $range(1, 9, 3) %}",
                    "partition": "{% $partition([1, 2, 3], 2) %}",
                    "parse": "{% $parse('{\"a\": [1]}') %}",
                },
            },
        )
    )
    output = output_of(run(emulator, definition))
    assert output["hash"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", output["uuid"]
    )
    assert output["same_seed"] is True
    assert output["range"] == [1, 4, 7]
    assert output["partition"] == [[1, 2], [3]]
    assert output["parse"] == {"a": [1]}


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("1 + 1", 2),
        ("3 / 2", 1.5),
        ("[1, 2]", [1, 2]),
        ("null", None),
        ("{'a': true}", {"a": True}),
    ],
)
def test_engine_returns_plain_json(expression, value):
    assert jsonata_support.evaluate(expression) == value


def test_engine_tells_undefined_from_null():
    with pytest.raises(jsonata_support.Undefined):
        jsonata_support.evaluate("$nothing")


def test_a_failing_task_argument_writes_one_evaluation_failed_event(emulator):
    # AWS: one EvaluationFailed event, naming the state and the field as its location.
    definition = jsonata_machine(
        (
            "Call",
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": "{% $doesNotExist %}",
            },
        )
    )
    description = run(emulator, definition)
    assert description["error"] == "States.QueryEvaluationError"
    events = executions.execution_history(description["executionArn"])
    assert [event["type"] for event in events] == [
        "ExecutionStarted",
        "TaskStateEntered",
        "EvaluationFailed",
        "ExecutionFailed",
    ]
    details = events[2]["evaluationFailedEventDetails"]
    assert (details["state"], details["location"]) == ("Call", "Arguments")
    assert details["cause"] == description["cause"]
