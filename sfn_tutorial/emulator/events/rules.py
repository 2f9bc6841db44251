"""EventBridge starts Step Functions executions: matching events and schedules, as on AWS.

moto matches events against rule patterns but delivers them to logs, SQS and event buses only
(SQS with moto's own fields added); a state machine or SNS target raises
``NotImplementedError``. ``apply()`` adds them and makes schedules fire:

* a rule whose pattern matches an event from ``PutEvents`` starts an execution of each state
  machine target, with the role check AWS makes (the target's ``RoleArn`` must exist, trust
  ``events.amazonaws.com`` and allow ``states:StartExecution`` on the machine) and the input AWS
  sends: the event, or the target's ``Input``, ``InputPath`` or ``InputTransformer`` applied to it;
* a disabled rule delivers nothing; a rule with only a ``ScheduleExpression`` receives no events
  from ``PutEvents``;
* SQS queues, SNS topics and Lambda functions (invoked asynchronously) receive the event (or
  the target's input) as AWS sends it; a target of another kind that moto cannot deliver to is a
  failed invocation, said in the emulator's log, never an error for ``PutEvents``;
* ``rate(...)`` and ``cron(...)`` rules fire on time, with a "Scheduled Event" from
  ``aws.events``, on the emulator's clock (``emulator.clock``), which ``POST /_tutorial/clock``
  moves forward, firing whatever falls due on the way; EventBridge Scheduler's schedules
  (``scheduler.schedules``, through ``SOURCES``) fire on the same clock, ``at(...)`` once and in
  their time zone.
"""

from __future__ import annotations

import copy
import datetime
import json
import re
import time
import uuid
import zoneinfo

from sfn_tutorial.emulator import clock
from sfn_tutorial.emulator.iam import service_roles

EVENTS_PRINCIPAL = "events.amazonaws.com"
MAX_FIRES_PER_TICK = 100  # per rule: advancing a day on rate(1 minute) fires 100, not 1440


def apply() -> None:
    """Add the Step Functions, SQS and SNS targets to EventBridge rules; schedules fire on the
    emulator's clock."""
    state_machine_targets_receive_events()
    clock.register(SCHEDULER)


# ---------------------------------------------------------------- delivery to state machines


_MOTO_DELIVERY = {}  # moto's own Rule.send_to_targets, for the targets it knows


def state_machine_targets_receive_events() -> None:
    """Rules deliver to state machine targets; moto's own targets keep moto's delivery."""
    from moto.events.models import Rule

    original = Rule.send_to_targets

    def send_to_targets(self, original_event, transform_input=True):
        if self.state != "ENABLED" or (self.scheduled_expression and not self.event_pattern.dump()):
            return
        if not self.event_pattern.matches_event(original_event):
            return
        deliver(self, original_event, original, transform_input)

    Rule.send_to_targets = send_to_targets
    _MOTO_DELIVERY["send_to_targets"] = original


def target_service(target: dict) -> str:
    """The service of a rule target's ARN: ``states``, ``sqs``, ``sns``, ``logs``..."""
    parts = target.get("Arn", "").split(":")
    return parts[2] if len(parts) > 2 else ""


def deliver(rule, event: dict, moto_delivery=None, transform_input: bool = True) -> None:
    """Send ``event`` to every target of ``rule``: state machines, queues, topics and Lambda
    functions here, the rest through moto. A target moto cannot deliver to is a failed
    invocation, as EventBridge counts one (the emulator's log says which): never an error for
    ``PutEvents``' caller."""
    others = []
    for target in rule.targets:
        service = target_service(target)
        if service == "states":
            start_for_target(rule, target, event)
        elif service in ("sqs", "sns", "lambda"):
            send_to_queue_or_topic(rule, target, event)
        else:
            others.append(target)
    for target in others:
        view = copy.copy(rule)
        view.targets = [target]
        try:
            (moto_delivery or _MOTO_DELIVERY["send_to_targets"])(view, event, transform_input)
        except NotImplementedError:
            _log(f"rule {rule.name}: targets like {target.get('Arn')} are not delivered locally")


def send_to_queue_or_topic(rule, target: dict, event: dict) -> None:
    """An SQS queue receives the event (or the target's ``Input`` / ``InputPath`` /
    ``InputTransformer`` result) as its message body, an SNS topic as its message, a Lambda
    function as the event of an asynchronous invocation, as AWS sends them: the event's own
    fields only, its time in ISO 8601 (moto sent its internal ``ingestion-time`` too, and SNS
    and Lambda targets not at all). Resource policies are not evaluated."""
    from moto.awslambda.models import lambda_backends
    from moto.sns.models import sns_backends
    from moto.sqs.models import sqs_backends

    arn = target["Arn"]
    _, _, service, region, account, name = arn.split(":", 5)
    try:
        text = target_input(rule, target, aws_event(event))
        if service == "sqs":
            group = (target.get("SqsParameters") or {}).get("MessageGroupId")
            sqs_backends[account][region].send_message(
                queue_name=name, message_body=text, group_id=group
            )
        elif service == "sns":
            sns_backends[account][region].publish(message=text, arn=arn)
        else:
            function = lambda_backends[account][region].get_function(arn)
            function.invoke(text.encode(), {"x-amz-invocation-type": "Event"}, {})
    except Exception as error:  # a missing queue, topic or function: a failed invocation
        _log(f"rule {rule.name}: not delivered to {arn}: {error!r}")


def start_for_target(rule, target: dict, event: dict) -> str | None:
    """Start the target's state machine with the event; return the execution ARN, or ``None``
    when AWS would count a failed invocation (the reason goes to the emulator's log)."""
    from moto.stepfunctions.responses import get_backend

    machine_arn = target["Arn"]
    reason = service_roles.refusal(
        target.get("RoleArn"), EVENTS_PRINCIPAL, "states:StartExecution", machine_arn, rule.arn
    )
    if reason:
        _log(f"rule {rule.name}: not delivered to {machine_arn}: {reason}")
        return None
    try:
        text = target_input(rule, target, aws_event(event))
        _, _, _, region, account, *_ = machine_arn.split(":")
        execution = get_backend(account, region).start_execution(machine_arn, None, text)
    except Exception as error:  # bad input, missing machine: a failed invocation
        _log(f"rule {rule.name}: StartExecution on {machine_arn} failed: {error!r}")
        return None
    return execution.exec_arn


def _log(message: str) -> None:
    print(f"[events] {message}", flush=True)


def iso_time(value) -> str:
    """An event time as EventBridge writes it: ``2024-05-01T12:00:00Z``."""
    if isinstance(value, str) and value:
        return value
    moment = datetime.datetime.fromtimestamp(float(value or time.time()), datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def aws_event(event: dict) -> dict:
    """The event as AWS delivers it: its fields in order, ``time`` in ISO 8601."""
    fields = ("version", "id", "detail-type", "source", "account", "time", "region")
    delivered = {field: event.get(field) for field in fields}
    delivered["time"] = iso_time(event.get("time"))
    delivered["resources"] = list(event.get("resources") or [])
    delivered["detail"] = event.get("detail", {})
    if "replay-name" in event:
        delivered["replay-name"] = event["replay-name"]
    return delivered


# ---------------------------------------------------------------- what a target receives


def target_input(rule, target: dict, event: dict) -> str:
    """The text a target receives (EventBridge user guide, "Input transformation"): the target's
    constant ``Input``; else the part of the event its ``InputPath`` selects; else its
    ``InputTransformer``'s template filled in; else the whole event."""
    if target.get("Input") is not None:
        return target["Input"]
    if target.get("InputPath"):
        return json.dumps(json_path_value(event, target["InputPath"]))
    transformer = target.get("InputTransformer")
    if transformer:
        values = {
            name: json_path_value(event, path)
            for name, path in (transformer.get("InputPathsMap") or {}).items()
        }
        values.update(predefined_variables(rule, event))
        return fill_template(transformer["InputTemplate"], values)
    return json.dumps(event)


def json_path_value(event: dict, path: str):
    """The value at a JSONPath such as ``$.detail.items[0]`` (a list for wildcards); ``None``
    if nothing is there."""
    from jsonpath_ng.ext import parse

    matches = [match.value for match in parse(path).find(event)]
    if not matches:
        return None
    return matches if "*" in path else matches[0]


def predefined_variables(rule, event: dict) -> dict:
    """The reserved variables every template may use (EventBridge user guide)."""
    without_detail = {key: value for key, value in event.items() if key != "detail"}
    return {
        "aws.events.rule-arn": rule.arn,
        "aws.events.rule-name": rule.name,
        "aws.events.event.ingestion-time": iso_time(None),
        "aws.events.event": _Raw(json.dumps(without_detail)),
        "aws.events.event.json": _Raw(json.dumps(event)),
    }


class _Raw(str):
    """JSON text inserted into a template as it is, never quoted or escaped."""


_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")


def fill_template(template: str, values: dict) -> str:
    """Replace each ``<name>`` in an ``InputTemplate``.

    In a JSON template, a placeholder inside a JSON string gets the value's text (a string as
    it is, escaped for JSON), and one outside a string gets the value as JSON. A template that
    is not JSON (e.g. ``<instance> is in state <status>``) gets each value's plain text.
    Unknown placeholders stay as they are.
    """
    is_json = template.lstrip()[:1] in ("{", "[")
    pieces, in_string, position = [], False, 0
    for match in _PLACEHOLDER.finditer(template):
        before = template[position : match.start()]
        in_string = _in_string_after(before, in_string) if is_json else False
        pieces.append(before)
        name = match.group(1)
        if name not in values:
            pieces.append(match.group(0))
        else:
            pieces.append(_render_value(values[name], is_json, in_string))
        position = match.end()
    pieces.append(template[position:])
    return "".join(pieces)


def _in_string_after(text: str, in_string: bool) -> bool:
    """Whether a JSON scan that starts ``in_string`` is inside a string at the end of ``text``."""
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            in_string = not in_string
    return in_string


def _render_value(value, is_json: bool, in_string: bool) -> str:
    if isinstance(value, _Raw):
        return str(value)
    if not is_json:
        return value if isinstance(value, str) else json.dumps(value)
    if in_string:
        text = value if isinstance(value, str) else json.dumps(value)
        return json.dumps(text)[1:-1]
    return json.dumps(value)


# ---------------------------------------------------------------- schedules


_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
_DAYS = "SUN MON TUE WED THU FRI SAT".split()


class Schedule:
    """A schedule expression: ``rate(5 minutes)``, ``cron(0 12 * * ? *)`` (UTC for a rule; an
    EventBridge Scheduler schedule may name another ``timezone``) or, for a Scheduler schedule,
    ``at(2026-12-01T09:00:00)``, once."""

    def __init__(self, expression: str, timezone: str = "UTC"):
        self.expression = expression
        self.zone = zoneinfo.ZoneInfo(timezone or "UTC")
        rate = _RATE.match(expression.strip())
        self.period = None
        self.fields = None
        self.once = None
        if rate:
            self.period = int(rate.group(1)) * _UNIT_SECONDS[rate.group(2).rstrip("s")]
        elif expression.startswith("cron(") and expression.endswith(")"):
            self.fields = _parse_cron(expression[5:-1])
        elif expression.startswith("at(") and expression.endswith(")"):
            local = datetime.datetime.fromisoformat(expression[3:-1])
            self.once = local.replace(tzinfo=self.zone).astimezone(datetime.timezone.utc)
        else:
            raise ValueError(f"unsupported schedule expression {expression!r}")

    def next_after(self, moment: datetime.datetime) -> datetime.datetime | None:
        """The first time this schedule fires strictly after ``moment`` (``None``: never
        again, for a one-time schedule that has fired)."""
        if self.period:
            return moment + datetime.timedelta(seconds=self.period)
        if self.once is not None:
            return self.once if self.once > moment else None
        local = moment.astimezone(self.zone)
        candidate = local.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
        for _ in range(366 * 24 * 60):
            if self._cron_matches(candidate):
                return candidate.astimezone(datetime.timezone.utc)
            candidate += datetime.timedelta(minutes=1)
        raise ValueError(f"{self.expression} never fires")

    def _cron_matches(self, moment: datetime.datetime) -> bool:
        minutes, hours, days, months, weekdays, years = self.fields
        weekday = (moment.weekday() + 1) % 7 + 1  # AWS: 1 = SUN ... 7 = SAT
        return (
            moment.minute in minutes
            and moment.hour in hours
            and moment.day in days
            and moment.month in months
            and weekday in weekdays
            and moment.year in years
        )


def _parse_cron(text: str) -> tuple[set[int], ...]:
    """AWS's six cron fields: minutes hours day-of-month month day-of-week year.

    Supported: ``*``, ``?``, numbers, names (JAN, MON), lists, ranges and ``/`` steps. ``L``,
    ``W`` and ``#`` are not (the rule is then never fired and the log says why).
    """
    fields = text.split()
    if len(fields) != 6:
        raise ValueError(f"cron needs 6 fields, not {len(fields)}: {text!r}")
    limits = [(0, 59, None), (0, 23, None), (1, 31, None), (1, 12, _MONTHS), (1, 7, _DAYS)]
    limits.append((1970, 2199, None))
    return tuple(
        _cron_field(field, low, high, names)
        for field, (low, high, names) in zip(fields, limits, strict=True)
    )


def _cron_field(field: str, low: int, high: int, names) -> set[int]:
    allowed: set[int] = set()
    for part in field.split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if span in ("*", "?"):
            start, stop = low, high
        elif "-" in span:
            first, last = span.split("-", 1)
            start, stop = _cron_number(first, names), _cron_number(last, names)
        else:
            start = _cron_number(span, names)
            stop = high if step_text else start
        allowed.update(range(start, stop + 1, step))
    return allowed


def _cron_number(text: str, names) -> int:
    if names and text.upper() in names:
        return names.index(text.upper()) + 1
    if not text.isdigit():
        raise ValueError(f"unsupported cron value {text!r}")
    return int(text)


class Scheduler:
    """Fires scheduled rules when the emulator's clock (``emulator.clock``) passes their next
    time."""

    name = "fired"  # what the clock's answer calls the schedules that fired

    def __init__(self):
        self._next: dict[str, tuple[str, datetime.datetime | None]] = {}

    def due(self, now: datetime.datetime) -> list[dict]:
        """Fire every scheduled rule that is due; return ``[{"rule": arn, "time": iso}]``."""
        fired, seen = [], set()
        others = [item for source in SOURCES for item in source()]
        for rule in [*_scheduled_rules(), *others]:
            seen.add(rule.arn)
            fired += self._fire_due(rule, now)
        for arn in set(self._next) - seen:
            del self._next[arn]
        return fired

    def _fire_due(self, rule, now: datetime.datetime) -> list[dict]:
        expression, due = self._next.get(rule.arn, (None, None))
        timezone = getattr(rule, "timezone", "UTC")
        if expression != rule.scheduled_expression:
            try:
                due = Schedule(rule.scheduled_expression, timezone).next_after(now)
            except ValueError as error:
                _log(f"rule {rule.name}: {error}")
                due = None
            self._next[rule.arn] = (rule.scheduled_expression, due)
            return []
        fired = []
        schedule = Schedule(expression, timezone) if due else None
        while due and due <= now and len(fired) < MAX_FIRES_PER_TICK:
            if rule.state == "ENABLED":
                if hasattr(rule, "fire"):  # another source's schedule (EventBridge Scheduler)
                    rule.fire(due)
                else:
                    deliver(rule, scheduled_event(rule, due))
                fired.append({"rule": rule.arn, "time": iso_time(due.timestamp())})
            due = schedule.next_after(due)
        if due and due <= now:
            due = schedule.next_after(now)
        self._next[rule.arn] = (expression, due)
        return fired


# Other services' schedules the same clock fires (``scheduler.schedules`` adds EventBridge
# Scheduler's): each source returns items with ``arn``, ``scheduled_expression``, ``timezone``,
# ``state``, ``name`` and ``fire(moment)``.
SOURCES: list = []


def _scheduled_rules():
    """Every rule with a ``ScheduleExpression``, in every account and region moto holds."""
    from moto.events.models import events_backends

    for regions in list(events_backends.values()):
        for backend in list(regions.values()):
            for bus in list(backend.event_buses.values()):
                for rule in list(bus.rules.values()):
                    if rule.scheduled_expression:
                        yield rule


def scheduled_event(rule, moment: datetime.datetime) -> dict:
    """The event a schedule sends: detail-type "Scheduled Event", source "aws.events"."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": rule.account_id,
        "time": moment.timestamp(),
        "region": rule.region_name,
        "resources": [rule.arn],
        "detail": {},
        "ingestion-time": time.time(),
    }


SCHEDULER = Scheduler()
