"""Operating a workflow (notebook 13): versions and aliases, metrics, alarms, notifications and
the execution's timeline, on either target.

Everything here uses plain boto3 calls a learner could make; what differs between the targets is
only *time*. CloudWatch evaluates alarms once a minute: on AWS ``wait_for_alarm`` waits (minutes,
with progress), on the local target it moves the emulator's clock forward a minute at a time
(``emulator.clock``), so the notebook need not sit. ``now()`` is the target's time, which
metric queries count back from.
"""

from __future__ import annotations

import datetime
import json
import os
import time

import boto3

from sfn_tutorial.i18n import t

ALARM_TIMEOUT_S = 600  # CloudWatch evaluates every minute; metrics arrive a minute or two late
ALARM_POLL_S = 15
MESSAGE_TIMEOUT_S = 60
TRACE_TIMEOUT_S = 120  # on AWS, a trace is searchable some seconds after it ended
DELETION_TIMEOUT_S = 120


def on_local_target() -> bool:
    return (os.environ.get("TUTORIAL_TARGET") or "local").strip().lower() == "local"


def _clock(body: dict | None = None) -> dict:
    from sfn_tutorial.emulator import clock, server

    if body is None:
        return json.loads(server.request(clock.CLOCK_PATH, method="GET"))
    return json.loads(server.request(clock.CLOCK_PATH, json.dumps(body).encode()))


def now() -> datetime.datetime:
    """The target's current time (UTC): the emulator's clock locally, the wall clock on AWS."""
    if on_local_target():
        return datetime.datetime.fromisoformat(_clock()["now"])
    return datetime.datetime.now(datetime.timezone.utc)


# ---------------------------------------------------------------- versions and aliases


def replace_state_machine(name: str, definition: dict, role_arn: str, progress=print, **settings):
    """Create state machine ``name`` anew (deleting one that exists, with its versions and
    aliases, and waiting until it is gone); return ``CreateStateMachine``'s answer."""
    from sfn_tutorial import resources

    sfn = boto3.client("stepfunctions")
    existing = resources.find_state_machine_arn(name)
    deadline = time.monotonic() + DELETION_TIMEOUT_S
    if existing:
        sfn.delete_state_machine(stateMachineArn=existing)
        while resources.find_state_machine_arn(name) and time.monotonic() < deadline:
            progress(t("  waiting for the old {name} to be deleted", name=name))
            time.sleep(5)
    while True:
        try:
            return resources.retry_while_iam_propagates(
                sfn.create_state_machine,
                name=name,
                definition=json.dumps(definition),
                roleArn=role_arn,
                tags=resources.tags("key"),
                progress=progress,
                **settings,
            )
        except (sfn.exceptions.StateMachineDeleting, sfn.exceptions.StateMachineAlreadyExists):
            if not existing or time.monotonic() > deadline:
                raise
            progress(t("  waiting for the old {name} to be deleted", name=name))
            time.sleep(5)


def version_rows(state_machine_arn: str) -> list[list]:
    """``[version, description]`` of each published version, newest first."""
    sfn = boto3.client("stepfunctions")
    rows, token = [], {}
    while True:  # botocore has no paginator for this action
        page = sfn.list_state_machine_versions(stateMachineArn=state_machine_arn, **token)
        for item in page["stateMachineVersions"]:
            arn = item["stateMachineVersionArn"]
            described = sfn.describe_state_machine(stateMachineArn=arn)
            rows.append([arn.rsplit(":", 1)[1], described.get("description", "")])
        if not page.get("nextToken"):
            return rows
        token = {"nextToken": page["nextToken"]}


def alias_split(alias_arn: str) -> list[list]:
    """``[version, executions, share]`` of the executions started through ``alias_arn``."""
    sfn = boto3.client("stepfunctions")
    counts: dict[str, int] = {}
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=alias_arn):
        for item in page["executions"]:
            version = item.get("stateMachineVersionArn", "?").rsplit(":", 1)[-1]
            counts[version] = counts.get(version, 0) + 1
    total = sum(counts.values()) or 1
    return [
        [version, count, f"{100 * count / total:.0f} %"]
        for version, count in sorted(counts.items())
    ]


# ---------------------------------------------------------------- metrics


def metric_series(
    state_machine_arn: str, names: list[str], minutes: int = 15, period: int = 60
) -> dict[str, list[tuple[datetime.datetime, float]]]:
    """Each ``AWS/States`` metric of ``names`` for the machine, summed per ``period`` over the
    last ``minutes`` of the target's time, oldest first (one ``GetMetricData`` call). A period
    without data (no execution then: nothing was published) counts 0."""
    end = now().replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
    start = end - datetime.timedelta(minutes=minutes)
    queries = [
        {
            "Id": f"m{position}",
            "Label": name,
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/States",
                    "MetricName": name,
                    "Dimensions": [{"Name": "StateMachineArn", "Value": state_machine_arn}],
                },
                "Period": period,
                "Stat": "Sum",
            },
        }
        for position, name in enumerate(names)
    ]
    answer = boto3.client("cloudwatch").get_metric_data(
        MetricDataQueries=queries, StartTime=start, EndTime=end, ScanBy="TimestampAscending"
    )
    grid = [start + datetime.timedelta(seconds=period * step) for step in range(minutes)]
    series = {}
    for result in answer["MetricDataResults"]:
        found = {
            stamp.timestamp(): value
            for stamp, value in zip(result["Timestamps"], result["Values"], strict=True)
        }
        series[result["Label"]] = [(slot, found.get(slot.timestamp(), 0.0)) for slot in grid]
    return series


def metrics_figure(series: dict, title: str):
    """A line chart of ``metric_series``' answer: one line per metric, a point per period."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 3))
    for name, points in series.items():
        axes.plot([stamp for stamp, _ in points], [v for _, v in points], marker=".", label=name)
    axes.set_title(title)
    axes.set_ylabel(t("per minute (Sum)"))
    axes.set_ylim(bottom=0)
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
    axes.legend(loc="upper left", fontsize="small")
    figure.autofmt_xdate()
    plt.close(figure)
    return figure


# ---------------------------------------------------------------- alarms and notifications


def alarm_state(alarm_name: str) -> dict:
    (alarm,) = boto3.client("cloudwatch").describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"]
    return alarm


def wait_for_alarm(alarm_name: str, state: str, progress=print) -> dict:
    """Wait until the alarm is in ``state``; return ``DescribeAlarms``' entry for it.

    On AWS this polls every 15 s for up to 10 minutes (CloudWatch evaluates once a minute, and
    the metrics it evaluates arrive a minute or two after the fact). On the local target it
    moves the emulator's clock forward a minute at a time, each step an evaluation."""
    deadline = time.monotonic() + ALARM_TIMEOUT_S
    minutes = 0
    while True:
        alarm = alarm_state(alarm_name)
        if alarm["StateValue"] == state:
            return alarm
        if on_local_target():
            if minutes >= ALARM_TIMEOUT_S // 60:
                break
            _clock({"advance_seconds": 60})
            minutes += 1
            progress(
                t("  the emulator's clock moved 1 minute on: {name} evaluated", name=alarm_name)
            )
            continue
        if time.monotonic() > deadline:
            break
        progress(
            t(
                "  {name} is {state}; CloudWatch evaluates it every minute",
                name=alarm_name,
                state=alarm["StateValue"],
            )
        )
        time.sleep(ALARM_POLL_S)
    raise TimeoutError(
        t(
            "{name} did not reach {state}; it is {current}",
            name=alarm_name,
            state=state,
            current=alarm["StateValue"],
        )
    )


def next_message(queue_url: str, contains: str, timeout_s: float = MESSAGE_TIMEOUT_S) -> dict:
    """The first message of the queue whose body contains ``contains``, parsed (an SNS
    notification's ``Message`` parsed too). Every message read is deleted, so older ones (from
    an earlier run) are skipped once and gone."""
    sqs = boto3.client("sqs")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=2)
        found = None
        for message in answer.get("Messages", []):
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            if found is None and contains in message["Body"]:
                found = json.loads(message["Body"])
        if found is not None:
            if found.get("Type") == "Notification":
                found["Message"] = json.loads(found["Message"])
            return found
    raise TimeoutError(f"no message with {contains!r} reached the queue in {timeout_s:.0f} s")


def queue_policy(queue_arn: str, service: str, source_arn: str) -> str:
    """A queue policy letting ``service`` (``sns.amazonaws.com``, ``events.amazonaws.com``)
    send messages to the queue for ``source_arn`` only (a topic, a rule) and for no one else."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": source_arn}},
                }
            ],
        }
    )


# ---------------------------------------------------------------- the timeline


def _seconds(stamp) -> float:
    if isinstance(stamp, str):
        stamp = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return stamp.timestamp()


def timeline_rows(events: list[dict]) -> list[dict]:
    """Each state visit of an execution's history: ``{"state", "start", "end", "outcome"}``
    (seconds from the execution's start; outcome ``succeeded``, ``failed`` or ``redriven``
    for a visit a redrive ended) and the redrives' times as ``{"redrive": seconds}``."""
    if not events:
        return []
    origin = _seconds(events[0]["timestamp"])
    rows, open_visits = [], {}
    for event in events:
        kind = event["type"]
        moment = _seconds(event["timestamp"]) - origin
        if kind.endswith("StateEntered"):
            name = event["stateEnteredEventDetails"]["name"]
            visit = {"state": name, "start": moment, "end": None, "outcome": "running"}
            open_visits.setdefault(name, []).append(visit)
            rows.append(visit)
        elif kind.endswith("StateExited"):
            stack = open_visits.get(event["stateExitedEventDetails"]["name"]) or []
            if stack:
                visit = stack.pop()
                visit["end"], visit["outcome"] = moment, "succeeded"
        elif kind in ("ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"):
            for stack in open_visits.values():
                for visit in stack:
                    visit["end"], visit["outcome"] = moment, "failed"
            open_visits = {}
        elif kind == "ExecutionRedriven":
            rows.append({"redrive": moment})
    last = _seconds(events[-1]["timestamp"]) - origin
    for visit in rows:
        if "state" in visit and visit["end"] is None:
            visit["end"] = last
    return rows


def timeline_figure(rows: list[dict], title: str):
    """A Gantt chart of ``timeline_rows``: a bar per state visit, green succeeded, red failed,
    blue running; a dashed line at each redrive."""
    import matplotlib.pyplot as plt

    colours = {"succeeded": "#2ca02c", "failed": "#d62728", "running": "#1f77b4"}
    visits = [row for row in rows if "state" in row]
    names = list(dict.fromkeys(visit["state"] for visit in visits))
    figure, axes = plt.subplots(figsize=(7, 0.5 + 0.45 * max(1, len(names))))
    span = max([visit["end"] for visit in visits] + [0.001])
    for visit in visits:
        width = max(visit["end"] - visit["start"], span / 300)  # an instant stays visible
        axes.barh(
            names.index(visit["state"]),
            width,
            left=visit["start"],
            height=0.5,
            color=colours[visit["outcome"]],
        )
    for row in rows:
        if "redrive" in row:
            axes.axvline(row["redrive"], color="grey", linestyle="--", linewidth=1)
            axes.text(row["redrive"], -0.45, " " + t("redrive"), fontsize="small", va="bottom")
    axes.set_yticks(range(len(names)), names)
    axes.invert_yaxis()
    axes.set_xlabel(t("seconds since the execution started"))
    axes.set_title(title)
    plt.close(figure)
    return figure


def trace_documents(trace_header: str, progress=print) -> list[dict]:
    """The X-Ray segment documents of the trace the header names, waiting for them on AWS
    (a trace is searchable some seconds after the execution ended)."""
    trace_id = next(
        part.split("=", 1)[1] for part in trace_header.split(";") if part.startswith("Root=")
    )
    xray = boto3.client("xray")
    deadline = time.monotonic() + TRACE_TIMEOUT_S
    while True:
        traces = xray.batch_get_traces(TraceIds=[trace_id])["Traces"]
        if traces and traces[0]["Segments"]:
            return [json.loads(segment["Document"]) for segment in traces[0]["Segments"]]
        if time.monotonic() > deadline:
            raise TimeoutError(t("X-Ray has no segments of trace {trace} yet", trace=trace_id))
        progress(t("  waiting for X-Ray to index the trace"))
        time.sleep(10)


def segment_rows(documents: list[dict]) -> list[list]:
    """``[origin, name, subsegments]`` of each segment, the execution first."""
    order = {"AWS::StepFunctions::StateMachine": 0, "AWS::Lambda": 1, "AWS::Lambda::Function": 2}
    documents = sorted(documents, key=lambda d: (order.get(d.get("origin"), 3), d["name"]))
    return [
        [
            document.get("origin", ""),
            document["name"],
            ", ".join(sub["name"] for sub in document.get("subsegments", [])),
        ]
        for document in documents
    ]
