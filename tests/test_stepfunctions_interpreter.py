"""Each fix in sfn_tutorial/emulator/stepfunctions/interpreter.py, checked on the running emulator.

Every test says what AWS does (as recorded in ../shared/conformance); the emulator must agree.
"""

import datetime
import json
import re

import boto3
import machines
import pytest

from sfn_tutorial import executions
from sfn_tutorial.emulator.stepfunctions import interpreter

AWS_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


def create(emulator, definition: dict) -> str:
    """Create a state machine from ``definition``; return its ARN."""
    return machines.create("fix-test", definition)


def run(emulator, definition: dict, execution_input=None, timeout_s: float = 30) -> dict:
    """Run ``definition`` once with ``execution_input``; return the execution's description."""
    return machines.run("fix-test", definition, execution_input, timeout_s)


def one_state(state: dict, **machine) -> dict:
    return {**machine, "StartAt": "Only", "States": {"Only": {**state, "End": True}}}


def test_a_rejected_definition_does_not_change_how_later_ones_are_read(emulator):
    # JSONata forbids Parameters: AWS rejects this one, then accepts a JSONPath one as usual.
    sfn = boto3.client("stepfunctions")
    bad = one_state({"Type": "Pass", "Parameters": {"a": 1}}, QueryLanguage="JSONata")
    with pytest.raises(sfn.exceptions.InvalidDefinition):
        create(emulator, bad)
    good = one_state({"Type": "Pass", "Parameters": {"a.$": "$.a"}, "ResultPath": "$.copy"})
    assert json.loads(run(emulator, good, {"a": 1})["output"]) == {"a": 1, "copy": {"a": 1}}


def test_assigned_string_literals_read_escapes_as_json(emulator):
    definition = {
        "StartAt": "Keep",
        "States": {
            "Keep": {"Type": "Pass", "Assign": {"doc": '{"key":"value"}'}, "Next": "Parse"},
            "Parse": {
                "Type": "Pass",
                "Parameters": {"v.$": "States.StringToJson($doc)"},
                "End": True,
            },
        },
    }
    assert json.loads(run(emulator, definition)["output"]) == {"v": {"key": "value"}}


def test_context_object_can_be_output_with_aws_times(emulator):
    description = run(emulator, one_state({"Type": "Pass", "InputPath": "$$"}))
    assert description["status"] == "SUCCEEDED"
    context = json.loads(description["output"])
    assert AWS_TIME.fullmatch(context["Execution"]["StartTime"])
    assert AWS_TIME.fullmatch(context["State"]["EnteredTime"])
    assert context["Execution"]["RedriveCount"] == 0


def choice(rule: dict) -> dict:
    """A Choice state with ``rule`` and a Default; each way out names itself."""
    return {
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Choice",
                "Choices": [{**rule, "Next": "Matched"}],
                "Default": "Other",
            },
            "Matched": {"Type": "Pass", "Result": "matched", "End": True},
            "Other": {"Type": "Pass", "Result": "default", "End": True},
        },
    }


@pytest.mark.parametrize(
    ("rule", "path"),
    [
        ({"Variable": "$.quantity", "NumericEquals": 1}, "$.quantity"),
        ({"Variable": "$.quantity", "IsNull": True}, "$.quantity"),
        ({"Not": {"Variable": "$.type", "StringEquals": "PURCHASE"}}, "$.type"),
        ({"Variable": "$.left", "NumericEqualsPath": "$.right"}, "$.right"),
    ],
)
def test_a_choice_rule_on_a_path_not_in_the_input_fails_the_execution(emulator, rule, path):
    # AWS: States.Runtime "Invalid path '$.x': The choice state's condition path references an
    # invalid value."; the Default is not taken (IsPresent is the test for a missing field).
    description = run(emulator, choice(rule), {"left": 8})
    assert description["status"] == "FAILED"
    assert description["error"] == "States.Runtime"
    assert description["cause"] == (
        "An error occurred while executing the state 'Check' (entered at the event id #2). "
        f"Invalid path '{path}': The choice state's condition path references an invalid value."
    )


def test_is_present_guards_a_comparison_of_a_missing_field(emulator):
    guarded = {
        "And": [
            {"Variable": "$.quantity", "IsPresent": True},
            {"Variable": "$.quantity", "NumericGreaterThan": 0},
        ]
    }
    assert json.loads(run(emulator, choice(guarded), {})["output"]) == "default"
    absent = {"Variable": "$.quantity", "IsPresent": False}
    assert json.loads(run(emulator, choice(absent), {})["output"]) == "matched"
    # a field of another type is no error: the rule does not match
    typed = {"Variable": "$.quantity", "NumericEquals": 1}
    assert json.loads(run(emulator, choice(typed), {"quantity": "one"})["output"]) == "default"


def test_aws_timestamp_format():
    moment = datetime.datetime(2024, 11, 26, 18, 30, 0, 123456, tzinfo=datetime.timezone.utc)
    assert interpreter.aws_timestamp(moment) == "2024-11-26T18:30:00.123Z"


def test_assign_takes_effect_after_output_path(emulator):
    # AWS: OutputPath (like every field of the state) sees $answer from before this state.
    definition = {
        "StartAt": "State0",
        "States": {
            "State0": {"Type": "Pass", "Assign": {"answer": 42}, "Next": "State1"},
            "State1": {
                "Type": "Pass",
                "OutputPath": "$answer",
                "Assign": {"answer": "replaced"},
                "End": True,
            },
        },
    }
    assert json.loads(run(emulator, definition)["output"]) == 42


def test_jsonata_output_sees_variables_from_before_the_state(emulator):
    definition = one_state(
        {"Type": "Pass", "Assign": {"n": 2}, "Output": "{% $exists($n) %}"},
        QueryLanguage="JSONata",
    )
    assert json.loads(run(emulator, definition)["output"]) is False


def test_wait_more_than_the_limit_fails_at_once(emulator):
    # AWS: a Timestamp more than 2**31 - 1 seconds (about 68 years) ahead fails at once. The
    # timestamp is computed from today: a fixed one stops being far enough ahead as time passes.
    too_far = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
        seconds=interpreter.MAX_WAIT_SECONDS, days=30
    )
    definition = one_state({"Type": "Wait", "TimestampPath": "$.start_at"})
    start_at = interpreter.aws_timestamp(too_far)
    description = run(emulator, definition, {"start_at": start_at}, 10)
    assert description["status"] == "FAILED"
    assert description["error"] == "States.Runtime"
    assert description["cause"].endswith("Wait state delay is too long.")


def test_unparsable_jsonata_timestamp_is_a_query_evaluation_error(emulator):
    definition = one_state(
        {"Type": "Wait", "Timestamp": "{% $states.input.t %}"}, QueryLanguage="JSONata"
    )
    description = run(emulator, definition, {"t": "2016-12-05 21:29:29Z"})
    assert description["error"] == "States.QueryEvaluationError"
    assert description["cause"].endswith(
        "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format "
        "string: 2016-12-05 21:29:29Z"
    )


def test_map_input_that_is_not_an_array_is_quoted_as_json(emulator):
    definition = one_state(
        {
            "Type": "Map",
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
        },
        QueryLanguage="JSONata",
    )
    description = run(emulator, definition, {"foo": "bar"})
    assert description["error"] == "States.QueryEvaluationError"
    assert description["cause"].endswith('Map state input must be an array but was: {"foo":"bar"}')


def test_a_string_result_is_returned_as_json_text(emulator):
    description = run(emulator, one_state({"Type": "Pass", "InputPath": "$.name"}), {"name": "Ada"})
    assert description["output"] == '"Ada"'


def _most_at_once(spans: list[tuple[str, str]]) -> int:
    """The largest number of (began, ended) spans open at the same moment (ISO times)."""
    edges = sorted([(ended, 0) for _, ended in spans] + [(began, 1) for began, _ in spans])
    most = running = 0
    for _, opens in edges:  # at equal times an end comes before a begin
        running += 1 if opens else -1
        most = max(most, running)
    return most


@pytest.mark.parametrize("max_concurrency", [0, 50])
def test_an_inline_map_runs_at_most_40_iterations_at_once(emulator, max_concurrency):
    # AWS: "In this mode, the Map state supports up to 40 concurrent iterations."
    iteration = {
        "StartAt": "Began",
        "States": {
            "Began": {
                "Type": "Pass",
                "Parameters": {"began.$": "$$.State.EnteredTime"},
                "Next": "Work",
            },
            "Work": {"Type": "Wait", "Seconds": 1, "Next": "Ended"},
            "Ended": {
                "Type": "Pass",
                "Parameters": {"began.$": "$.began", "ended.$": "$$.State.EnteredTime"},
                "End": True,
            },
        },
    }
    definition = one_state(
        {"Type": "Map", "MaxConcurrency": max_concurrency, "Iterator": iteration}
    )
    execution = run(emulator, definition, list(range(60)), timeout_s=60)
    spans = [(item["began"], item["ended"]) for item in json.loads(execution["output"])]
    assert len(spans) == 60
    assert 2 <= _most_at_once(spans) <= interpreter.INLINE_MAP_CONCURRENCY


def test_a_definite_path_gives_a_value_and_an_indefinite_one_a_list(emulator):
    # Step Functions reads JSONPath as Jayway does: a path naming one place gives the value
    # there, one that may name many (wildcard, slice, filter, deep scan) gives a list.
    paths = {
        "first.$": "$.Items[0].quantity",
        "second.$": "$.Items[1]",
        "every.$": "$.Items[*].quantity",
        "last.$": "$.Items[-1:].quantity",
        "big.$": "$.Items[?(@.quantity > 4)].quantity",
        "deep.$": "$..quantity",
    }
    items = {"Items": [{"quantity": 3}, {"quantity": 5}]}
    output = json.loads(
        run(emulator, one_state({"Type": "Pass", "Parameters": paths}), items)["output"]
    )
    assert output == {
        "first": 3,
        "second": {"quantity": 5},
        "every": [3, 5],
        "last": [5],
        "big": [5],
        "deep": [3, 5],
    }


@pytest.mark.parametrize(
    "path, definite",
    [
        ("$", True),
        ("$.Items[0].quantity", True),
        ("$['a:b'].c", True),
        ("$.Items[*].quantity", False),
        ("$..quantity", False),
        ("$.Items[1:]", False),
        ("$.Items[0,1]", False),
        ("$.Items[?(@.n > 1)]", False),
    ],
)
def test_which_paths_are_definite(path, definite):
    assert interpreter.is_definite(path) is definite


@pytest.mark.parametrize("mode", ["INLINE", "DISTRIBUTED"])
def test_one_worker_runs_any_number_of_items(emulator, mode):
    # AWS: MaxConcurrency 1 runs the items one after the other, however many there are.
    processor = {
        "ProcessorConfig": {
            "Mode": mode,
            **({"ExecutionType": "STANDARD"} if mode == "DISTRIBUTED" else {}),
        },
        "StartAt": "Copy",
        "States": {"Copy": {"Type": "Pass", "End": True}},
    }
    definition = one_state({"Type": "Map", "MaxConcurrency": 1, "ItemProcessor": processor})
    execution = run(emulator, definition, list(range(1200)), timeout_s=120)
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    assert json.loads(execution["output"]) == list(range(1200))


def history(description: dict) -> list[dict]:
    return executions.execution_history(description["executionArn"])


def test_a_runtime_error_names_the_event_that_entered_the_state(emulator):
    # AWS: "(entered at the event id #2)" is the ParallelStateEntered event, although the state
    # wrote ParallelStateStarted, its branch's events and ParallelStateSucceeded after it.
    branch = {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "End": True}}}
    state = {"Type": "Parallel", "Branches": [branch], "OutputPath": "$.missing"}
    description = run(emulator, one_state(state), {})
    assert description["status"] == "FAILED"
    assert description["cause"].startswith(
        "An error occurred while executing the state 'Only' (entered at the event id #2). "
    )


@pytest.mark.parametrize(
    "path, execution_input, message",
    [
        ("$.no.such.path", {}, "Missing property in path $['no']"),
        ("$.a.b", {"a": {}}, "No results for path: $['a']['b']"),
        ("$.missing", {}, "No results for path: $['missing']"),
    ],
)
def test_a_path_that_finds_nothing_says_where(emulator, path, execution_input, message):
    # AWS (Jayway JsonPath): a missing name on the way is a "Missing property", a missing last
    # name gives "No results".
    description = run(emulator, one_state({"Type": "Pass", "OutputPath": path}), execution_input)
    assert (description["status"], description["error"]) == ("FAILED", "States.Runtime")
    assert description["cause"].endswith(f"Invalid path '{path}' : {message}")


def test_missing_path_causes():
    assert interpreter.missing_path_cause("$['a']['b c']", {"a": {}}) == (
        "No results for path: $['a']['b c']"
    )
    assert interpreter.missing_path_cause("$.a[0]", {}) is None  # not names only: moto's words


def test_an_error_leaving_a_map_keeps_its_name_and_the_inner_cause(emulator):
    # AWS: a States.* error that ends an iteration fails the Map with that error, and the
    # execution's cause is the one that names the inner state.
    inner = {"Type": "Pass", "Output": "{% $nothing %}", "End": True}
    state = {
        "Type": "Map",
        "Items": [1],
        "ItemProcessor": {"StartAt": "Inner", "States": {"Inner": inner}},
    }
    description = run(emulator, one_state(state, QueryLanguage="JSONata"), {})
    assert description["error"] == "States.QueryEvaluationError"
    assert description["cause"].startswith(
        "An error occurred while executing the state 'Inner' (entered at the event id #5). "
        "The JSONata expression '$nothing' specified for the field 'Output' returned nothing"
    )


def parallel_caught(query_language: str) -> dict:
    failing = (
        {"Type": "Pass", "Output": "{% $nothing %}", "End": True}
        if query_language == "JSONata"
        else {"Type": "Fail", "Error": "Oops"}
    )
    branch = {"StartAt": "Inner", "States": {"Inner": failing}}
    catch = [{"ErrorEquals": ["States.ALL"], "Next": "Recovered"}]
    return {
        "QueryLanguage": query_language,
        "StartAt": "Both",
        "States": {
            "Both": {"Type": "Parallel", "Branches": [branch], "Catch": catch, "End": True},
            "Recovered": {"Type": "Pass", "End": True},
        },
    }


@pytest.mark.parametrize("query_language", ["JSONata", "JSONPath"])
def test_only_a_jsonpath_parallel_records_parallel_state_failed(emulator, query_language):
    # AWS: a caught JSONPath Parallel writes ParallelStateFailed, then ParallelStateExited; a
    # JSONata one goes straight to ParallelStateExited.
    description = run(emulator, parallel_caught(query_language), {})
    assert description["status"] == "SUCCEEDED"
    kinds = [event["type"] for event in history(description)]
    assert ("ParallelStateFailed" in kinds) == (query_language == "JSONPath")
    assert "ParallelStateExited" in kinds
