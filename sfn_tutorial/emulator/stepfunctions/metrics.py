"""Step Functions publishes its CloudWatch metrics in ``AWS/States`` as executions run.

AWS (Step Functions developer guide, "Step Functions metrics for CloudWatch"):

- Execution metrics, dimension ``StateMachineArn``: ``ExecutionsStarted``,
  ``ExecutionsSucceeded``, ``ExecutionsFailed``, ``ExecutionsAborted``, ``ExecutionsTimedOut``
  (counts), ``ExecutionTime`` (milliseconds from start to close), ``ExecutionsRedriven`` and, for
  executions that were redriven, ``RedrivenExecutionsSucceeded`` / ``...Failed`` /
  ``...Aborted`` / ``...TimedOut``.
- Lambda function metrics (Task states with a function ARN as ``Resource``), dimension
  ``LambdaFunctionArn``: ``LambdaFunctionsScheduled``, ``...Started``, ``...Succeeded``,
  ``...Failed``, ``...TimedOut`` (counts), ``LambdaFunctionScheduleTime`` (scheduled to started),
  ``LambdaFunctionRunTime`` (started to closed), ``LambdaFunctionTime`` (scheduled to closed).
- Service integration metrics (``arn:aws:states:::service:action`` Tasks, the optimized Lambda
  integration among them), dimension ``ServiceIntegrationResourceArn``: the same, named
  ``ServiceIntegrations...`` and ``ServiceIntegration...Time``.

Counts are published as 1 per event (read them with the ``Sum`` statistic), times in
``Milliseconds``, at the emulator's time (``emulator.clock``). Each is made from the execution's
history events as they are written (``lifecycle``). ``apply()`` is called by
``emulator.fixes.apply()``; ``tests/test_cloudwatch_metrics.py`` reads them back.
"""

from __future__ import annotations

import datetime

from sfn_tutorial.emulator.cloudwatch import metrics
from sfn_tutorial.emulator.stepfunctions import lifecycle, redrive

NAMESPACE = "AWS/States"
ENDED = {
    "SUCCEEDED": "Succeeded",
    "FAILED": "Failed",
    "ABORTED": "Aborted",
    "TIMED_OUT": "TimedOut",
}
# A Lambda or service Task's events: which step each is, and its details' key.
_LAMBDA = {
    "LambdaFunctionScheduled": "Scheduled",
    "LambdaFunctionStarted": "Started",
    "LambdaFunctionSucceeded": "Succeeded",
    "LambdaFunctionFailed": "Failed",
    "LambdaFunctionTimedOut": "TimedOut",
}
_TASK = {
    "TaskScheduled": "Scheduled",
    "TaskStarted": "Started",
    "TaskSucceeded": "Succeeded",
    "TaskFailed": "Failed",
    "TaskTimedOut": "TimedOut",
}


def apply() -> None:
    """Executions publish ``AWS/States`` metrics."""
    lifecycle.watch(StatesMetrics())


def _moment(event: dict) -> datetime.datetime:
    stamp = event.get("timestamp")
    if isinstance(stamp, str):
        stamp = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return metrics.utc(stamp or datetime.datetime.now(datetime.timezone.utc))


def _ms(later: datetime.datetime, earlier: datetime.datetime) -> float:
    return max(0.0, (later - earlier).total_seconds() * 1000)


class StatesMetrics:
    """Turns an execution's events into ``AWS/States`` data points."""

    kinds = frozenset({"ExecutionStarted", "ExecutionRedriven", *_LAMBDA, *_TASK})

    def _put(self, execution, name, value=1.0, unit="Count", **dimensions) -> None:
        metrics.put(
            execution.account_id, execution.region_name, NAMESPACE, name, value, unit, dimensions
        )

    def event(self, execution, event: dict) -> None:
        kind = lifecycle.event_type(event)
        machine = execution.state_machine_arn
        if kind == "ExecutionStarted":
            self._put(execution, "ExecutionsStarted", StateMachineArn=machine)
        elif kind == "ExecutionRedriven":
            self._put(execution, "ExecutionsRedriven", StateMachineArn=machine)
        elif kind in _LAMBDA:
            self._task(execution, event, _LAMBDA[kind], "LambdaFunction", "LambdaFunctionArn")
        elif kind in _TASK:
            self._task(
                execution, event, _TASK[kind], "ServiceIntegration", "ServiceIntegrationResourceArn"
            )

    def _task(self, execution, event: dict, step: str, prefix: str, dimension: str) -> None:
        """Counts and times of one Lambda or service call; its later events find what was
        scheduled through their ``previousEventId`` chain."""
        pending = execution.__dict__.setdefault("tutorial_metric_tasks", {})
        details = next((value for key, value in event.items() if key.endswith("Details")), {})
        if step == "Scheduled":
            resource = details.get("resource", "")
            if prefix == "ServiceIntegration":
                resource = f"arn:aws:states:::{details.get('resourceType')}:{resource}"
            pending[event["id"]] = (resource, _moment(event), None)
        else:
            earlier = pending.pop(event.get("previousEventId"), None)
            if earlier is None:
                return
            resource, scheduled, started = earlier
            now = _moment(event)
            if step == "Started":
                pending[event["id"]] = (resource, scheduled, now)
                self._put(
                    execution,
                    f"{prefix}ScheduleTime",
                    _ms(now, scheduled),
                    "Milliseconds",
                    **{dimension: resource},
                )
            else:
                self._put(
                    execution,
                    f"{prefix}Time",
                    _ms(now, scheduled),
                    "Milliseconds",
                    **{dimension: resource},
                )
                if started is not None:
                    self._put(
                        execution,
                        f"{prefix}RunTime",
                        _ms(now, started),
                        "Milliseconds",
                        **{dimension: resource},
                    )
        self._put(execution, f"{prefix}s{step}", **{dimension: resource})

    def ended(self, execution) -> None:
        machine = execution.state_machine_arn
        outcome = ENDED.get(execution.status)
        if outcome is None:
            return
        self._put(execution, f"Executions{outcome}", StateMachineArn=machine)
        if redrive.is_redriven(execution):
            self._put(execution, f"RedrivenExecutions{outcome}", StateMachineArn=machine)
        if execution.stop_date is not None:
            elapsed = _ms(metrics.utc(execution.stop_date), metrics.utc(execution.start_date))
            self._put(execution, "ExecutionTime", elapsed, "Milliseconds", StateMachineArn=machine)
        execution.__dict__.pop("tutorial_metric_tasks", None)
