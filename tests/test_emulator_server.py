"""The emulator process: health, reuse, a clear message when the port is taken, stop."""

import http.client
import json
import socket

import pytest

from sfn_tutorial.emulator import server


def test_session_emulator_is_healthy_on_loopback():
    record = server.running()
    report = server.health(record.port)
    assert report["service"] == server.SERVICE_NAME
    assert (report["port"], report["pid"]) == (record.port, record.pid)
    assert report["instance_id"] == record.instance_id


def test_the_health_report_holds_no_secret():
    record = server.running()
    report = json.dumps(server.health(record.port))
    assert record.secret_access_key not in report and record.access_key_id not in report


def test_one_connection_serves_many_requests(emulator):
    # boto3 keeps its connections open; so does the emulator (a new connection per call cost
    # a warm Lambda invoke half its time).
    connection = http.client.HTTPConnection("127.0.0.1", server.running().port, timeout=10)
    try:
        for _ in range(3):
            connection.request("GET", server.HEALTH_PATH)
            response = connection.getresponse()
            assert json.loads(response.read())["service"] == server.SERVICE_NAME
            assert not response.will_close
        assert connection.sock is not None  # still the first connection
    finally:
        connection.close()


def test_ensure_running_reuses_the_running_emulator():
    messages = []
    before = server.running().pid
    assert server.ensure_running(progress=messages.append)["pid"] == before
    assert messages == []  # nothing started


def test_a_port_taken_by_another_program_gets_a_clear_message(monkeypatch):
    with socket.socket() as other_program:
        other_program.bind(("127.0.0.1", 0))
        other_program.listen()
        taken = other_program.getsockname()[1]
        monkeypatch.setenv("SFN_TUTORIAL_PORT", str(taken))
        with pytest.raises(server.EmulatorError, match=f"Port {taken} .* another program"):
            server.ensure_running(progress=lambda message: None)


def test_bad_port_setting_is_explained(monkeypatch):
    monkeypatch.setenv("SFN_TUTORIAL_PORT", "eighty")
    with pytest.raises(server.EmulatorError, match="must be a port number"):
        server.requested_port()


def test_start_and_stop_a_second_emulator(monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    monkeypatch.setenv("SFN_TUTORIAL_PORT", str(free))
    messages = []
    report = server.ensure_running(progress=messages.append)
    try:
        assert report["port"] == free
        assert messages == [f"Starting the local AWS emulator on 127.0.0.1:{free} ..."]
    finally:
        assert server.stop() is True
    assert server.health(free) is None
    assert server.stop() is False


def test_an_emulator_of_the_other_mode_is_replaced(monkeypatch):
    """The account-like stand-in (tests of the aws target) and the learner's emulator are
    never mistaken for each other: asking for the other mode replaces the running one."""
    from sfn_tutorial.emulator import account_like

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    monkeypatch.setenv("SFN_TUTORIAL_PORT", str(free))
    monkeypatch.delenv(account_like.ENABLED_VARIABLE, raising=False)
    plain = server.ensure_running(progress=lambda message: None)
    try:
        assert server.socket_health(free)["account_like"] is False
        monkeypatch.setenv(account_like.ENABLED_VARIABLE, "1")
        stand_in = server.ensure_running(progress=lambda message: None)
        assert stand_in["instance_id"] != plain["instance_id"]
        assert "another mode" in stand_in["replaced"]
        assert server.socket_health(free)["account_like"] is True
        assert server.ensure_running()["instance_id"] == stand_in["instance_id"]  # reused
    finally:
        assert server.stop() is True
