"""Lambda publishes its CloudWatch metrics in ``AWS/Lambda`` for each invocation.

AWS (Lambda developer guide, "Types of metrics for Lambda functions"): ``Invocations`` (every
invocation that ran the code, successful or not; throttled ones are not counted), ``Errors``
(invocations that ended in a function error), ``Duration`` (milliseconds the code ran),
``Throttles`` (invocations refused because no concurrency was left) and ``ConcurrentExecutions``
(how many instances ran at once: read it with ``Maximum``). Each is published with the dimension
``FunctionName`` and, aggregated over the account's functions, without any dimension. Counts are
1 per invocation (``Sum``), at the emulator's time (``emulator.clock``).

moto publishes no Lambda metrics. ``service`` calls ``invocation()`` around each run of a handler;
``tests/test_cloudwatch_metrics.py`` reads the metrics back.
"""

from __future__ import annotations

import contextlib
import threading

from sfn_tutorial.emulator.cloudwatch import metrics

NAMESPACE = "AWS/Lambda"
_running: dict[str, int] = {}
_lock = threading.Lock()


def _put(function, name: str, value: float, unit: str) -> None:
    account = function.function_arn.split(":")[4]
    for dimensions in ({"FunctionName": function.function_name}, {}):
        metrics.put(account, function.region, NAMESPACE, name, value, unit, dimensions)


def _concurrency(key: str, change: int) -> int:
    with _lock:
        _running[key] = _running.get(key, 0) + change
        return _running[key]


@contextlib.contextmanager
def invocation(function):
    """Around one run of ``function``'s handler: yields ``ended(result)``, to be called with the
    invocation's result; a ``runtime.Throttled`` raised inside counts as a throttle."""
    from sfn_tutorial.emulator.awslambda import runtime

    account_key = function.function_arn.split(":")[4] + ":" + function.region
    running = _concurrency(function.function_arn, 1)
    everywhere = _concurrency(account_key, 1)

    def ended(result) -> None:
        _put(function, "Invocations", 1, "Count")
        _put(function, "Errors", 1 if result.function_error else 0, "Count")
        _put(function, "Duration", result.duration_ms, "Milliseconds")
        account = function.function_arn.split(":")[4]
        metrics.put(
            account,
            function.region,
            NAMESPACE,
            "ConcurrentExecutions",
            running,
            "Count",
            {"FunctionName": function.function_name},
        )
        metrics.put(
            account, function.region, NAMESPACE, "ConcurrentExecutions", everywhere, "Count", {}
        )

    try:
        yield ended
    except runtime.Throttled:
        _put(function, "Throttles", 1, "Count")
        raise
    finally:
        _concurrency(function.function_arn, -1)
        _concurrency(account_key, -1)
