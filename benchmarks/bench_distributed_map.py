"""What a large Distributed Map costs the emulator: threads, peak memory and time.

Starts an emulator on a free port (with a record in a temporary folder, so a learner's own is
untouched), puts ``ITEMS`` items (100,000; ``BENCH_MAP_ITEMS`` to change) in S3 as one JSON
array, and runs a state machine whose Distributed Map reads them with an ``ItemReader`` and runs
one child execution per item (a Pass state) at ``MaxConcurrency`` 1000. While it runs, the
emulator process's thread count and resident memory are read from ``/proc`` every 50 ms (Linux
only). One JSON line:

``{"name": "distributed_map", "items": ..., "max_concurrency": 1000, "seconds": ...,
"threads_max": ..., "threads_before": ..., "rss_before_mb": ..., "rss_peak_mb": ...,
"goal": {...}}``

``seconds`` is the execution's own start-to-stop time; ``threads_max`` the most threads the
emulator ran at once (``threads_before`` before the execution started); ``rss_peak_mb`` its
high-water mark (``VmHWM``). Goals: ``threads_max`` at most ``threads_before`` + 100, and
``rss_peak_mb`` at most 400.

Measured on a shared 2-core machine, 100,000 items: with a thread per running child (moto's
way) 1,071 threads, 674 MB at the peak, 39 s; with ``map_state.ChildPool`` and each child's
history let go of with the child, 85 threads, 299 MB, 29 s.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import common

ITEMS = int(os.environ.get("BENCH_MAP_ITEMS", "100000"))
MAX_CONCURRENCY = 1000
BUCKET = "sfn-tutorial-bench-map"
GOAL_EXTRA_THREADS = 100
GOAL_RSS_MB = 400


def _status(pid: int) -> dict[str, int]:
    """``Threads``, ``VmRSS`` and ``VmHWM`` (kB) of ``pid`` from /proc; empty if it is gone."""
    wanted = ("Threads", "VmRSS", "VmHWM")
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    figures = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name in wanted:
            figures[name] = int(value.split()[0])
    return figures


class Sampler(threading.Thread):
    """Reads the emulator's thread count every ``interval`` seconds until stopped."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.threads_max = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            self.threads_max = max(self.threads_max, _status(self.pid).get("Threads", 0))


def _definition() -> dict:
    return {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "JSON"},
                    "Parameters": {"Bucket": BUCKET, "Key": "items.json"},
                },
                "MaxConcurrency": MAX_CONCURRENCY,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Echo",
                    "States": {"Echo": {"Type": "Pass", "End": True}},
                },
                "ResultSelector": {"count.$": "States.ArrayLength($)"},
                "End": True,
            }
        },
    }


def measure(pid: int) -> None:
    """Run the Distributed Map on the emulator ``pid`` and print its figure."""
    import boto3

    from sfn_tutorial import executions, resources, target

    target.connect("local", progress=lambda message: None)
    s3 = boto3.client("s3")
    s3.create_bucket(
        Bucket=BUCKET,
        CreateBucketConfiguration={"LocationConstraint": target.DEFAULT_REGION},
    )
    items = [{"id": index, "quantity": 2} for index in range(ITEMS)]
    s3.put_object(Bucket=BUCKET, Key="items.json", Body=json.dumps(items).encode())
    machine = resources.ensure_state_machine(
        "sfn-tutorial-bench-map",
        _definition(),
        resources.ensure_workflows_role(),
        progress=lambda message: None,
    )
    before = _status(pid)
    sampler = Sampler(pid)
    sampler.start()
    sfn = boto3.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    described = executions.wait_for_execution(arn, timeout_s=1800)
    sampler.done.set()
    sampler.join()
    after = _status(pid)
    seconds = (described["stopDate"] - described["startDate"]).total_seconds()
    figure = {
        "name": "distributed_map",
        "items": ITEMS,
        "max_concurrency": MAX_CONCURRENCY,
        "status": described["status"],
        "count": json.loads(described.get("output") or "{}").get("count"),
        "seconds": round(seconds, 1),
        "threads_before": before.get("Threads"),
        "threads_max": sampler.threads_max,
        "rss_before_mb": round(before.get("VmRSS", 0) / 1024),
        "rss_peak_mb": round(after.get("VmHWM", 0) / 1024),
        "goal": {
            "threads_max": (before.get("Threads") or 0) + GOAL_EXTRA_THREADS,
            "rss_peak_mb": GOAL_RSS_MB,
        },
    }
    print(json.dumps(figure), flush=True)


def main() -> None:
    with common.own_emulator("bench-map-") as record:
        measure(record["pid"])


if __name__ == "__main__":
    main()
