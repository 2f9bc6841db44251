"""X-Ray traces of Step Functions executions, as AWS records and answers them.

AWS (Step Functions developer guide, "AWS X-Ray and Step Functions"; X-Ray developer guide,
"Segment documents"; X-Ray API reference):

- A state machine with ``tracingConfiguration: {"enabled": true}`` traces its executions: each
  gets a trace header ``Root=1-xxxxxxxx-yyyyyyyyyyyyyyyyyyyyyyyy;Sampled=1`` (or continues the
  ``traceHeader`` passed to ``StartExecution``), which ``DescribeExecution`` answers.
- The trace holds a segment for the execution (origin ``AWS::StepFunctions::StateMachine``,
  named after the state machine), a subsegment for each state it entered (its start and end,
  ``error`` or ``fault`` when it failed), and for each Lambda call a ``Lambda`` subsegment and
  the segments of the Lambda service (``AWS::Lambda``) and function (``AWS::Lambda::Function``).
- The segments are sent as the state machine's role: a role without ``xray:PutTraceSegments``
  (AWS's documented policy adds ``xray:PutTelemetryRecords``, ``xray:GetSamplingRules`` and
  ``xray:GetSamplingTargets``) leaves no trace, and the execution goes on.
- ``GetTraceSummaries`` lists the traces of a time range (``Duration`` and ``ResponseTime`` in
  seconds, ``HasError``, ``HasFault``, its ``EntryPoint`` and ``ServiceIds``), filtered with
  ``service("name")``; ``BatchGetTraces`` answers their segment documents.

moto stores segments sent to it but Step Functions sends none, its summaries compare times in
the machine's local time zone with whole seconds, and any filter expression is an HTTP 500.
Here each execution's segments are written when it ends (again after a redrive), from its
history (``stepfunctions.lifecycle``). ``apply()`` is called by ``emulator.fixes.apply()``;
``tests/test_xray_traces.py`` reads them back.
"""

from __future__ import annotations

import datetime
import json
import re
import secrets
import time

from sfn_tutorial.emulator import patching
from sfn_tutorial.emulator.stepfunctions import lifecycle

STATE_MACHINE_ORIGIN = "AWS::StepFunctions::StateMachine"
_ROOT = re.compile(r"Root=([0-9a-f-]+)")
_SAMPLED = re.compile(r"Sampled=([01?])")
_SERVICE_FILTER = re.compile(r'^\s*service\(\s*"([^"]*)"\s*\)\s*$')


def apply() -> None:
    """Traced executions have a trace header and write their segments; X-Ray answers them."""
    start_execution_passes_its_trace_header()
    describe_execution_answers_the_trace_header()
    # moto's X-Ray loads the X-Ray SDK (20 MB): it loads with the first trace or X-Ray request
    patching.when_imported("moto.xray.responses", trace_summaries_and_traces_as_aws_answers_them)
    lifecycle.watch(Tracer())


def new_trace_id() -> str:
    """An X-Ray trace id: ``1-`` the time in 8 hex digits ``-`` 24 random hex digits."""
    return f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"


def new_id() -> str:
    return secrets.token_hex(8)


def is_traced(execution) -> bool:
    configuration = getattr(execution.state_machine, "tracingConfiguration", None) or {}
    return bool(configuration.get("enabled"))


def trace_header(execution) -> str | None:
    """The execution's header: the one it was started with (given a ``Root`` if it had none),
    or, for a traced machine, a new sampled one."""
    given = execution.trace_header
    if not given and not is_traced(execution):
        return None
    if given and _ROOT.search(given):
        return given
    header = f"Root={new_trace_id()}"
    return header + (f";{given}" if given else ";Sampled=1")


def start_execution_passes_its_trace_header() -> None:
    """``StartExecution(traceHeader=...)`` reaches the execution (moto's server drops it)."""
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def start_execution(self):
        execution = self.stepfunction_backend.start_execution(
            self._get_param("stateMachineArn"),
            self._get_param("name"),
            self._get_param("input", if_none="{}"),
            trace_header=self._get_param("traceHeader"),
        )
        return ActionResult(
            {"executionArn": execution.execution_arn, "startDate": execution.start_date}
        )

    StepFunctionResponse.start_execution = start_execution


def describe_execution_answers_the_trace_header() -> None:
    """``DescribeExecution`` answers the execution's ``traceHeader``."""
    from moto.stepfunctions.responses import StepFunctionResponse

    original = StepFunctionResponse.describe_execution

    def describe_execution(self):
        result = original(self)
        execution = self.stepfunction_backend.describe_execution(result.result["executionArn"])
        if execution.trace_header:
            result.result["traceHeader"] = execution.trace_header
        return result

    StepFunctionResponse.describe_execution = describe_execution


# ---------------------------------------------------------------- segments from a history


def _seconds(stamp) -> float:
    if isinstance(stamp, str):
        stamp = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=datetime.timezone.utc)
    return stamp.timestamp()


def _details(event: dict) -> dict:
    return next((value for key, value in event.items() if key.endswith("EventDetails")), {})


def segments(execution, events: list[dict], trace_id: str, parent_id: str | None) -> list[dict]:
    """The segment documents of one run of an execution (its events since it started or was
    last redriven)."""
    machine = execution.state_machine
    account = execution.exec_arn.split(":")[4]
    root = {
        "name": machine.name,
        "id": new_id(),
        "trace_id": trace_id,
        "origin": STATE_MACHINE_ORIGIN,
        "start_time": _seconds(events[0]["timestamp"]),
        "end_time": _seconds(events[-1]["timestamp"]),
        "aws": {
            "account_id": account,
            "execution_arn": execution.exec_arn,
            "state_machine_arn": execution.state_machine_arn,
        },
        "subsegments": [],
    }
    if parent_id:
        root["parent_id"] = parent_id
    documents = [root]
    open_states: dict[str, list[dict]] = {}
    calls: dict[int, dict] = {}  # scheduled event id -> the Lambda subsegment
    current: list[dict] = []  # states open, innermost last
    for event in events:
        kind = lifecycle.event_type(event)
        details = _details(event)
        moment = _seconds(event["timestamp"])
        if kind.endswith("StateEntered"):
            state = {"id": new_id(), "name": details.get("name", ""), "start_time": moment}
            state["subsegments"] = []
            open_states.setdefault(state["name"], []).append(state)
            current.append(state)
            root["subsegments"].append(state)
        elif kind.endswith("StateExited"):
            state = (open_states.get(details.get("name")) or [None]).pop()
            if state is not None:
                state["end_time"] = moment
                current.remove(state)
        elif kind in ("LambdaFunctionScheduled", "TaskScheduled"):
            if kind == "TaskScheduled" and details.get("resourceType") != "lambda":
                continue
            function = details.get("resource", "")
            if kind == "TaskScheduled":
                parameters = json.loads(details.get("parameters") or "{}")
                function = parameters.get("FunctionName", function)
            call = {
                "id": new_id(),
                "name": "Lambda",
                "namespace": "aws",
                "start_time": moment,
                "aws": {
                    "function_name": function.split(":")[-1],
                    "operation": "Invoke",
                    "resource_names": [function],
                },
            }
            calls[event["id"]] = call
            if current:
                current[-1]["subsegments"].append(call)
        elif kind.startswith(("LambdaFunction", "Task")) and kind.endswith(
            ("Started", "Succeeded", "Failed", "TimedOut")
        ):
            call = calls.pop(event.get("previousEventId"), None)
            if call is None:
                continue
            if kind.endswith("Started"):
                calls[event["id"]] = call
                call["tutorial_started"] = moment
                continue
            call["end_time"] = moment
            if not kind.endswith("Succeeded"):
                call["error"] = True
            documents += _lambda_segments(call, trace_id, account, moment)
        elif kind.endswith(("Failed", "TimedOut", "Aborted")) and current:
            current[-1]["error"] = True
    end, last = root["end_time"], lifecycle.event_type(events[-1])
    for state in root["subsegments"]:
        if "end_time" not in state:  # never exited: the run ended in it
            state["end_time"] = end
            if last != "ExecutionSucceeded":
                state["error"] = True
        for call in state["subsegments"]:
            call.setdefault("end_time", end)
            call.pop("tutorial_started", None)
        if not state["subsegments"]:
            del state["subsegments"]
    if last in ("ExecutionFailed", "ExecutionTimedOut"):
        root["fault"] = True
    elif last == "ExecutionAborted":
        root["error"] = True
    return documents


def _lambda_segments(call: dict, trace_id: str, account: str, end: float) -> list[dict]:
    """The Lambda service's and the function's segments of one call."""
    function = call["aws"]["resource_names"][0]
    name = call["aws"]["function_name"]
    started = call.get("tutorial_started", call["start_time"])
    service = {
        "name": name,
        "id": new_id(),
        "trace_id": trace_id,
        "parent_id": call["id"],
        "origin": "AWS::Lambda",
        "start_time": call["start_time"],
        "end_time": end,
        "aws": {"account_id": account, "function_arn": function},
    }
    invocation = {
        "name": name,
        "id": new_id(),
        "trace_id": trace_id,
        "parent_id": service["id"],
        "origin": "AWS::Lambda::Function",
        "start_time": started,
        "end_time": end,
        "aws": {"account_id": account, "function_arn": function},
        "subsegments": [
            {"id": new_id(), "name": "Invocation", "start_time": started, "end_time": end}
        ],
    }
    if call.get("error"):
        service["error"] = invocation["error"] = True
    return [service, invocation]


def this_run(events: list[dict]) -> list[dict]:
    """The events since the execution started or was last redriven."""
    marks = [
        position
        for position, event in enumerate(events)
        if lifecycle.event_type(event) in ("ExecutionStarted", "ExecutionRedriven")
    ]
    return events[marks[-1] :] if marks else events


class Tracer:
    """Gives traced executions a header when they start and writes their segments at the end."""

    kinds = frozenset({"ExecutionStarted"})

    def event(self, execution, event: dict) -> None:
        execution.trace_header = trace_header(execution)

    def ended(self, execution) -> None:
        from moto.xray.models import xray_backends

        from sfn_tutorial.emulator.iam import authorization

        header = execution.trace_header
        if not header or (_SAMPLED.search(header) or [None, "1"])[1] == "0":
            return
        if not authorization.allowed(execution.role_arn, "xray:PutTraceSegments", "*"):
            return
        env = execution.exec_worker.env
        events = this_run(env.event_manager.get_event_history())
        if not events:
            return
        trace_id = _ROOT.search(header).group(1)
        parent = re.search(r"Parent=([0-9a-f]+)", header)
        backend = xray_backends[execution.account_id][execution.region_name]
        for document in segments(execution, events, trace_id, parent and parent.group(1)):
            backend.process_segment(json.dumps(document))


# ---------------------------------------------------------------- reading traces


def _trace_summary(trace_id: str, documents: list[dict]) -> dict:
    roots = [document for document in documents if "parent_id" not in document] or documents
    entry = min(roots, key=lambda document: document["start_time"])
    start = min(document["start_time"] for document in documents)
    end = max(document.get("end_time", start) for document in documents)
    services = []
    for document in documents:
        service = {
            "Name": document["name"],
            "Names": [document["name"]],
            "AccountId": (document.get("aws") or {}).get("account_id"),
            "Type": document.get("origin"),
        }
        if service not in services:
            services.append(service)
    return {
        "Id": trace_id,
        "StartTime": start,
        "Duration": round(end - start, 3),
        "ResponseTime": round(entry.get("end_time", start) - entry["start_time"], 3),
        "HasFault": any(document.get("fault") for document in documents),
        "HasError": any(document.get("error") for document in documents),
        "HasThrottle": any(document.get("throttle") for document in documents),
        "IsPartial": False,
        "EntryPoint": {
            "Name": entry["name"],
            "Names": [entry["name"]],
            "AccountId": (entry.get("aws") or {}).get("account_id"),
            "Type": entry.get("origin"),
        },
        "ServiceIds": services,
        "Annotations": {},
        "Users": [],
    }


def _documents(trace) -> list[dict]:
    return [json.loads(segment.raw) for segment in trace["segments"]]


def trace_summaries_and_traces_as_aws_answers_them() -> None:
    """``GetTraceSummaries`` of the traces that started in ``[StartTime, EndTime]`` (epoch
    seconds, fractions kept), filtered by ``service("NAME")``; ``BatchGetTraces`` with each
    trace's ``Duration`` in seconds and ``LimitExceeded``."""
    from moto.xray.responses import XRayResponse

    def trace_summaries(self):
        start, end = self._get_param("StartTime"), self._get_param("EndTime")
        if start is None or end is None:
            missing = "StartTime" if start is None else "EndTime"
            return self._error("MissingParameter", f"Parameter {missing} is missing")
        wanted = self._get_param("FilterExpression")
        service = None
        if wanted:
            match = _SERVICE_FILTER.match(wanted)
            if match is None:
                return self._error(
                    "InvalidRequestException",
                    f"Filter expression not supported by the local emulator: {wanted}",
                )
            service = match.group(1)
        summaries = []
        collection = self.xray_backend._segment_collection
        for trace_id, trace in list(collection._traces.items()):
            documents = _documents(trace)
            if not documents:
                continue
            began = min(document["start_time"] for document in documents)
            if not float(start) <= began <= float(end):
                continue
            if service is not None and all(doc["name"] != service for doc in documents):
                continue
            summaries.append(_trace_summary(trace_id, documents))
        summaries.sort(key=lambda summary: summary["StartTime"])
        return json.dumps(
            {
                "TraceSummaries": summaries,
                "ApproximateTime": time.time(),
                "TracesProcessedCount": len(summaries),
            }
        )

    def traces(self):
        trace_ids = self._get_param("TraceIds")
        if trace_ids is None:
            return self._error("MissingParameter", "Parameter TraceIds is missing")
        collection = self.xray_backend._segment_collection
        found, unprocessed = [], []
        for trace_id in trace_ids:
            trace = collection._traces.get(trace_id)
            if trace is None or not trace["segments"]:
                unprocessed.append(trace_id)
                continue
            documents = _documents(trace)
            start = min(document["start_time"] for document in documents)
            end = max(document.get("end_time", start) for document in documents)
            found.append(
                {
                    "Id": trace_id,
                    "Duration": round(end - start, 3),
                    "LimitExceeded": False,
                    "Segments": [
                        {"Id": segment.id, "Document": segment.raw} for segment in trace["segments"]
                    ],
                }
            )
        return json.dumps({"Traces": found, "UnprocessedTraceIds": unprocessed})

    XRayResponse.trace_summaries = trace_summaries
    XRayResponse.traces = traces
