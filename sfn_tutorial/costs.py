"""What an execution costs on AWS, estimated from its history and its functions' REPORT lines.

Step Functions bills the two workflow types differently:

* **Standard**: per state transition, each time a step runs, retries included.
* **Express**: per request (each execution) and per GB-second of duration, the duration rounded
  up to 100 ms and the memory to 64 MB chunks.

Lambda bills per request and per GB-second of billed duration (its REPORT line's ``Billed
Duration`` times ``Memory Size``). Prices come from ``data/prices.json``, which names its sources,
the day they were read, what was checked there and the regions (the blog's Seoul and us-east-1).
A region whose Express rates could not be checked (Seoul) borrows another region's, and the
lines priced with them say so. Figures are for one execution, before free tiers; ``monthly_*``
apply the free tiers to a month's usage.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from sfn_tutorial.i18n import t

PRICES_FILE = Path(__file__).resolve().parent / "data" / "prices.json"
EXPRESS_MEMORY_CHUNK_MB = 64
EXPRESS_DURATION_STEP_MS = 100
REPORT = re.compile(r"Billed Duration: (?P<billed>\d+) ms\s+Memory Size: (?P<memory>\d+) MB")


@cache
def prices() -> dict:
    """The price list (``data/prices.json``): sources, date, free tiers and rates per region."""
    return json.loads(PRICES_FILE.read_text())


def rates(region: str) -> dict:
    """The rates for ``region``; a clear error for a region the price list does not have.

    ``express_region`` names the region whose Express rates these are: ``region`` itself, or
    the one its entry borrows them from (``express_rates_from``) when its own are unknown."""
    known = prices()["regions"]
    if region not in known:
        raise ValueError(
            f"No prices for region {region!r} in {PRICES_FILE.name}; it has {', '.join(known)}."
        )
    rate = dict(known[region])
    express_region = rate.pop("express_rates_from", region)
    for key in ("express_per_request", "express_per_gb_second"):
        rate[key] = known[express_region][key]
    rate["express_region"] = express_region
    return rate


def as_of() -> str:
    """The day the price list's rates were read on AWS's pages (``retrieved``)."""
    return prices()["retrieved"]


@dataclass
class Estimate:
    """An itemised estimate: ``(item, quantity, unit, unit price, cost)`` lines and their total."""

    region: str
    lines: list[tuple[str, float, str, float, float]] = field(default_factory=list)
    # item -> the region whose rate priced it, for lines not priced at ``region``'s own rates
    rates_from: dict[str, str] = field(default_factory=dict)

    def add(
        self, item: str, quantity: float, unit: str, unit_price: float, rate_region: str = ""
    ) -> None:
        """Add a line costing ``quantity`` × ``unit_price``; ``rate_region``, when it is not
        the estimate's region, is the region whose rate ``unit_price`` is."""
        self.lines.append((item, quantity, unit, unit_price, quantity * unit_price))
        if rate_region and rate_region != self.region:
            self.rates_from[item] = rate_region

    def label(self, item: str) -> str:
        """``item`` in the notebook's language, naming the region of its rate when that is
        not the estimate's own (``Express request (us-east-1 rate)``)."""
        if item in self.rates_from:
            return t("{item} ({region} rate)", item=t(item), region=self.rates_from[item])
        return t(item)

    @property
    def total(self) -> float:
        """The sum of the lines, in USD."""
        return sum(line[-1] for line in self.lines)

    def table(self):
        """The estimate as a ``tables.Table`` for a notebook."""
        from sfn_tutorial.tables import Table

        rows = [
            [
                self.label(item),
                _quantity(quantity, unit),
                f"${price:.10f}".rstrip("0"),
                dollars(cost),
            ]
            for item, quantity, unit, price, cost in self.lines
        ]
        rows.append([t("total"), "", "", dollars(self.total)])
        return Table([t("item"), t("quantity"), t("unit price"), t("cost")], rows)


def _quantity(quantity: float, unit: str, number_format: str = ",.4g") -> str:
    """``1 request``, ``0.0125 GB-s``, ``1,001``: a quantity and its unit, for a table."""
    number = f"{quantity:{number_format}}"
    if unit == "request":
        return t("{number} request", number=number)
    return f"{number} {unit}".strip()


def comparison_table(estimates: dict, label: str, title: str, quantity_format: str = ",.4g"):
    """Estimates side by side as one ``tables.Table``: each one's lines and total, under the
    ``label`` column naming it (``{"Standard": ..., "Express": ...}``; names and items are
    shown in the notebook's language)."""
    from sfn_tutorial.tables import Table

    rows = []
    for name, estimate in estimates.items():
        rows += [
            [
                t(name),
                estimate.label(item),
                _quantity(quantity, unit, quantity_format),
                dollars(cost),
            ]
            for item, quantity, unit, _, cost in estimate.lines
        ]
        rows.append([t(name), t("total"), "", dollars(estimate.total)])
    return Table([label, t("item"), t("quantity"), t("cost")], rows, title)


def dollars(amount: float) -> str:
    """``amount`` in USD: cents from a dollar up, else four significant digits, so a fraction
    of a cent still shows (``$0.02713``, ``$0.00000131``)."""
    if amount >= 1 or amount <= 0:
        return f"${amount:,.2f}"
    digits = max(0, 3 - math.floor(math.log10(amount)))
    return f"${amount:.{digits}f}".rstrip("0").rstrip(".")


def state_transitions(events: list[dict]) -> int:
    """State transitions an execution's history records: one per state entered, plus one per
    retry (a Task scheduled again within the same state)."""
    entered = sum(1 for event in events if event["type"].endswith("StateEntered"))
    scheduled = sum(
        1 for event in events if event["type"] in ("TaskScheduled", "LambdaFunctionScheduled")
    )
    task_states = sum(1 for event in events if event["type"] == "TaskStateEntered")
    return entered + max(0, scheduled - task_states)


def billed_lambda_usage(report_lines: list[str]) -> tuple[int, float]:
    """Requests and GB-seconds billed, from Lambda's REPORT lines."""
    requests, gb_seconds = 0, 0.0
    for line in report_lines:
        match = REPORT.search(line)
        if match:
            requests += 1
            gb_seconds += int(match["billed"]) / 1000 * int(match["memory"]) / 1024
    return requests, gb_seconds


def express_gb_seconds(duration_ms: float, memory_mb: float = EXPRESS_MEMORY_CHUNK_MB) -> float:
    """An Express execution's billed GB-seconds: duration up to 100 ms, memory up to 64 MB."""
    steps = max(1, math.ceil(duration_ms / EXPRESS_DURATION_STEP_MS))
    chunks = max(1, math.ceil(memory_mb / EXPRESS_MEMORY_CHUNK_MB))
    return steps * EXPRESS_DURATION_STEP_MS / 1000 * chunks * EXPRESS_MEMORY_CHUNK_MB / 1024


def execution_estimate(
    events: list[dict],
    region: str,
    workflow_type: str = "STANDARD",
    report_lines: list[str] = (),
    express_memory_mb: float = EXPRESS_MEMORY_CHUNK_MB,
) -> Estimate:
    """What one execution costs: its workflow's charges (from its history) and the Lambda
    functions it called (from their REPORT lines)."""
    rate, estimate = rates(region), Estimate(region)
    if workflow_type == "EXPRESS":
        start, stop = events[0]["timestamp"], events[-1]["timestamp"]
        duration_ms = (stop - start).total_seconds() * 1000
        express_region = rate["express_region"]
        estimate.add("Express request", 1, "request", rate["express_per_request"], express_region)
        gb_seconds = express_gb_seconds(duration_ms, express_memory_mb)
        estimate.add(
            "Express duration", gb_seconds, "GB-s", rate["express_per_gb_second"], express_region
        )
    else:
        transitions = state_transitions(events)
        estimate.add("state transitions", transitions, "", rate["standard_per_transition"])
    requests, gb_seconds = billed_lambda_usage(list(report_lines))
    if requests:
        estimate.add("Lambda requests", requests, "", rate["lambda_per_request"])
        estimate.add("Lambda duration", gb_seconds, "GB-s", rate["lambda_per_gb_second"])
    return estimate


def functions_called(events: list[dict]) -> set[str]:
    """Names of the Lambda functions an execution's Tasks called (both integrations)."""
    names = set()
    for event in events:
        if event["type"] == "LambdaFunctionScheduled":
            names.add(event["lambdaFunctionScheduledEventDetails"]["resource"].split(":")[6])
        elif event["type"] == "TaskScheduled":
            details = event["taskScheduledEventDetails"]
            if details.get("resourceType") == "lambda":
                function = json.loads(details.get("parameters") or "{}").get("FunctionName", "")
                if function:
                    names.add(function.split(":")[6] if ":" in function else function)
    return names


def report_lines(events: list[dict]) -> list[str]:
    """The REPORT lines the execution's Lambda functions wrote while it ran, from CloudWatch
    Logs (on AWS they may arrive a few seconds after the execution ends)."""
    import boto3

    logs = boto3.client("logs")
    start = int(events[0]["timestamp"].timestamp() * 1000)
    stop = int(events[-1]["timestamp"].timestamp() * 1000) + 1
    lines = []
    for name in sorted(functions_called(events)):
        pages = logs.get_paginator("filter_log_events").paginate(
            logGroupName=f"/aws/lambda/{name}",
            startTime=start,
            endTime=stop,
            filterPattern="REPORT",
        )
        try:
            lines += [event["message"] for page in pages for event in page["events"]]
        except logs.exceptions.ResourceNotFoundException:
            continue  # the function has written no log yet
    return [line for line in lines if line.startswith("REPORT")]


def monthly_standard(transitions: int, region: str) -> float:
    """A month of Standard workflows with ``transitions`` state transitions, after the free
    tier."""
    free = prices()["free_tier"]["standard_transitions_per_month"]
    return max(0, transitions - free) * rates(region)["standard_per_transition"]


def monthly_express(executions: int, duration_ms: float, memory_mb: float, region: str) -> float:
    """A month of ``executions`` Express executions of ``duration_ms`` using ``memory_mb``."""
    rate = rates(region)
    gb_seconds = executions * express_gb_seconds(duration_ms, memory_mb)
    return executions * rate["express_per_request"] + gb_seconds * rate["express_per_gb_second"]


def monthly_lambda(requests: int, gb_seconds: float, region: str) -> float:
    """A month of Lambda usage, after the free tier (requests and GB-seconds)."""
    free, rate = prices()["free_tier"], rates(region)
    billed_requests = max(0, requests - free["lambda_requests_per_month"])
    billed_gb_seconds = max(0.0, gb_seconds - free["lambda_gb_seconds_per_month"])
    return billed_requests * rate["lambda_per_request"] + (
        billed_gb_seconds * rate["lambda_per_gb_second"]
    )


def execution_duration_ms(events: list[dict]) -> float:
    """How long an execution ran: from its first event to its last, in milliseconds."""
    return (events[-1]["timestamp"] - events[0]["timestamp"]).total_seconds() * 1000


def monthly_comparison(
    transitions_per_execution: int, express_duration_ms: float, executions: int, region: str
) -> tuple[Estimate, Estimate]:
    """A month of ``executions`` runs of one workflow as Standard (``transitions_per_execution``
    each, after the free tier) and as Express (``express_duration_ms`` each at 64 MB; Express
    has no free tier): ``(standard, express)``. Lambda is left out: it costs the same under
    both types."""
    rate = rates(region)
    standard, express = Estimate(region), Estimate(region)
    transitions = transitions_per_execution * executions
    free = prices()["free_tier"]["standard_transitions_per_month"]
    billed = max(0, transitions - free)
    standard.add(
        "state transitions after the free tier", billed, "", rate["standard_per_transition"]
    )
    express_region = rate["express_region"]
    express.add("requests", executions, "", rate["express_per_request"], express_region)
    gb_seconds = executions * express_gb_seconds(express_duration_ms)
    express.add("duration", gb_seconds, "GB-s", rate["express_per_gb_second"], express_region)
    return standard, express


MAP_DESIGNS = (
    "Inline Map in Standard",
    "Distributed Map, Standard children",
    "Distributed Map, Express children",
)


def map_design_estimates(
    items: int,
    batch_size: int,
    ms_per_item: float,
    memory_mb: int,
    region: str,
    states_per_child: int = 1,
) -> dict[str, Estimate]:
    """One Map run over ``items`` items, priced for each of ``MAP_DESIGNS``.

    AWS's billing (Step Functions developer guide, "Transitions"; pricing page):

    * an **inline** Map counts no transition per iteration, but each state an iteration runs is
      one; an inline Map cannot batch, so each item is one Lambda call;
    * a **Distributed** Map counts one transition per child execution it starts; each child of
      ``batch_size`` items is one Lambda call and is billed as its type: Standard per transition
      (``states_per_child``), Express per request and duration (as long as its Lambda call);
    * the Map state itself is entered once: one transition. Lambda bills each call's duration,
      ``ms_per_item`` per item, at ``memory_mb``.
    """
    rate = rates(region)
    children = math.ceil(items / batch_size)
    batch_ms = batch_size * ms_per_item
    estimates = {name: Estimate(region) for name in MAP_DESIGNS}

    inline = estimates[MAP_DESIGNS[0]]
    inline.add(
        "state transitions", 1 + items * states_per_child, "", rate["standard_per_transition"]
    )
    _add_lambda(inline, items, ms_per_item, memory_mb, rate)

    standard = estimates[MAP_DESIGNS[1]]
    transitions = 1 + children + children * states_per_child
    standard.add("state transitions", transitions, "", rate["standard_per_transition"])
    _add_lambda(standard, children, batch_ms, memory_mb, rate)

    express = estimates[MAP_DESIGNS[2]]
    express.add("state transitions", 1 + children, "", rate["standard_per_transition"])
    express_region = rate["express_region"]
    express.add("Express requests", children, "", rate["express_per_request"], express_region)
    gb_seconds = children * express_gb_seconds(batch_ms)
    express.add(
        "Express duration", gb_seconds, "GB-s", rate["express_per_gb_second"], express_region
    )
    _add_lambda(express, children, batch_ms, memory_mb, rate)
    return estimates


def _add_lambda(estimate: Estimate, calls: int, ms_per_call: float, memory_mb: int, rate: dict):
    """Lambda's lines: ``calls`` requests, each billed ``ms_per_call`` (rounded up to 1 ms)."""
    estimate.add("Lambda requests", calls, "", rate["lambda_per_request"])
    gb_seconds = calls * math.ceil(ms_per_call) / 1000 * memory_mb / 1024
    estimate.add("Lambda duration", gb_seconds, "GB-s", rate["lambda_per_gb_second"])
