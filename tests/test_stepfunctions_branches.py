"""How a failure in one inline Map iteration or Parallel branch ends the others
(emulator/stepfunctions/branches.py), checked on the running emulator.

Every test says what AWS records; the emulator must record the same.
"""

import machines

from sfn_tutorial import executions

WAIT = {"Type": "Wait", "Seconds": 5, "End": True}
FAIL = {"Type": "Fail", "Error": "Oops", "Cause": "first"}


def run(emulator, definition: dict, execution_input=None) -> tuple[dict, list[str]]:
    """Run ``definition`` once; its description and its history's event types."""
    description = machines.run("branches-test", definition, execution_input)
    events = executions.execution_history(description["executionArn"])
    return description, [event["type"] for event in events]


def one_state(state: dict) -> dict:
    return {"StartAt": "Only", "States": {"Only": {**state, "End": True}}}


def test_a_failing_iteration_aborts_the_others_before_the_map_fails(emulator):
    # AWS: the failed iteration is MapIterationFailed; each other one, still waiting, gets
    # WaitStateAborted and MapIterationAborted; then MapStateFailed and ExecutionFailed, last.
    choose = {
        "Type": "Choice",
        "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "Pause"}],
        "Default": "Wait",
    }
    pause = {"Type": "Wait", "Seconds": 1, "Next": "Fail"}  # the others are waiting by then
    states = {"Choose": choose, "Pause": pause, "Fail": FAIL, "Wait": WAIT}
    processor = {"StartAt": "Choose", "States": states}
    state = {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": processor}
    items = [{"fail": False}, {"fail": True}, {"fail": False}]
    description, kinds = run(emulator, one_state(state), {"items": items})
    assert (description["status"], description["error"]) == ("FAILED", "Oops")
    assert kinds.count("MapIterationFailed") == 1
    assert kinds.count("MapIterationAborted") == kinds.count("WaitStateAborted") == 2
    assert kinds[-2:] == ["MapStateFailed", "ExecutionFailed"]


def test_a_failing_branch_aborts_the_waiting_one(emulator):
    # AWS: the branch still running gets WaitStateAborted before ParallelStateFailed.
    pause = {"Type": "Wait", "Seconds": 1, "Next": "Fail"}  # the other is waiting by then
    branches = [
        {"StartAt": "Pause", "States": {"Pause": pause, "Fail": FAIL}},
        {"StartAt": "Wait", "States": {"Wait": WAIT}},
    ]
    description, kinds = run(emulator, one_state({"Type": "Parallel", "Branches": branches}))
    assert description["status"] == "FAILED"
    assert kinds.count("WaitStateAborted") == 1
    assert kinds[-2:] == ["ParallelStateFailed", "ExecutionFailed"]


def test_of_iterations_failing_together_the_first_is_the_failed_one(emulator):
    # AWS: tasks that time out together end their iterations together; the iteration with the
    # lowest index is MapIterationFailed, the others MapIterationAborted.
    pause = {"Type": "Wait", "Seconds": 1, "Next": "Fail"}
    processor = {"StartAt": "Pause", "States": {"Pause": pause, "Fail": FAIL}}
    state = {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": processor}
    description, _ = run(emulator, one_state(state), {"items": [1, 2, 3]})
    events = executions.execution_history(description["executionArn"])
    ends = {
        event["type"]: event.get("mapIterationFailedEventDetails")
        for event in events
        if event["type"] in ("MapIterationFailed", "MapIterationAborted")
    }
    assert ends["MapIterationFailed"]["index"] == 0
    kinds = [event["type"] for event in events]
    assert kinds.count("MapIterationAborted") == 2 and kinds[-1] == "ExecutionFailed"


def test_a_task_whose_error_ends_its_branch_is_aborted(emulator):
    # AWS: TaskFailed, then TaskStateAborted: the Task state never exits.
    missing = f"arn:aws:states:{emulator.region}:{emulator.account_id}:stateMachine:missing"
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution",
        "Parameters": {"StateMachineArn": missing},
        "End": True,
    }
    branches = [{"StartAt": "Start", "States": {"Start": task}}]
    description, kinds = run(emulator, one_state({"Type": "Parallel", "Branches": branches}))
    assert description["error"] == "StepFunctions.StateMachineDoesNotExistException"
    assert kinds[kinds.index("TaskFailed") + 1] == "TaskStateAborted"
