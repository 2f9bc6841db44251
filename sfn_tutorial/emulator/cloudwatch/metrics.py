"""CloudWatch metrics as AWS stores and answers them: what services publish, what
``GetMetricStatistics`` and ``GetMetricData`` answer.

AWS (CloudWatch user guide, "Metrics concepts"; API reference):

- A metric is its namespace, its name and its *whole* set of dimensions: asking for
  ``ExecutionsFailed`` with ``StateMachineArn=X`` finds the data published with exactly that
  dimension, and asking without dimensions finds only data published without any.
- Statistics are per period. The start time is rounded down to the minute (for data under 15
  days old), and each datapoint's ``Timestamp`` is the start of its period counted from there.
  ``GetMetricData`` answers ``Timestamps`` and ``Values`` newest first unless ``ScanBy`` says
  ``TimestampAscending``, its ``Label`` defaults to the metric's name, and metric math
  (``"Expression": "100 * errors / invocations"``) combines the queries' values.
- Services publish their metrics themselves: Step Functions in ``AWS/States``
  (``stepfunctions.metrics``), Lambda in ``AWS/Lambda`` (``awslambda.metrics``), with ``put()``
  here. Their timestamps, and those of ``PutMetricData`` without a ``Timestamp``, come from the
  emulator's clock (``emulator.clock``), on which alarms are evaluated (``cloudwatch.alarms``).
- Services' metrics have standard resolution: CloudWatch keeps them per minute (no period is
  shorter). Here too the values a service publishes in one minute are kept together
  (``MinuteValues``: their sum, count, minimum, maximum and the values, for percentiles), so a
  Map of a thousand Lambda Tasks adds a few entries to the store rather than thousands.

moto matches dimensions as a subset (a query without dimensions adds up every function's
``Invocations``), starts its periods at the first datapoint, ignores the namespace of a query
with dimensions, labels queries ``"NAME STAT"`` and has no metric math beyond naming a query.
``apply()`` is called by ``emulator.fixes.apply()``; ``tests/test_cloudwatch_metrics.py`` checks
each behaviour against a running emulator.
"""

from __future__ import annotations

import array
import ast
import collections
import datetime
import math
import operator
import threading

from sfn_tutorial.emulator import clock

STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
_lock = threading.Lock()


def apply() -> None:
    """Queries as AWS answers them; data timestamped by the emulator's clock."""
    reads_see_every_published_value()
    metric_data_without_a_timestamp_is_timestamped_now()
    get_metric_statistics_answers_as_aws_does()
    get_metric_data_answers_as_aws_does()


# ---------------------------------------------------------------- publishing


def utc(moment: datetime.datetime) -> datetime.datetime:
    """``moment`` as an aware UTC datetime (moto keeps naive UTC ones)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc)


def put(
    account: str,
    region: str,
    namespace: str,
    name: str,
    value: float,
    unit: str = "Count",
    dimensions: dict[str, str] | None = None,
    timestamp: datetime.datetime | None = None,
) -> None:
    """Publish one value, as a service publishes its metrics, at the emulator's time.

    Services publish on the hot path of every invocation and state, so the value is only
    queued here (a few hundred nanoseconds); it reaches CloudWatch's store before anything
    reads it (``flush``)."""
    moment = timestamp.timestamp() if timestamp is not None else clock.CLOCK.timestamp()
    _pending.append((account, region, namespace, name, value, unit, dimensions, moment))


_pending: collections.deque = collections.deque()


class MinuteValues:
    """What a service published for one metric in one minute, as one entry of moto's store: its
    statistic set (``sum``, ``sample_count``, ``min``, ``max``, as moto's statistic sets have)
    and the values themselves (``values``, for percentiles)."""

    def __init__(self, namespace, name, dimensions, timestamp, unit) -> None:
        self.namespace, self.name, self.unit = namespace, name, unit
        self.dimensions = dimensions  # moto's Dimension objects
        self.timestamp = timestamp  # naive UTC, the minute's start, as moto keeps them
        self.values = array.array("d")
        self.sum = self.sample_count = 0.0
        self.min = self.max = None

    def add(self, value: float) -> None:
        self.values.append(value)
        self.sum += value
        self.sample_count += 1
        self.min = value if self.min is None else min(self.min, value)
        self.max = value if self.max is None else max(self.max, value)

    def filter(self, namespace, name, dimensions, already_present_metrics=None):
        """moto's test of a stored value against ``ListMetrics``' filters."""
        from moto.cloudwatch.models import MetricDatumBase

        return MetricDatumBase.filter(self, namespace, name, dimensions, already_present_metrics)


def flush() -> None:
    """Move the queued values into moto's CloudWatch store, a minute's values of a metric
    together (``MinuteValues``)."""
    from moto.cloudwatch.models import Dimension, cloudwatch_backends

    with _lock:
        while _pending:
            account, region, namespace, name, value, unit, dimensions, moment = _pending.popleft()
            minute = moment - moment % 60
            pairs = tuple(sorted((dimensions or {}).items()))
            key = (account, region, namespace, name, pairs, unit, minute)
            entry = _minutes.get(key)
            if entry is None:
                stamp = datetime.datetime.fromtimestamp(minute, datetime.timezone.utc)
                entry = MinuteValues(
                    namespace,
                    name,
                    [Dimension(dimension, text) for dimension, text in pairs],
                    stamp.replace(tzinfo=None),
                    unit,
                )
                cloudwatch_backends[account][region].metric_data.append(entry)
                _minutes[key] = entry
                _forget_old_minutes(minute)
            entry.add(float(value))


_minutes: dict[tuple, MinuteValues] = {}  # the entries still being added to, by metric and minute


def _forget_old_minutes(now_minute: float) -> None:
    """Under the lock: values keep coming for the current minutes only (values of an earlier
    minute start a new entry, which a query adds up with the first)."""
    if len(_minutes) > 1000:
        for key in [key for key in _minutes if key[-1] < now_minute - 600]:
            del _minutes[key]


class _Flusher:
    """Flushes the queued values once a second, on the clock's thread."""

    name = "metrics"

    def due(self, now) -> list:
        flush()
        return []


def reads_see_every_published_value() -> None:
    """Whatever reads the metric store (queries, ``ListMetrics``, alarms) sees every value
    published before it."""
    from moto.cloudwatch.models import CloudWatchBackend

    original = CloudWatchBackend.get_all_metrics

    def get_all_metrics(self):
        if _pending:
            flush()
        return original(self)

    CloudWatchBackend.get_all_metrics = get_all_metrics
    clock.register(_Flusher())


def metric_data_without_a_timestamp_is_timestamped_now() -> None:
    """``PutMetricData``: a value without ``Timestamp`` is stamped with the time it arrives
    (the emulator's clock, on which alarms are evaluated)."""
    from moto.cloudwatch.models import CloudWatchBackend

    original = CloudWatchBackend.put_metric_data

    def put_metric_data(self, namespace, metric_data):
        moment = clock.now().replace(tzinfo=None)
        for member in metric_data:
            member.setdefault("Timestamp", moment)
        with _lock:
            return original(self, namespace, metric_data)

    CloudWatchBackend.put_metric_data = put_metric_data


# ---------------------------------------------------------------- reading


def dimension_set(dimensions) -> frozenset:
    """Dimensions (moto's objects or API dicts) as a comparable set of pairs."""
    pairs = set()
    for dimension in dimensions or []:
        if isinstance(dimension, dict):
            pairs.add((dimension.get("Name"), dimension.get("Value")))
        else:
            pairs.add((dimension.name, dimension.value))
    return frozenset(pairs)


def datapoints(backend, namespace, name, dimensions, start, end, unit=None) -> list:
    """The values published for exactly this metric (namespace, name, whole dimension set)
    with a timestamp in ``[start, end)``."""
    wanted = dimension_set(dimensions)
    start, end = utc(start), utc(end)
    stored = list(backend.get_all_metrics())
    return [
        datum
        for datum in stored
        if datum.name == name
        and datum.namespace == namespace
        and dimension_set(datum.dimensions) == wanted
        and start <= utc(datum.timestamp) < end
        and (unit is None or datum.unit == unit)
    ]


def _values(datum) -> tuple[float, float, float, float]:
    """(sum, sample count, minimum, maximum) of a single value or a statistic set."""
    if hasattr(datum, "value"):
        return datum.value, 1.0, datum.value, datum.value
    return datum.sum, datum.sample_count, datum.min, datum.max


def _raw_values(datum):
    """The values a stored entry holds one by one (a statistic set published with
    ``StatisticValues`` holds none)."""
    if hasattr(datum, "value"):
        return [datum.value]
    return getattr(datum, "values", ())


def statistic(datums: list, stat: str) -> float | None:
    """``Sum``, ``Average``, ``Minimum``, ``Maximum``, ``SampleCount`` or a percentile such as
    ``p90`` of ``datums``; ``None`` for none."""
    if not datums:
        return None
    parts = [_values(datum) for datum in datums]
    total, count = sum(part[0] for part in parts), sum(part[1] for part in parts)
    if stat == "Sum":
        return total
    if stat == "SampleCount":
        return count
    if stat == "Average":
        return total / count if count else None
    if stat == "Minimum":
        return min(part[2] for part in parts)
    if stat == "Maximum":
        return max(part[3] for part in parts)
    if stat.startswith("p"):
        values = sorted(value for datum in datums for value in _raw_values(datum))
        if not values:
            return None
        rank = max(0, math.ceil(float(stat[1:]) / 100 * len(values)) - 1)
        return values[rank]
    return None


def aligned_start(start: datetime.datetime, period: int) -> datetime.datetime:
    """The start time as CloudWatch uses it: rounded down to the minute (to a multiple of a
    high-resolution period under a minute)."""
    start = utc(start)
    step = period if period < 60 else 60
    seconds = start.timestamp()
    return datetime.datetime.fromtimestamp(seconds - seconds % step, datetime.timezone.utc)


def buckets(datums: list, start, end, period: int) -> dict:
    """``{period start: [values]}`` for the periods of ``[start, end)`` that have values."""
    first = aligned_start(start, period)
    found: dict[datetime.datetime, list] = {}
    for datum in datums:
        offset = (utc(datum.timestamp) - first).total_seconds()
        if offset < 0:
            continue
        slot = first + datetime.timedelta(seconds=period * math.floor(offset / period))
        found.setdefault(slot, []).append(datum)
    return found


def get_metric_statistics_answers_as_aws_does() -> None:
    """``GetMetricStatistics``: one datapoint per period that has values, for the metric with
    exactly these dimensions, periods counted from the start rounded down to the minute."""
    from moto.cloudwatch.exceptions import InvalidParameterCombination, InvalidParameterValue
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.responses import ActionResult

    def get_metric_statistics(self):
        name = self._get_param("MetricName")
        namespace = self._get_param("Namespace")
        start, end = self._get_param("StartTime"), self._get_param("EndTime")
        period = self._get_int_param("Period")
        stats = self._get_param("Statistics", [])
        extended = self._get_param("ExtendedStatistics", [])
        unit = self._get_param("Unit")
        if not stats and not extended:
            raise InvalidParameterCombination(
                "Must specify either Statistics or ExtendedStatistics"
            )
        if utc(start) >= utc(end):
            raise InvalidParameterValue(
                "The parameter StartTime must be less than the parameter EndTime."
            )
        found = datapoints(
            self.cloudwatch_backend,
            namespace,
            name,
            self._get_param("Dimensions", []),
            aligned_start(start, period),
            end,
            unit,
        )
        answer = []
        for slot, values in sorted(buckets(found, start, end, period).items()):
            point = {"Timestamp": slot, "Unit": unit or values[0].unit or "None"}
            for stat in stats:
                point[stat] = statistic(values, stat)
            if extended:
                point["ExtendedStatistics"] = {p: statistic(values, p) for p in extended}
            answer.append(point)
        return ActionResult({"Label": name, "Datapoints": answer})

    CloudWatchResponse.get_metric_statistics = get_metric_statistics


def metric_stat_series(backend, query: dict, start, end) -> dict:
    """``{period start: value}`` of a ``MetricStat`` query."""
    stat = query["MetricStat"]
    metric, period = stat["Metric"], int(stat["Period"])
    found = datapoints(
        backend,
        metric.get("Namespace"),
        metric.get("MetricName"),
        metric.get("Dimensions", []),
        aligned_start(start, period),
        end,
        stat.get("Unit"),
    )
    series = {}
    for slot, values in buckets(found, start, end, period).items():
        value = statistic(values, stat["Stat"])
        if value is not None:
            series[slot] = value
    return series


_OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def expression_series(expression: str, named: dict[str, dict]) -> dict:
    """Metric math over queries' series: ids, numbers, ``+ - * /`` and parentheses, computed
    at the timestamps every series used has."""
    tree = ast.parse(expression, mode="eval").body

    def used(node) -> set[str]:
        return {leaf.id for leaf in ast.walk(node) if isinstance(leaf, ast.Name)}

    def value_at(node, slot):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        if isinstance(node, ast.Name):
            return named[node.id][slot]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value_at(node.operand, slot)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            left, right = value_at(node.left, slot), value_at(node.right, slot)
            if isinstance(node.op, ast.Div) and right == 0:
                return None
            if left is None or right is None:
                return None
            return _OPERATORS[type(node.op)](left, right)
        raise ValueError(f"unsupported metric math: {expression}")

    names = used(tree)
    unknown = names - named.keys()
    if unknown:
        raise ValueError(f"Unknown query id(s) in expression: {', '.join(sorted(unknown))}")
    slots = set.intersection(*(set(named[name]) for name in names)) if names else set()
    series = {slot: value_at(tree, slot) for slot in slots}
    return {slot: value for slot, value in series.items() if value is not None}


def get_metric_data_answers_as_aws_does() -> None:
    """``GetMetricData``: each query's ``Timestamps`` and ``Values`` (newest first by default),
    ``Label`` the metric's name unless the query gives one, ``StatusCode`` ``Complete``; metric
    math expressions over the other queries; only queries with ``ReturnData`` (default true) in
    the answer."""
    from moto.cloudwatch.exceptions import ValidationError
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.responses import ActionResult

    def get_metric_data(self):
        params = self._get_params()
        start, end = params["StartTime"], params["EndTime"]
        if utc(start) >= utc(end):
            raise ValidationError("The parameter EndTime must be greater than StartTime.")
        queries = params.get("MetricDataQueries", [])
        descending = (params.get("ScanBy") or "TimestampDescending") == "TimestampDescending"
        named: dict[str, dict] = {}
        labels: dict[str, str] = {}
        for position, query in enumerate(queries, start=1):
            if "MetricStat" in query:
                named[query["Id"]] = metric_stat_series(self.cloudwatch_backend, query, start, end)
                labels[query["Id"]] = query["MetricStat"]["Metric"].get("MetricName", "")
            elif "Expression" not in query:
                raise ValidationError(
                    f"The parameter MetricDataQueries.member.{position}.MetricStat is required.\n"
                )
        results = []
        for query in queries:
            if "Expression" in query:
                try:
                    named[query["Id"]] = expression_series(query["Expression"], named)
                except (ValueError, SyntaxError) as error:
                    raise ValidationError(str(error)) from None
                labels[query["Id"]] = query["Id"]
            if query.get("ReturnData", True) is False:
                continue
            series = sorted(named[query["Id"]].items(), reverse=descending)
            results.append(
                {
                    "Id": query["Id"],
                    "Label": query.get("Label") or labels[query["Id"]],
                    "Timestamps": [slot for slot, _ in series],
                    "Values": [value for _, value in series],
                    "StatusCode": "Complete",
                }
            )
        return ActionResult({"MetricDataResults": results, "Messages": []})

    CloudWatchResponse.get_metric_data = get_metric_data
