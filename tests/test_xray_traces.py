"""X-Ray traces of executions (sfn_tutorial/emulator/xray/traces.py).

Each test says what AWS does (Step Functions developer guide, "AWS X-Ray and Step Functions";
X-Ray API reference); the emulator must do the same.
"""

import datetime
import json
import re
import uuid

import boto3
import lambda_code
import policies
import pytest

from sfn_tutorial import executions, resources

TRACING_ACTIONS = [
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
]
HANDLER = "def handler(event, context):\n    return {'seen': event}\n"


@pytest.fixture(scope="module")
def traced(emulator):
    lambda_role = resources.ensure_role(resources.resource_name("xray-fn"), "lambda.amazonaws.com")
    name = resources.resource_name(f"xray-{uuid.uuid4().hex[:6]}")
    function = lambda_code.python_function(name, HANDLER, lambda_role, wait=True)
    role = resources.ensure_role(
        resources.resource_name("xray-states"),
        "states.amazonaws.com",
        inline_policies={
            "invoke": resources.invoke_policy([function]),
            "traces": policies.allowing(TRACING_ACTIONS),
        },
    )
    definition = {
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Pass", "Next": "Call"},
            "Call": {"Type": "Task", "Resource": function, "End": True},
        },
    }
    sfn = boto3.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=resources.resource_name(f"xray-{uuid.uuid4().hex[:6]}"),
        definition=json.dumps(definition),
        roleArn=role,
        tracingConfiguration={"enabled": True},
    )["stateMachineArn"]
    return {"machine": machine, "function": function, "role": role}


def run(machine, **kwargs):
    sfn = boto3.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=machine, **kwargs)["executionArn"]
    return executions.wait_for_execution(arn)


def trace_id(described):
    return re.search(r"Root=([0-9a-f-]+)", described["traceHeader"]).group(1)


def test_a_traced_execution_has_a_sampled_trace_header(traced):
    described = run(traced["machine"])
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Sampled=1", described["traceHeader"])


def test_a_given_trace_header_is_kept(traced):
    header = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"
    assert run(traced["machine"], traceHeader=header)["traceHeader"] == header


def test_an_untraced_execution_has_no_header(traced):
    sfn = boto3.client("stepfunctions")
    plain = sfn.create_state_machine(
        name=resources.resource_name(f"plain-{uuid.uuid4().hex[:6]}"),
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        roleArn=traced["role"],
    )["stateMachineArn"]
    assert "traceHeader" not in run(plain)


def test_the_trace_has_the_execution_its_states_and_the_lambda_call(traced):
    described = run(traced["machine"])
    trace = trace_id(described)
    (found,) = boto3.client("xray").batch_get_traces(TraceIds=[trace])["Traces"]
    documents = [json.loads(segment["Document"]) for segment in found["Segments"]]
    origins = sorted(document.get("origin") for document in documents)
    assert origins == ["AWS::Lambda", "AWS::Lambda::Function", "AWS::StepFunctions::StateMachine"]
    root = next(d for d in documents if d["origin"] == "AWS::StepFunctions::StateMachine")
    assert root["name"] == traced["machine"].split(":")[-1]
    assert root["aws"]["execution_arn"] == described["executionArn"]
    assert [state["name"] for state in root["subsegments"]] == ["Prepare", "Call"]
    (call,) = root["subsegments"][1]["subsegments"]
    assert call["name"] == "Lambda" and call["aws"]["operation"] == "Invoke"
    service = next(d for d in documents if d["origin"] == "AWS::Lambda")
    assert service["parent_id"] == call["id"]
    assert all(d["start_time"] <= d["end_time"] for d in documents)
    assert found["Duration"] >= 0


def test_trace_summaries_list_the_traces_of_a_time_range(traced):
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
    trace = trace_id(run(traced["machine"]))
    after = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=5)
    xray = boto3.client("xray")
    summaries = xray.get_trace_summaries(StartTime=before, EndTime=after)["TraceSummaries"]
    summary = next(summary for summary in summaries if summary["Id"] == trace)
    assert summary["HasFault"] is False and summary["HasError"] is False
    assert summary["EntryPoint"]["Type"] == "AWS::StepFunctions::StateMachine"
    assert summary["Duration"] >= 0
    name = traced["machine"].split(":")[-1]
    filtered = xray.get_trace_summaries(
        StartTime=before, EndTime=after, FilterExpression=f'service("{name}")'
    )["TraceSummaries"]
    assert trace in [summary["Id"] for summary in filtered]
    other = xray.get_trace_summaries(
        StartTime=before, EndTime=after, FilterExpression='service("no-such-service")'
    )["TraceSummaries"]
    assert other == []


def test_a_failed_execution_is_a_fault(traced):
    sfn = boto3.client("stepfunctions")
    failing = sfn.create_state_machine(
        name=resources.resource_name(f"xray-fail-{uuid.uuid4().hex[:6]}"),
        definition=json.dumps({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}),
        roleArn=traced["role"],
        tracingConfiguration={"enabled": True},
    )["stateMachineArn"]
    trace = trace_id(run(failing))
    (found,) = boto3.client("xray").batch_get_traces(TraceIds=[trace])["Traces"]
    (root,) = [json.loads(segment["Document"]) for segment in found["Segments"]]
    assert root["fault"] is True
    assert root["subsegments"][0]["error"] is True


def test_a_role_that_may_not_write_traces_leaves_none(traced):
    sfn = boto3.client("stepfunctions")
    role = resources.ensure_role(resources.resource_name("xray-mute"), "states.amazonaws.com")
    mute = sfn.create_state_machine(
        name=resources.resource_name(f"xray-mute-{uuid.uuid4().hex[:6]}"),
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        roleArn=role,
        tracingConfiguration={"enabled": True},
    )["stateMachineArn"]
    described = run(mute)
    assert described["status"] == "SUCCEEDED"
    answer = boto3.client("xray").batch_get_traces(TraceIds=[trace_id(described)])
    assert answer["Traces"] == [] and answer["UnprocessedTraceIds"] == [trace_id(described)]
