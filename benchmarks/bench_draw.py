"""How long ``graph.draw`` takes on a 100-state machine, SVG rendering included.

Prints one JSON line: ``{"name": "draw_100_states_ms", "median": <ms>}`` (median of 20 runs,
after one warm-up run). Goal: 150 ms or less.
"""

from __future__ import annotations

import json
import statistics
import time

import common

RUNS = 20
STATES = 100


def _segment(number: int, after: str, catch_to: str) -> dict:
    """Six top-level states: a Task with Retry and Catch, a Choice, two Passes, a Wait, a Task."""
    n = f"{number:02d}"
    return {
        f"Load {n}": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Retry": [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 2}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": catch_to}],
            "Next": f"Route {n}",
        },
        f"Route {n}": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.kind", "StringEquals": "small", "Next": f"Small {n}"},
                {
                    "And": [
                        {"Not": {"Variable": "$.size", "NumericLessThan": 10}},
                        {"Variable": "$.ready", "BooleanEquals": True},
                    ],
                    "Next": f"Large {n}",
                },
            ],
            "Default": f"Pause {n}",
        },
        f"Small {n}": {"Type": "Pass", "Next": f"Save {n}"},
        f"Large {n}": {"Type": "Pass", "Next": f"Save {n}"},
        f"Pause {n}": {"Type": "Wait", "Seconds": 5, "Next": f"Save {n}"},
        f"Save {n}": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Next": after,
        },
    }


def _chain(prefix: str, length: int) -> dict:
    """A branch of ``length`` Task states in a row."""
    names = [f"{prefix} {i}" for i in range(length)]
    states = {
        name: {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "Next": following}
        for name, following in zip(names, names[1:], strict=False)
    }
    states[names[-1]] = {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": True}
    return {"StartAt": names[0], "States": states}


def machine() -> dict:
    """A 100-state machine: 12 segments (72 states), a Parallel (1 + 3 x 5), a Map (1 + 7),
    a catch-all handler, a Fail, a Succeed and a Pass."""
    states: dict = {}
    for number in range(12):
        following = f"Load {number + 1:02d}" if number < 11 else "Fan out"
        states.update(_segment(number, following, "Handle error"))
    states["Fan out"] = {
        "Type": "Parallel",
        "Branches": [_chain(f"Notify {b}", 5) for b in "ABC"],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handle error"}],
        "Next": "Each item",
    }
    states["Each item"] = {
        "Type": "Map",
        "ItemsPath": "$.items",
        "ItemProcessor": _chain("Item step", 7),
        "Next": "Summary",
    }
    states["Summary"] = {"Type": "Pass", "Next": "Done"}
    states["Handle error"] = {"Type": "Pass", "Next": "Failed"}
    states["Failed"] = {"Type": "Fail", "Error": "Pipeline.Failed"}
    states["Done"] = {"Type": "Succeed"}
    return {"Comment": "Benchmark", "StartAt": "Load 00", "States": states}


def count_states(definition: dict) -> int:
    """States at every depth."""
    total = 0
    for state in definition["States"].values():
        total += 1
        for branch in state.get("Branches", []):
            total += count_states(branch)
        if "ItemProcessor" in state:
            total += count_states(state["ItemProcessor"])
    return total


def main() -> None:
    """Time draw() + SVG rendering and print the median as a JSON line."""
    common.importable()
    from sfn_tutorial import graph

    definition = machine()
    assert count_states(definition) == STATES, count_states(definition)
    graph.draw(definition).pipe(format="svg")  # warm-up: imports, fonts, page cache
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        graph.draw(definition).pipe(format="svg")
        times.append((time.perf_counter() - start) * 1000)
    print(json.dumps({"name": "draw_100_states_ms", "median": round(statistics.median(times), 1)}))


if __name__ == "__main__":
    main()
