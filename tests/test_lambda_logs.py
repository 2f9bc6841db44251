"""Lambda's log lines reach CloudWatch Logs in batches, and no reader can tell.

Uses moto's own Logs backend in this process; tests/test_lambda_service.py checks the same
through the running emulator (a read right after an invocation sees its lines).
"""

import time

from moto.logs.models import LogsBackend

from sfn_tutorial.emulator.awslambda import logs as lambda_logs

GROUP = "/aws/lambda/demo"
STREAM = "2026/11/29/[$LATEST]0123456789abcdef"


def backend() -> LogsBackend:
    return LogsBackend("ap-northeast-2", "123456789012")


def messages(logs: LogsBackend, stream: str = STREAM) -> list[str]:
    events, _, _ = logs.get_log_events(
        log_group_name=GROUP,
        log_group_id=None,
        log_stream_name=stream,
        start_time=None,
        end_time=None,
        limit=100,
        next_token=None,
        start_from_head=True,
    )
    return [event["message"] for event in events]


def test_queued_lines_are_written_in_order_creating_group_and_stream():
    logs, queue = backend(), lambda_logs.LogQueue()
    queue.add(logs, GROUP, STREAM, ["START RequestId: 1", "END RequestId: 1"])
    queue.add(logs, GROUP, STREAM, ["START RequestId: 2"])
    queue.flush()
    assert messages(logs) == ["START RequestId: 1", "END RequestId: 1", "START RequestId: 2"]


def test_one_write_per_stream_however_many_invocations(monkeypatch):
    logs, queue = backend(), lambda_logs.LogQueue()
    logs.create_log_group(GROUP, {})
    logs.create_log_stream(GROUP, STREAM)
    writes = []
    group = logs.groups[GROUP]
    original = group.put_log_events
    monkeypatch.setattr(
        group, "put_log_events", lambda *args: writes.append(args) or original(*args)
    )
    for number in range(5):
        queue.add(logs, GROUP, STREAM, [f"line {number}"])
    queue.flush()
    assert len(writes) == 1 and len(messages(logs)) == 5


def test_lines_are_written_without_anyone_asking():
    logs, queue = backend(), lambda_logs.LogQueue()
    queue.add(logs, GROUP, STREAM, ["printed"])
    deadline = time.monotonic() + 10  # the writer runs every FLUSH_INTERVAL_S
    while time.monotonic() < deadline and GROUP not in logs.groups:
        time.sleep(0.05)
    assert messages(logs) == ["printed"]


def test_every_logs_operation_first_writes_what_is_queued():
    lambda_logs.apply()
    logs = backend()
    lambda_logs.QUEUE.add(logs, GROUP, STREAM, ["just now"])
    # No flush, no wait: describing the streams is enough to see the line.
    streams = logs.describe_log_streams(
        descending=False,
        limit=50,
        log_group_name=GROUP,
        log_group_id=None,
        log_stream_name_prefix="",
        next_token=None,
        order_by="LogStreamName",
    )[0]
    assert [stream["logStreamName"] for stream in streams] == [STREAM]
    assert messages(logs) == ["just now"]


def test_a_reset_forgets_what_is_queued():
    logs, queue = backend(), lambda_logs.LogQueue()
    queue.add(logs, GROUP, STREAM, ["from before the reset"])
    queue.forget()
    queue.flush()
    assert GROUP not in logs.groups
