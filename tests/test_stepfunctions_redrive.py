"""RedriveExecution (sfn_tutorial/emulator/stepfunctions/redrive.py).

Each test says what AWS does (Step Functions API reference, RedriveExecution; developer guide,
"Redriving executions"); the emulator must do the same. A Lambda function that fails for the
items named in its ``BROKEN`` variable is broken, then fixed, then the execution is redriven:
the states, branches and iterations that had succeeded must not run again.
"""

import json
import time
import uuid

import boto3
import lambda_code
import policies
import pytest

from sfn_tutorial import executions, resources

HANDLER = """
import os


def handler(event, context):
    broken = os.environ.get("BROKEN", "").split(",")
    if "all" in broken or str(event.get("item")) in broken:
        raise RuntimeError(f"item {event.get('item')} is broken")
    return {"done": event.get("item")}
"""


@pytest.fixture(scope="module")
def stack(emulator):
    """The flaky function and a role that may invoke it."""
    lambda_role = resources.ensure_role(
        resources.resource_name("redrive-lambda-role"), "lambda.amazonaws.com"
    )
    function = lambda_code.python_function(
        resources.resource_name("redrive-flaky"),
        HANDLER,
        lambda_role,
        wait=True,
        Environment={"Variables": {"BROKEN": ""}},
    )
    states_role = resources.ensure_role(
        resources.resource_name("redrive-states-role"),
        "states.amazonaws.com",
        inline_policies={
            "invoke": resources.invoke_policy([function]),
            "map-runs": policies.allowing(["states:StartExecution", "states:DescribeExecution"]),
        },
    )
    return {"function": function, "role": states_role}


def break_function(items: str) -> None:
    lam = boto3.client("lambda")
    name = resources.resource_name("redrive-flaky")
    lam.update_function_configuration(
        FunctionName=name, Environment={"Variables": {"BROKEN": items}}
    )
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)


def machine(stack, definition: dict, **settings) -> str:
    return boto3.client("stepfunctions").create_state_machine(
        name=resources.resource_name(f"redrive-{uuid.uuid4().hex[:8]}"),
        definition=json.dumps(definition),
        roleArn=stack["role"],
        **settings,
    )["stateMachineArn"]


def task(stack, nxt=None, **fields) -> dict:
    state = {"Type": "Task", "Resource": stack["function"], **fields}
    return {**state, "Next": nxt} if nxt else {**state, "End": True}


def map_of_flaky_calls(stack, processor_config: dict, **map_fields) -> dict:
    """A machine whose Map state, with ``map_fields``, passes each of ``$.items`` as
    ``{"item": ...}`` to a Pass state, then to the flaky function, in an ItemProcessor of
    ``processor_config``."""
    processor = {
        "ProcessorConfig": processor_config,
        "StartAt": "Look",
        "States": {"Look": {"Type": "Pass", "Next": "Flaky"}, "Flaky": task(stack)},
    }
    each = {
        "Type": "Map",
        "ItemsPath": "$.items",
        "ItemSelector": {"item.$": "$$.Map.Item.Value"},
        **map_fields,
        "ItemProcessor": processor,
        "End": True,
    }
    return {"StartAt": "Each", "States": {"Each": each}}


def run_to_end(arn: str, execution_input=None) -> dict:
    sfn = boto3.client("stepfunctions")
    started = sfn.start_execution(stateMachineArn=arn, input=json.dumps(execution_input or {}))
    return executions.wait_for_execution(started["executionArn"])


def redrive_and_wait(execution_arn: str) -> dict:
    sfn = boto3.client("stepfunctions")
    sfn.redrive_execution(executionArn=execution_arn)
    return executions.wait_for_execution(execution_arn)


def after_redrive(execution_arn: str, redrive: int = 1) -> list[dict]:
    """The events written after the ``redrive``-th ``ExecutionRedriven`` event."""
    events = executions.execution_history(execution_arn)
    marks = [i for i, event in enumerate(events) if event["type"] == "ExecutionRedriven"]
    return events[marks[redrive - 1] + 1 :]


def entered(events: list[dict]) -> list[str]:
    return [
        event["stateEnteredEventDetails"]["name"]
        for event in events
        if event["type"].endswith("StateEntered")
    ]


@pytest.fixture(autouse=True)
def working_function(stack):
    yield
    break_function("")


def test_a_failed_task_is_redriven_from_where_it_failed(stack):
    arn = machine(
        stack,
        {
            "StartAt": "Prepare",
            "States": {
                "Prepare": {"Type": "Pass", "Result": {"item": 7}, "Next": "Call"},
                "Call": task(stack, "Finish"),
                "Finish": {"Type": "Pass", "End": True},
            },
        },
    )
    break_function("all")
    failed = run_to_end(arn)
    assert failed["status"] == "FAILED"
    assert failed["redriveStatus"] == "REDRIVABLE" and failed["redriveCount"] == 0
    break_function("")
    done = redrive_and_wait(failed["executionArn"])
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"done": 7}
    assert "error" not in done and "cause" not in done
    assert done["redriveCount"] == 1 and "redriveDate" in done
    assert done["redriveStatus"] == "NOT_REDRIVABLE"
    assert done["redriveStatusReason"] == "Execution is SUCCEEDED and cannot be redriven"
    events = executions.execution_history(failed["executionArn"])
    redriven = next(event for event in events if event["type"] == "ExecutionRedriven")
    assert redriven["executionRedrivenEventDetails"] == {"redriveCount": 1}
    assert [event["id"] for event in events] == list(range(1, len(events) + 1))
    assert entered(after_redrive(failed["executionArn"])) == ["Call", "Finish"]
    resumed = next(
        e for e in after_redrive(failed["executionArn"]) if e["type"] == "TaskStateEntered"
    )
    assert json.loads(resumed["stateEnteredEventDetails"]["input"]) == {"item": 7}


def test_a_parallel_state_redrives_only_its_failed_branch(stack):
    arn = machine(
        stack,
        {
            "StartAt": "Both",
            "States": {
                "Both": {
                    "Type": "Parallel",
                    "End": True,
                    "Branches": [
                        {
                            "StartAt": "Steady",
                            "States": {"Steady": {"Type": "Pass", "Result": "kept", "End": True}},
                        },
                        {
                            "StartAt": "Before",
                            "States": {
                                "Before": {"Type": "Pass", "Result": {"item": 2}, "Next": "Flaky"},
                                "Flaky": task(stack),
                            },
                        },
                    ],
                }
            },
        },
    )
    break_function("2")
    failed = run_to_end(arn)
    assert failed["status"] == "FAILED"
    break_function("")
    done = redrive_and_wait(failed["executionArn"])
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == ["kept", {"done": 2}]
    assert entered(after_redrive(failed["executionArn"])) == ["Both", "Flaky"]


def test_a_map_state_redrives_only_its_failed_iterations(stack):
    arn = machine(stack, map_of_flaky_calls(stack, {"Mode": "INLINE"}, MaxConcurrency=1))
    break_function("2")
    failed = run_to_end(arn, {"items": [1, 2, 3]})
    assert failed["status"] == "FAILED"
    break_function("1")  # it succeeded: a redrive must not run it again
    done = redrive_and_wait(failed["executionArn"])
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == [{"done": 1}, {"done": 2}, {"done": 3}]
    later = after_redrive(failed["executionArn"])
    # Item 1 succeeded: kept. Item 2 failed at Flaky: resumed there. Item 3 never ran.
    assert entered(later) == ["Each", "Flaky", "Look", "Flaky"]
    started = [
        e["mapIterationStartedEventDetails"]["index"]
        for e in later
        if e["type"] == "MapIterationStarted"
    ]
    assert started == [1, 2]


def test_a_distributed_map_redrives_only_its_failed_children(stack):
    distributed = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    arn = machine(stack, map_of_flaky_calls(stack, distributed))
    break_function("3")
    failed = run_to_end(arn, {"items": [1, 2, 3, 4]})
    assert failed["status"] == "FAILED"
    break_function("1,2,4")  # they succeeded: a redrive must not run them again
    done = redrive_and_wait(failed["executionArn"])
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == [{"done": item} for item in (1, 2, 3, 4)]
    sfn = boto3.client("stepfunctions")
    runs = sfn.list_map_runs(executionArn=failed["executionArn"])["mapRuns"]
    counts = sfn.describe_map_run(mapRunArn=runs[-1]["mapRunArn"])["executionCounts"]
    assert counts["succeeded"] == 4 and counts["failed"] == 0


def test_the_context_object_counts_redrives(stack):
    arn = machine(
        stack,
        {
            "StartAt": "Call",
            "States": {
                "Call": task(stack, "Count", Parameters={"item.$": "$$.Execution.RedriveCount"}),
                "Count": {
                    "Type": "Pass",
                    "Parameters": {
                        "count.$": "$$.Execution.RedriveCount",
                        "time.$": "$$.Execution.RedriveTime",
                    },
                    "End": True,
                },
            },
        },
    )
    break_function("0,1")
    failed = run_to_end(arn)
    once = redrive_and_wait(failed["executionArn"])
    assert once["status"] == "FAILED" and once["redriveCount"] == 1
    break_function("")
    twice = redrive_and_wait(failed["executionArn"])
    assert twice["status"] == "SUCCEEDED" and twice["redriveCount"] == 2
    output = json.loads(twice["output"])
    assert output["count"] == 2 and output["time"].endswith("Z")
    assert len(after_redrive(failed["executionArn"], 2)) > 0


def test_an_aborted_execution_is_redrivable(stack):
    sfn = boto3.client("stepfunctions")
    arn = machine(
        stack,
        {
            "StartAt": "First",
            "States": {
                "First": {"Type": "Pass", "Next": "Hold"},
                "Hold": {"Type": "Wait", "Seconds": 3, "Next": "Last"},
                "Last": {"Type": "Pass", "End": True},
            },
        },
    )
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    give_up = time.monotonic() + 60  # a deadlock guard
    waiting = False  # stopped while it waits in Hold: First has run and is not run again
    while not waiting and time.monotonic() < give_up:
        events = executions.execution_history(execution)
        waiting = any(event["type"] == "WaitStateEntered" for event in events)
        time.sleep(0 if waiting else 0.01)
    assert waiting
    sfn.stop_execution(executionArn=execution)
    aborted = executions.wait_for_execution(execution)
    assert aborted["status"] == "ABORTED" and aborted["redriveStatus"] == "REDRIVABLE"
    done = redrive_and_wait(execution)
    assert done["status"] == "SUCCEEDED"
    assert entered(after_redrive(execution)) == ["Hold", "Last"]


def test_succeeded_and_running_executions_are_not_redrivable(stack):
    sfn = boto3.client("stepfunctions")
    arn = machine(stack, {"StartAt": "Only", "States": {"Only": {"Type": "Pass", "End": True}}})
    succeeded = run_to_end(arn)
    with pytest.raises(sfn.exceptions.ExecutionNotRedrivable) as raised:
        sfn.redrive_execution(executionArn=succeeded["executionArn"])
    assert "SUCCEEDED" in raised.value.response["Error"]["Message"]
    slow = machine(
        stack, {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 30, "End": True}}}
    )
    running = sfn.start_execution(stateMachineArn=slow)["executionArn"]
    described = sfn.describe_execution(executionArn=running)
    assert described["redriveStatus"] == "NOT_REDRIVABLE"
    assert described["redriveStatusReason"] == "Execution is RUNNING and cannot be redriven"
    with pytest.raises(sfn.exceptions.ExecutionNotRedrivable):
        sfn.redrive_execution(executionArn=running)
    sfn.stop_execution(executionArn=running)


def test_express_executions_are_not_redrivable(stack):
    sfn = boto3.client("stepfunctions")
    arn = machine(stack, {"StartAt": "F", "States": {"F": {"Type": "Fail"}}}, type="EXPRESS")
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.redrive_execution(executionArn=execution)


def test_a_client_token_redrives_once(stack):
    sfn = boto3.client("stepfunctions")
    arn = machine(stack, {"StartAt": "Call", "States": {"Call": task(stack)}})
    break_function("all")
    failed = run_to_end(arn)
    first = sfn.redrive_execution(executionArn=failed["executionArn"], clientToken="once")
    again = sfn.redrive_execution(executionArn=failed["executionArn"], clientToken="once")
    assert first["redriveDate"] == again["redriveDate"]
    assert executions.wait_for_execution(failed["executionArn"])["redriveCount"] == 1


def test_executions_are_listed_with_their_redrives(stack):
    sfn = boto3.client("stepfunctions")
    arn = machine(stack, {"StartAt": "Call", "States": {"Call": task(stack)}})
    break_function("all")
    redriven = run_to_end(arn)["executionArn"]
    other = run_to_end(arn)["executionArn"]
    break_function("")
    redrive_and_wait(redriven)
    listed = sfn.list_executions(stateMachineArn=arn, redriveFilter="REDRIVEN")["executions"]
    assert [item["executionArn"] for item in listed] == [redriven]
    assert listed[0]["redriveCount"] == 1 and "redriveDate" in listed[0]
    not_listed = sfn.list_executions(stateMachineArn=arn, redriveFilter="NOT_REDRIVEN")
    assert [item["executionArn"] for item in not_listed["executions"]] == [other]
    failed = sfn.list_executions(stateMachineArn=arn, statusFilter="FAILED")["executions"]
    assert [item["executionArn"] for item in failed] == [other]


def test_a_missing_execution_does_not_exist(stack):
    sfn = boto3.client("stepfunctions")
    arn = machine(stack, {"StartAt": "Only", "States": {"Only": {"Type": "Pass", "End": True}}})
    missing = arn.replace(":stateMachine:", ":execution:") + ":nothing"
    with pytest.raises(sfn.exceptions.ExecutionDoesNotExist):
        sfn.redrive_execution(executionArn=missing)
