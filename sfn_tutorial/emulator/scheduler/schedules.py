"""EventBridge Scheduler's schedules fire, on the same clock as EventBridge's scheduled rules.

moto stores schedules but never fires one. Here the emulator's clock (``emulator.clock``, which
``POST /_tutorial/clock`` moves), through ``events.rules.SCHEDULER``, fires each ``ENABLED``
schedule of every account and region: ``rate(...)``, ``cron(...)`` in its
``ScheduleExpressionTimezone``, and ``at(...)`` once (then, with ``ActionAfterCompletion:
DELETE``, the schedule is deleted). Its target is invoked as Scheduler invokes it, as the
target's role, which must trust ``scheduler.amazonaws.com`` and allow the action: a state
machine is started (``states:StartExecution``) with the target's ``Input`` (``{}`` without
one), a Lambda function invoked asynchronously (``lambda:InvokeFunction``), an SQS queue sent
it (``sqs:SendMessage``), an SNS topic published it (``sns:Publish``). A target of another kind
(a universal ``aws-sdk`` one) is not invoked, and the emulator's log says so, as a refused
invocation is.
"""

from __future__ import annotations

from sfn_tutorial.emulator.events import rules
from sfn_tutorial.emulator.iam import service_roles

PRINCIPAL = "scheduler.amazonaws.com"


def apply() -> None:
    """Let the emulator's schedule clock fire EventBridge Scheduler's schedules too."""
    rules.SOURCES.append(due_schedules)


class Firing:
    """One schedule, as the schedule clock sees it."""

    def __init__(self, backend, group, schedule):
        self.backend, self.group, self.schedule = backend, group, schedule
        self.arn = schedule.arn
        self.name = schedule.name
        self.scheduled_expression = schedule.schedule_expression
        self.timezone = schedule.schedule_expression_timezone or "UTC"
        self.state = schedule.state or "ENABLED"

    def fire(self, moment) -> None:
        """Invoke the target as Scheduler does; a refusal goes to the emulator's log."""
        target = self.schedule.target or {}
        arn = target.get("Arn", "")
        text = target.get("Input") or "{}"
        service = arn.split(":")[2] if arn.count(":") >= 5 else ""
        action = {
            "states": "states:StartExecution",
            "lambda": "lambda:InvokeFunction",
            "sqs": "sqs:SendMessage",
            "sns": "sns:Publish",
        }.get(service)
        if action is None:
            _log(f"schedule {self.name}: targets of {arn} are not invoked locally")
        else:
            # Scheduler names the schedule's group as the source (aws:SourceArn)
            reason = service_roles.refusal(
                target.get("RoleArn"), PRINCIPAL, action, arn, self.group.arn
            )
            if reason:
                _log(f"schedule {self.name}: not delivered to {arn}: {reason}")
            else:
                try:
                    _invoke(service, arn, text)
                except Exception as error:  # a failed invocation, as Scheduler counts one
                    _log(f"schedule {self.name}: {action} on {arn} failed: {error!r}")
        if self.schedule.schedule_expression.startswith("at(") and (
            self.schedule.action_after_completion == "DELETE"
        ):
            self.group.schedules.pop(self.schedule.name, None)


def _invoke(service: str, arn: str, text: str) -> None:
    _, _, _, region, account, *rest = arn.split(":")
    if service == "states":
        from moto.stepfunctions.responses import get_backend

        get_backend(account, region).start_execution(arn, None, text)
    elif service == "lambda":  # asynchronous, as Scheduler invokes: not on the clock's thread
        import threading

        from moto.awslambda.models import lambda_backends

        backend = lambda_backends[account][region]
        threading.Thread(
            target=backend.invoke, args=(rest[1], None, text, {}, {}), daemon=True
        ).start()
    elif service == "sqs":
        from moto.sqs.models import sqs_backends

        sqs_backends[account][region].send_message(rest[0], text)
    elif service == "sns":
        from moto.sns.models import sns_backends

        sns_backends[account][region].publish(text, arn=arn)


def due_schedules():
    """Every schedule moto holds, in every account and region, if its backend is loaded."""
    import sys

    if "moto.scheduler.models" not in sys.modules:
        return []
    from moto.scheduler.models import scheduler_backends

    found = []
    for regions in list(scheduler_backends.values()):
        for backend in list(regions.values()):
            for group in list(backend.schedule_groups.values()):
                for schedule in list(group.schedules.values()):
                    found.append(Firing(backend, group, schedule))
    return found


def _log(message: str) -> None:
    print(f"[scheduler] {message}", flush=True)
