"""Reading execution histories: sfn_tutorial/graph/trace.py, and how draw colours what it read.

Real executions on the emulator, then hand-written histories for what is hard to provoke.
"""

from __future__ import annotations

import json
import time

import asl
import boto3
import broad_roles
import pytest
from graph_checks import BLOG, Dot, assert_draws_completely, attr

from sfn_tutorial.graph import END, START, STATUS_COLOURS, draw, state_statuses, transitions_taken
from sfn_tutorial.graph.trace import Trace

# ------------------------------------------------------------------ real executions, emulator

ROLE = "arn:aws:iam::123456789012:role/sfn-tutorial-tests"


@pytest.fixture
def sfn(emulator):
    """A Step Functions client on the tutorial's local emulator, which really runs executions."""
    return boto3.client("stepfunctions")


def _history(sfn, arn: str) -> list[dict]:
    pages = sfn.get_paginator("get_execution_history").paginate(executionArn=arn)
    return [event for page in pages for event in page["events"]]


def run(sfn, definition: dict, execution_input=None, stop_when=None) -> tuple[str, list[dict]]:
    """Run ``definition`` to its end; ``stop_when(events)`` True -> stop the execution."""
    name = f"m{len(sfn.list_state_machines()['stateMachines'])}"
    machine = sfn.create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=broad_roles.role()
    )
    arn = sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"], input=json.dumps(execution_input or {})
    )["executionArn"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = sfn.describe_execution(executionArn=arn)["status"]
        if status != "RUNNING":
            return status, _history(sfn, arn)
        if stop_when is not None and stop_when(_history(sfn, arn)):
            sfn.stop_execution(executionArn=arn, error="Tutorial.Stop", cause="stopped by a test")
        time.sleep(0.05)
    raise AssertionError("the execution did not end within 30 s")


def assert_colours(dot: Dot, expected: dict[str, str]) -> None:
    for node, status in expected.items():
        assert dot.fill(node) == STATUS_COLOURS[status][0], (node, status, dot.fill(node))


def assert_taken(dot: Dot, tail: str, head: str, taken: bool = True) -> None:
    attributes = dot.edge(tail, head)
    assert (attr(attributes, "penwidth") is not None) == taken, (tail, head, attributes)


def test_a_succeeded_execution_is_green_along_its_path(sfn):
    definition = asl.machine(
        Receive={"Type": "Pass", "Next": "Check"},
        Check={
            "Type": "Choice",
            "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "Ship"}],
            "Default": "Hold",
        },
        Ship={"Type": "Pass", "End": True},
        Hold={"Type": "Pass", "End": True},
    )
    status, events = run(sfn, definition, {"ok": True})
    assert status == "SUCCEEDED"
    assert state_statuses(events) == {
        "Receive": "succeeded",
        "Check": "succeeded",
        "Ship": "succeeded",
    }
    assert transitions_taken(events) == {
        (START, "Receive"),
        ("Receive", "Check"),
        ("Check", "Ship"),
        ("Ship", END),
    }
    dot = assert_draws_completely(definition, draw(definition, events))
    assert_colours(
        dot,
        {"Receive": "succeeded", "Check": "succeeded", "Ship": "succeeded", "Hold": "not_reached"},
    )
    for tail, head in [
        ("#start", "Receive"),
        ("Receive", "Check"),
        ("Check", "Ship"),
        ("Ship", "#end"),
    ]:
        assert_taken(dot, tail, head)
    assert_taken(dot, "Check", "Hold", taken=False)
    assert "cluster_legend" in dot.subgraphs
    for _, _, text in STATUS_COLOURS.values():
        assert text in dot.source


def test_a_failed_execution_is_red_at_its_fail_state(sfn):
    definition = {
        "StartAt": "Validate",
        "States": {
            "Validate": {"Type": "Pass", "Next": "Reject"},
            "Reject": {"Type": "Fail", "Error": "Order.Invalid", "Cause": "no items"},
        },
    }
    status, events = run(sfn, definition)
    assert status == "FAILED"
    assert state_statuses(events) == {"Validate": "succeeded", "Reject": "failed"}
    dot = Dot(draw(definition, events))
    assert_colours(dot, {"Validate": "succeeded", "Reject": "failed"})
    assert_taken(dot, "Reject", "#end")
    assert "Fail: Order.Invalid" in attr(dot.nodes["Reject"], "label")


def test_a_caught_error_in_a_parallel_is_orange_and_leads_to_the_fallback(sfn):
    definition = {
        "StartAt": "Fan out",
        "States": {
            "Fan out": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Work", "States": {"Work": {"Type": "Pass", "End": True}}},
                    {
                        "StartAt": "Explode",
                        "States": {"Explode": {"Type": "Fail", "Error": "Boom"}},
                    },
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Fallback"}],
                "Next": "Done",
            },
            "Fallback": {"Type": "Pass", "End": True},
            "Done": {"Type": "Succeed"},
        },
    }
    status, events = run(sfn, definition)
    assert status == "SUCCEEDED"
    statuses = state_statuses(events)
    assert statuses["Fan out"] == "caught_error"
    assert statuses["Explode"] == "failed"
    assert statuses["Fallback"] == "succeeded"
    assert "Done" not in statuses
    dot = assert_draws_completely(definition, draw(definition, events))
    assert_colours(
        dot,
        {
            "Fan out": "caught_error",
            "Fan out/b1/Explode": "failed",
            "Fallback": "succeeded",
            "Done": "not_reached",
        },
    )
    assert_taken(dot, "Fan out/#exit", "Fallback")
    assert_taken(dot, "Fan out/#exit", "Done", taken=False)
    assert_taken(dot, "Fan out", "Fan out/b1/#start")
    label = attr(dot.nodes["Fan out"], "label")
    assert "2 branches: " in label and "1 failed" in label


def test_a_map_with_failed_items_counts_its_iterations(sfn):
    definition = {
        "StartAt": "Check items",
        "States": {
            "Check items": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 1,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Is it ok?",
                    "States": {
                        "Is it ok?": {
                            "Type": "Choice",
                            "Choices": [
                                {"Variable": "$.ok", "BooleanEquals": True, "Next": "Accept"}
                            ],
                            "Default": "Reject",
                        },
                        "Accept": {"Type": "Pass", "End": True},
                        "Reject": {"Type": "Fail", "Error": "Item.Bad"},
                    },
                },
                "Catch": [{"ErrorEquals": ["Item.Bad"], "Next": "Report failure"}],
                "Next": "All good",
            },
            "Report failure": {"Type": "Pass", "End": True},
            "All good": {"Type": "Succeed"},
        },
    }
    items = [{"ok": True}, {"ok": True}, {"ok": False}]
    status, events = run(sfn, definition, {"items": items})
    assert status == "SUCCEEDED"
    assert state_statuses(events) == {
        "Check items": "caught_error",
        "Is it ok?": "succeeded",
        "Accept": "succeeded",
        "Reject": "failed",
        "Report failure": "succeeded",
    }
    dot = assert_draws_completely(definition, draw(definition, events))
    assert_colours(
        dot,
        {
            "Check items": "caught_error",
            "Check items/map/Is it ok?": "succeeded",
            "Check items/map/Accept": "succeeded",
            "Check items/map/Reject": "failed",
            "Report failure": "succeeded",
            "All good": "not_reached",
        },
    )
    assert "3 iterations: 2 succeeded, 1 failed" in attr(dot.nodes["Check items"], "label")
    assert_taken(dot, "Check items/map/Is it ok?", "Check items/map/Reject")
    assert_taken(dot, "Check items/map/Accept", "Check items/#exit")
    assert_taken(dot, "Check items/#exit", "Report failure")
    assert (
        attr(dot.source.split("cluster_Check items")[1], "color")
        == STATUS_COLOURS["caught_error"][1]
    )


def test_a_stopped_execution_shows_the_waiting_state_cancelled(sfn):
    definition = {
        "StartAt": "Hold",
        "States": {
            "Hold": {"Type": "Wait", "Seconds": 60, "Next": "After"},
            "After": {"Type": "Pass", "End": True},
        },
    }

    def waiting(events):
        return any(event["type"] == "WaitStateEntered" for event in events)

    status, events = run(sfn, definition, stop_when=waiting)
    assert status == "ABORTED"
    assert state_statuses(events) == {"Hold": "cancelled"}
    dot = Dot(draw(definition, events))
    assert_colours(dot, {"Hold": "cancelled", "After": "not_reached"})
    assert_taken(dot, "#start", "Hold")
    assert_taken(dot, "Hold", "After", taken=False)


# ------------------------------------------------------------------ hand-written histories


def _events(*rows) -> list[dict]:
    """Events from (type, previous id, state name or details dict) rows, ids from 1."""
    events = []
    for number, (kind, previous, extra) in enumerate(rows, 1):
        event = {"id": number, "previousEventId": previous, "type": kind}
        if isinstance(extra, str):
            key = (
                "stateExitedEventDetails" if kind.endswith("Exited") else "stateEnteredEventDetails"
            )
            event[key] = {"name": extra}
        elif extra:
            event.update(extra)
        events.append(event)
    return events


def test_a_running_task_is_blue_and_a_retry_keeps_it_running():
    definition = asl.machine(
        Prepare={"Type": "Pass", "Next": "Charge"},
        Charge={
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Retry": [{"ErrorEquals": ["States.ALL"]}],
            "End": True,
        },
    )
    events = _events(
        ("ExecutionStarted", 0, None),
        ("PassStateEntered", 1, "Prepare"),
        ("PassStateExited", 2, "Prepare"),
        ("TaskStateEntered", 3, "Charge"),
        ("TaskScheduled", 4, None),
        ("TaskStarted", 5, None),
        ("TaskFailed", 6, None),  # a retry is coming
    )
    assert state_statuses(events) == {"Prepare": "succeeded", "Charge": "in_progress"}
    dot = Dot(draw(definition, events))
    assert_colours(dot, {"Prepare": "succeeded", "Charge": "in_progress"})
    assert_taken(dot, "Charge", "#end", taken=False)
    timed_out = [*events, {"id": 8, "previousEventId": 7, "type": "ExecutionTimedOut"}]
    assert state_statuses(timed_out)["Charge"] == "failed"


def test_an_aborted_execution_cancels_what_was_running_in_every_branch():
    definition = asl.in_parallel(
        asl.branch(Step={"Type": "Wait", "Seconds": 9, "End": True}),
        asl.branch(
            Step={"Type": "Pass", "Next": "Slow"},
            Slow={"Type": "Wait", "Seconds": 9, "End": True},
        ),
    )
    events = _events(
        ("ExecutionStarted", 0, None),
        ("ParallelStateEntered", 1, "Both"),
        ("ParallelStateStarted", 2, None),
        ("PassStateEntered", 3, "Step"),  # branch 2 first: told apart by its type
        ("WaitStateEntered", 3, "Step"),
        ("PassStateExited", 4, "Step"),
        ("WaitStateEntered", 6, "Slow"),
        ("ExecutionAborted", 7, None),
    )
    assert state_statuses(events) == {"Both": "cancelled", "Step": "cancelled", "Slow": "cancelled"}
    dot = Dot(draw(definition, events))
    assert_colours(
        dot,
        {
            "Both": "cancelled",
            "Both/b0/Step": "cancelled",
            "Both/b1/Step": "succeeded",
            "Both/b1/Slow": "cancelled",
        },
    )
    assert "2 branches cancelled" in attr(dot.nodes["Both"], "label")


def test_a_failing_branch_cancels_its_sibling_and_fails_the_execution():
    definition = asl.in_parallel(
        asl.branch(
            Call={"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True}
        ),
        asl.branch(Sleep={"Type": "Wait", "Seconds": 9, "End": True}),
        asl.branch(Late={"Type": "Pass", "End": True}),  # never started: the Parallel failed first
    )
    events = _events(
        ("ExecutionStarted", 0, None),
        ("ParallelStateEntered", 1, "Both"),
        ("ParallelStateStarted", 2, None),
        ("TaskStateEntered", 3, "Call"),
        ("WaitStateEntered", 3, "Sleep"),
        ("TaskScheduled", 4, None),
        ("TaskFailed", 6, None),
        ("ParallelStateFailed", 7, None),
        ("ExecutionFailed", 8, None),
    )
    assert state_statuses(events) == {"Both": "failed", "Call": "failed", "Sleep": "cancelled"}
    label = attr(Dot(draw(definition, events)).nodes["Both"], "label")
    assert "3 branches: 1 failed, 2 cancelled" in label


def test_history_accepts_the_whole_response_and_ignores_unknown_states():
    response = {
        "events": _events(
            ("ExecutionStarted", 0, None),
            ("ChoiceStateEntered", 1, "ProcessTransaction"),
            ("ChoiceStateExited", 2, "ProcessTransaction"),
            ("TaskStateEntered", 3, "Renamed since"),
        )
    }
    dot = Dot(draw(BLOG, response))
    assert_colours(dot, {"ProcessTransaction": "succeeded", "ProcessPurchase": "not_reached"})
    assert draw(BLOG, []).source.count("penwidth") == 0


def test_a_redriven_execution_keeps_what_failed_before_the_redrive():
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True}
        },
    }
    first = _events(
        ("ExecutionStarted", 0, None),
        ("TaskStateEntered", 1, "Call"),
        ("TaskFailed", 2, None),
        ("ExecutionFailed", 3, None),
        ("ExecutionRedriven", 4, None),
        ("TaskStateEntered", 5, "Call"),
    )
    trace = Trace(first)
    assert [visit.status for visit in trace.visits] == ["failed", "in_progress"]
    assert state_statuses(first) == {"Call": "in_progress"}
    assert_colours(Dot(draw(definition, first)), {"Call": "in_progress"})
