"""sfn_tutorial/emulator/scheduler/schedules.py: EventBridge Scheduler's schedules fire on the
emulator's schedule clock and invoke their targets as their role allows."""

import datetime
import json

import boto3
import policies
import pytest

from sfn_tutorial.emulator import clock, server
from sfn_tutorial.emulator.events import rules

UTC = datetime.timezone.utc
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


def advance_clock(seconds):
    body = json.dumps({"advance_seconds": seconds}).encode()
    return json.loads(server.request(clock.CLOCK_PATH, body))["fired"]


def test_a_cron_schedule_keeps_its_time_zone():
    # Scheduler: cron(0 9 * * ? *) in Asia/Seoul fires at 09:00 KST, 00:00 UTC.
    schedule = rules.Schedule("cron(0 9 * * ? *)", "Asia/Seoul")
    after = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert schedule.next_after(after) == datetime.datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def test_an_at_schedule_fires_once():
    schedule = rules.Schedule("at(2026-03-01T10:00:00)")
    first = schedule.next_after(datetime.datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    assert first == datetime.datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert schedule.next_after(first) is None


def role(name, service, condition=None):
    iam = boto3.client("iam")
    trust = policies.trust(service, condition=condition)
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    policy = policies.allowing("states:StartExecution")
    iam.put_role_policy(RoleName=name, PolicyName="start", PolicyDocument=json.dumps(policy))
    return arn


@pytest.fixture(scope="module")
def machine(emulator):
    states_role = role("schedules-states", "states.amazonaws.com")
    return boto3.client("stepfunctions").create_state_machine(
        name="schedules-target", definition=PASS, roleArn=states_role
    )["stateMachineArn"]


def started(machine_arn):
    return boto3.client("stepfunctions").list_executions(stateMachineArn=machine_arn)["executions"]


def every_minute(name, machine_arn, role_arn, **target):
    """Schedule ``name``: start the machine as ``role_arn`` every minute (``target``: more of
    the target's fields)."""
    boto3.client("scheduler").create_schedule(
        Name=name,
        ScheduleExpression="rate(1 minute)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": machine_arn, "RoleArn": role_arn, **target},
    )


def a_minute_later(machine_arn):
    """Move the emulator's clock on a minute: how many executions of the machine started, and
    what fired."""
    before = len(started(machine_arn))
    advance_clock(0)  # the clock sees the new schedules, and counts from now
    fired = advance_clock(61)
    return len(started(machine_arn)) - before, fired


def test_a_due_schedule_starts_its_state_machine_as_its_role(machine):
    scheduler_role = role("schedules-role", "scheduler.amazonaws.com")
    every_minute(
        "schedules-every-minute", machine, scheduler_role, Input=json.dumps({"source": "scheduler"})
    )
    count, fired = a_minute_later(machine)
    assert [f["rule"].rsplit("/", 1)[1] for f in fired] == ["schedules-every-minute"]
    assert count == 1
    boto3.client("scheduler").delete_schedule(Name="schedules-every-minute")


def test_a_role_scheduler_may_not_assume_delivers_nothing(machine):
    # Scheduler assumes the target's role: one that trusts another service cannot be used.
    every_minute(
        "schedules-wrong-role", machine, role("schedules-events-role", "events.amazonaws.com")
    )
    assert a_minute_later(machine)[0] == 0
    boto3.client("scheduler").delete_schedule(Name="schedules-wrong-role")


def test_a_role_whose_trust_names_another_schedule_group_delivers_nothing(machine):
    # Scheduler assumes the target's role with the schedule's group as aws:SourceArn (AWS's
    # confused-deputy condition for Scheduler names the schedule group).
    scheduler = boto3.client("scheduler")
    _, _, _, region, account, *_ = machine.split(":")
    group = f"arn:aws:scheduler:{region}:{account}:schedule-group/"
    for name, group_name, fires in (
        ("schedules-other-group", "reports", False),
        ("schedules-own-group", "default", True),
    ):
        condition = {
            "ArnEquals": {"aws:SourceArn": group + group_name},
            "StringEquals": {"aws:SourceAccount": account},
        }
        every_minute(name, machine, role(f"{name}-role", "scheduler.amazonaws.com", condition))
        assert a_minute_later(machine)[0] == (1 if fires else 0), name
        scheduler.delete_schedule(Name=name)
