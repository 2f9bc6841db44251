"""CloudWatch alarms evaluated as CloudWatch evaluates static-threshold alarms, on the emulator's
clock, with their actions sent to SNS.

AWS (CloudWatch user guide, "Using Amazon CloudWatch alarms", "Evaluating an alarm", "Configuring
how CloudWatch alarms treat missing data"; API reference, PutMetricAlarm):

- A new alarm starts in ``INSUFFICIENT_DATA`` ("Unchecked: Initial alarm creation"); updating it
  with ``PutMetricAlarm`` keeps its state.
- Every minute (every period, for periods under a minute) CloudWatch looks at the alarm's
  metric: the statistic of each of the most recent *complete* periods. With at least
  ``EvaluationPeriods`` (N) real datapoints in the evaluation range it takes the N most recent;
  with fewer, it fills the missing periods as ``TreatMissingData`` says: ``breaching`` and
  ``notBreaching`` count them as such, ``ignore`` keeps the current state when nothing is known,
  ``missing`` (the default) goes to ``INSUFFICIENT_DATA`` when nothing is known. The alarm is in
  ``ALARM`` when at least ``DatapointsToAlarm`` (M, default N) of them breach the threshold,
  ``OK`` otherwise.
- On each change of state it records a ``StateUpdate`` in its history
  (``DescribeAlarmHistory``), with ``StateReason`` and ``StateReasonData`` as CloudWatch writes
  them, and, if its actions are enabled, sends the new state's actions (``AlarmActions``,
  ``OKActions``, ``InsufficientDataActions``): an SNS topic gets the alarm's JSON notification,
  subject ``ALARM: "NAME" in REGION NAME``.

Here evaluation happens on the emulator's clock (``emulator.clock``): once a minute of it, and at
each minute it passes when it is moved forward, so a notebook need not wait minutes for an
alarm. The evaluation range is N + 2 periods (AWS looks "a higher number of data points" back
than N without saying how many). Alarms on metric math (``Metrics``) are evaluated when their
one returned query is a ``MetricStat``.

moto never evaluates alarms, starts them ``OK``, resets their state on update and has no alarm
history. ``apply()`` is called by ``emulator.fixes.apply()``; ``tests/test_cloudwatch_alarms.py``
checks each behaviour against a running emulator.
"""

from __future__ import annotations

import datetime
import json
import math
import threading

from sfn_tutorial.emulator import clock
from sfn_tutorial.emulator.cloudwatch import metrics

EXTRA_PERIODS = 2  # how much further back than N periods the evaluation range reaches
MAX_EVALUATIONS = 240  # per alarm and tick: moving the clock a day evaluates the last 4 hours
INITIAL_REASON = "Unchecked: Initial alarm creation"
_PHRASES = {
    "GreaterThanOrEqualToThreshold": "greater than or equal to",
    "GreaterThanThreshold": "greater than",
    "LessThanThreshold": "less than",
    "LessThanOrEqualToThreshold": "less than or equal to",
}
_TESTS = {
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
}
_lock = threading.RLock()


def apply() -> None:
    """Alarms start INSUFFICIENT_DATA, keep their state on update, are evaluated on the clock."""
    alarms_start_with_insufficient_data_and_keep_their_state()
    alarm_history_is_kept()
    clock.register(EVALUATOR)


def _now() -> datetime.datetime:
    return clock.now()


def aws_time(moment: datetime.datetime) -> str:
    """A time as CloudWatch writes it in alarm JSON: ``2024-05-21T08:32:10.125+0000``."""
    moment = metrics.utc(moment)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def region_name(region: str) -> str:
    """A region's name as alarm notifications spell it (``Asia Pacific (Seoul)``)."""
    from botocore.loaders import Loader

    for partition in Loader().load_data("endpoints")["partitions"]:
        if region in partition["regions"]:
            return partition["regions"][region].get("description", region)
    return region


# ---------------------------------------------------------------- state and history


def history(alarm) -> list[dict]:
    """The alarm's history items, oldest first."""
    return alarm.__dict__.setdefault("tutorial_history", [])


def record(alarm, kind: str, summary: str, data: dict, moment: datetime.datetime) -> None:
    history(alarm).append(
        {
            "AlarmName": alarm.name,
            "AlarmType": "MetricAlarm",
            "Timestamp": moment,
            "HistoryItemType": kind,
            "HistorySummary": summary,
            "HistoryData": json.dumps(data),
        }
    )


def alarms_start_with_insufficient_data_and_keep_their_state() -> None:
    """``PutMetricAlarm``: a new alarm is ``INSUFFICIENT_DATA`` until its first evaluation; an
    existing one keeps its state, history and evaluation time, and its configuration update is
    recorded."""
    from moto.cloudwatch.models import CloudWatchBackend

    original = CloudWatchBackend.put_metric_alarm

    def put_metric_alarm(self, name, *args, **kwargs):
        with _lock:
            before = self.alarms.get(name)
            alarm = original(self, name, *args, **kwargs)
            moment = _now()
            alarm.configuration_updated_timestamp = moment
            if before is None:
                alarm.state_value = "INSUFFICIENT_DATA"
                alarm.state_reason = INITIAL_REASON
                alarm.state_reason_data = None
                alarm.state_updated_timestamp = moment
                alarm.state_transitioned_timestamp = moment
                record(alarm, "ConfigurationUpdate", f'Alarm "{name}" created', {}, moment)
            else:
                for kept in (
                    "state_value",
                    "state_reason",
                    "state_reason_data",
                    "state_updated_timestamp",
                    "state_transitioned_timestamp",
                    "tutorial_history",
                    "tutorial_evaluated",
                ):
                    if hasattr(before, kept):
                        setattr(alarm, kept, getattr(before, kept))
                record(alarm, "ConfigurationUpdate", f'Alarm "{name}" updated', {}, moment)
            return alarm

    CloudWatchBackend.put_metric_alarm = put_metric_alarm

    original_set = CloudWatchBackend.set_alarm_state

    def set_alarm_state(self, alarm_name, reason, reason_data, state_value):
        with _lock:
            alarm = self.alarms.get(alarm_name)
            old = alarm.state_value if alarm is not None else None
            old_reason = alarm.state_reason if alarm is not None else None
            original_set(self, alarm_name, reason, reason_data, state_value)
            if old != state_value:
                change_state(self, alarm, (old, old_reason), state_value, reason, reason_data)

    CloudWatchBackend.set_alarm_state = set_alarm_state


def alarm_history_is_kept() -> None:
    """``DescribeAlarmHistory``: an alarm's configuration updates, state updates and actions,
    newest first (``ScanBy``), filtered by name, type and dates."""
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.responses import ActionResult

    def describe_alarm_history(self):
        name = self._get_param("AlarmName")
        kind = self._get_param("HistoryItemType")
        start, end = self._get_param("StartDate"), self._get_param("EndDate")
        newest_first = (self._get_param("ScanBy") or "TimestampDescending") == (
            "TimestampDescending"
        )
        items = [
            item
            for alarm in list(self.cloudwatch_backend.alarms.values())
            if name is None or alarm.name == name
            for item in history(alarm)
            if (kind is None or item["HistoryItemType"] == kind)
            and (start is None or item["Timestamp"] >= metrics.utc(start))
            and (end is None or item["Timestamp"] <= metrics.utc(end))
        ]
        items.sort(key=lambda item: item["Timestamp"], reverse=newest_first)
        limit = self._get_int_param("MaxRecords") or 100
        return ActionResult({"AlarmHistoryItems": items[:limit]})

    CloudWatchResponse.describe_alarm_history = describe_alarm_history


def change_state(backend, alarm, before: tuple, new: str, reason: str, reason_data) -> None:
    """Record a change of state from ``before`` (state, reason) and send the new state's
    actions."""
    moment = _now()
    old, old_reason = before
    alarm.state_updated_timestamp = alarm.state_transitioned_timestamp = moment
    data = {
        "version": "1.0",
        "oldState": {"stateValue": old, "stateReason": old_reason},
        "newState": {"stateValue": new, "stateReason": reason},
    }
    if reason_data:
        data["newState"]["stateReasonData"] = json.loads(reason_data)
    record(alarm, "StateUpdate", f"Alarm updated from {old} to {new}", data, moment)
    if alarm.actions_enabled:
        actions = {
            "ALARM": alarm.alarm_actions,
            "OK": alarm.ok_actions,
            "INSUFFICIENT_DATA": alarm.insufficient_data_actions,
        }[new]
        for action in actions or []:
            send_action(backend, alarm, action, old, new, reason, moment)


def notification(backend, alarm, old: str, new: str, reason: str, moment) -> dict:
    """The JSON message an alarm sends to an SNS topic."""
    trigger = {
        "MetricName": alarm.metric_name,
        "Namespace": alarm.namespace,
        "StatisticType": "ExtendedStatistic" if alarm.extended_statistic else "Statistic",
        "Statistic": (alarm.statistic or "").upper() if not alarm.extended_statistic else None,
        "ExtendedStatistic": alarm.extended_statistic,
        "Unit": alarm.unit,
        "Dimensions": [
            {"value": dimension.value, "name": dimension.name} for dimension in alarm.dimensions
        ],
        "Period": alarm.period,
        "EvaluationPeriods": alarm.evaluation_periods,
        "DatapointsToAlarm": alarm.datapoints_to_alarm or alarm.evaluation_periods,
        "ComparisonOperator": alarm.comparison_operator,
        "Threshold": float(alarm.threshold) if alarm.threshold is not None else None,
        "TreatMissingData": alarm.treat_missing_data or "missing",
        "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile or "",
    }
    trigger = {key: value for key, value in trigger.items() if value is not None or key == "Unit"}
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "AWSAccountId": backend.account_id,
        "AlarmConfigurationUpdatedTimestamp": aws_time(alarm.configuration_updated_timestamp),
        "NewStateValue": new,
        "NewStateReason": reason,
        "StateChangeTime": aws_time(moment),
        "Region": region_name(backend.region_name),
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": old,
        "OKActions": list(alarm.ok_actions or []),
        "AlarmActions": list(alarm.alarm_actions or []),
        "InsufficientDataActions": list(alarm.insufficient_data_actions or []),
        "Trigger": trigger,
    }


def send_action(backend, alarm, action: str, old: str, new: str, reason: str, moment) -> None:
    """Send one action: an SNS topic gets the notification (other actions are not emulated)."""
    from moto.sns.models import sns_backends

    parts = action.split(":")
    if len(parts) < 6 or parts[2] != "sns":
        return
    message = notification(backend, alarm, old, new, reason, moment)
    subject = f'{new}: "{alarm.name}" in {region_name(backend.region_name)}'[:100]
    try:
        sns_backends[parts[4]][parts[3]].publish(
            message=json.dumps(message, separators=(",", ":")), arn=action, subject=subject
        )
        outcome = "Successfully executed action"
    except Exception as error:  # a deleted topic: the action fails, the alarm goes on
        outcome = f"Failed to execute action {action}: {error}"
    record(alarm, "Action", f"{outcome} {action}", {"actionState": "Succeeded"}, moment)


# ---------------------------------------------------------------- evaluation


def metric_of(alarm):
    """``(namespace, name, dimensions, statistic, period, unit)`` the alarm watches, or ``None``
    for an alarm this emulator does not evaluate (composite, or metric math)."""
    if alarm.rule is not None:
        return None
    if alarm.metric_name:
        dimensions = [{"Name": d.name, "Value": d.value} for d in alarm.dimensions]
        stat = alarm.statistic or alarm.extended_statistic
        return alarm.namespace, alarm.metric_name, dimensions, stat, int(alarm.period), alarm.unit
    returned = [query for query in alarm.metric_data_queries if query.return_data is not False]
    if len(returned) == 1 and returned[0].metric_stat is not None:
        stat = returned[0].metric_stat
        metric = stat.metric
        dimensions = [{"Name": d.name, "Value": d.value} for d in metric.dimensions]
        period = int(stat.period or returned[0].period or 60)
        return metric.namespace, metric.metric_name, dimensions, stat.stat, period, stat.unit
    return None


def evaluation_interval(period: int) -> int:
    """How often CloudWatch evaluates an alarm: every minute, every period under a minute."""
    return period if period < 60 else 60


def evaluate(backend, alarm, moment: datetime.datetime) -> dict | None:
    """Evaluate ``alarm`` as at ``moment``; change its state if it should. What was found."""
    watched = metric_of(alarm)
    if watched is None:
        return None
    namespace, name, dimensions, stat, period, unit = watched
    wanted = int(alarm.evaluation_periods)
    needed = int(alarm.datapoints_to_alarm or wanted)
    end_s = math.floor(moment.timestamp() / period) * period  # the last complete period's end
    end = datetime.datetime.fromtimestamp(end_s, datetime.timezone.utc)
    start = end - datetime.timedelta(seconds=period * (wanted + EXTRA_PERIODS))
    found = metrics.datapoints(backend, namespace, name, dimensions, start, end, unit)
    by_period = metrics.buckets(found, start, end, period)
    real = sorted(
        (
            (slot, metrics.statistic(values, stat), len(values))
            for slot, values in by_period.items()
        ),
        reverse=True,
    )
    real = [point for point in real if point[1] is not None]
    compare = _TESTS[alarm.comparison_operator]
    threshold = float(alarm.threshold)
    treat = alarm.treat_missing_data or "missing"
    if len(real) >= wanted:
        evaluated = real[:wanted]
        breaching = sum(compare(value, threshold) for _, value, _ in evaluated)
        missing = 0
    else:
        evaluated = real
        missing = wanted - len(real)
        breaching = sum(compare(value, threshold) for _, value, _ in evaluated)
        if treat == "breaching":
            breaching += missing
    if not real and treat in ("missing", "ignore"):
        new = None if treat == "ignore" else "INSUFFICIENT_DATA"
    else:
        new = "ALARM" if breaching >= needed else "OK"
    reason = _reason(alarm, new, evaluated, missing, breaching, needed, treat)
    data = {
        "version": "1.0",
        "queryDate": aws_time(moment),
        "startDate": aws_time(end - datetime.timedelta(seconds=period * wanted)),
        "statistic" if alarm.statistic else "extendedStatistic": stat,
        "unit": unit,
        "period": period,
        "recentDatapoints": [value for _, value, _ in evaluated],
        "threshold": threshold,
        "evaluatedDatapoints": [
            {"timestamp": aws_time(slot), "sampleCount": float(count), "value": value}
            for slot, value, count in evaluated
        ],
    }
    data = {key: value for key, value in data.items() if value is not None}
    before = (alarm.state_value, alarm.state_reason)
    if new is not None and new != before[0]:
        alarm.state_value, alarm.state_reason = new, reason
        alarm.state_reason_data = json.dumps(data)
        change_state(backend, alarm, before, new, reason, alarm.state_reason_data)
    return {"alarm": alarm.name, "time": aws_time(moment), "state": alarm.state_value}


def _reason(alarm, new, evaluated, missing, breaching, needed, treat) -> str:
    """The ``StateReason`` CloudWatch writes."""
    if new == "INSUFFICIENT_DATA" or new is None:
        wanted = int(alarm.evaluation_periods)
        return f"Insufficient Data: {wanted} datapoint{'s were' if wanted > 1 else ' was'} unknown."
    shown = ", ".join(
        f"{value} ({slot.strftime('%d/%m/%y %H:%M:%S')})" for slot, value, _ in evaluated
    )
    total = len(evaluated) + (missing if treat in ("breaching", "notBreaching") else 0)
    phrase = _PHRASES[alarm.comparison_operator]
    if new == "ALARM":
        count, verb, transition = breaching, "was", "OK -> ALARM"
        plural = "datapoint" if needed == 1 else "datapoints"
    else:
        count, verb, transition = total - breaching, "was not", "ALARM -> OK"
        plural = "datapoint" if needed == 1 else "datapoints"
    if count != 1:
        verb = verb.replace("was", "were")
    return (
        f"Threshold Crossed: {count} out of the last {total} datapoints [{shown}] {verb} "
        f"{phrase} the threshold ({float(alarm.threshold)}) (minimum {needed} {plural} for "
        f"{transition} transition)."
    )


class Evaluator:
    """Evaluates every alarm at each evaluation time the clock passes."""

    name = "alarms"  # what the clock's answer calls the evaluations

    def due(self, now: datetime.datetime) -> list[dict]:
        from moto.cloudwatch.models import cloudwatch_backends

        done = []
        with _lock:
            for regions in list(cloudwatch_backends.values()):
                for backend in list(regions.values()):
                    for alarm in list(backend.alarms.values()):
                        done += self._catch_up(backend, alarm, now)
        return done

    def _catch_up(self, backend, alarm, now: datetime.datetime) -> list[dict]:
        watched = metric_of(alarm)
        if watched is None:
            return []
        step = evaluation_interval(watched[4])
        latest = math.floor(now.timestamp() / step) * step
        last = getattr(alarm, "tutorial_evaluated", None)
        if last is None:  # a new alarm: evaluated at the next evaluation time
            first = metrics.utc(alarm.configuration_updated_timestamp).timestamp()
            last = math.floor(first / step) * step
        times = [moment for moment in range(int(last) + step, int(latest) + 1, step)]
        done = []
        for moment in times[-MAX_EVALUATIONS:]:
            when = datetime.datetime.fromtimestamp(moment, datetime.timezone.utc)
            result = evaluate(backend, alarm, when)
            if result is not None:
                done.append(result)
        if times:
            alarm.tutorial_evaluated = times[-1]
        return done


EVALUATOR = Evaluator()
