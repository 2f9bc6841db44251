"""Each user's emulator is theirs alone: a private record, a clean environment, a verified
identity, and a clear word when it was replaced or restarted."""

import json
import os
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import boto3
import lambda_code
import policies
import pytest

from sfn_tutorial import target
from sfn_tutorial.emulator import instances, server

ROOT = Path(__file__).resolve().parents[1]
OTHER_USER = "sfn-tutorial-other"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def own_emulator(monkeypatch):
    """A second emulator of this user's, on its own port, stopped after the test; the kernel's
    AWS settings as they were."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, os.environ[name])
    monkeypatch.setenv("SFN_TUTORIAL_PORT", str(free_port()))
    monkeypatch.setattr(target, "_replaced_settings", None)
    monkeypatch.setattr(target, "_last_emulator", {})
    yield monkeypatch
    server.stop()
    boto3.DEFAULT_SESSION = None


def test_the_record_is_private_to_the_user(emulator):
    folder = instances.state_dir()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    path = instances.record_path(server.requested_port())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.stat().st_uid == os.getuid()


def test_a_folder_others_can_read_is_refused(monkeypatch, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    monkeypatch.setenv(instances.STATE_DIR_VARIABLE, str(shared))
    with pytest.raises(instances.InstanceError, match="only you can use"):
        instances.state_dir()


HANDLER_READING_ENVIRONMENTS = """
import os


def handler(event, context):
    parent = open(f"/proc/{os.getppid()}/environ", "rb").read().decode(errors="replace")
    return {"own": dict(os.environ), "parent": parent}
"""


def test_no_secret_of_the_learners_reaches_the_emulator_or_its_handlers(own_emulator):
    own_emulator.setenv("AWS_ACCESS_KEY_ID", "AKIALEARNERSOWNKEY00")
    own_emulator.setenv("AWS_SECRET_ACCESS_KEY", "learners-own-secret-key")
    own_emulator.setenv("AWS_PROFILE", "learners-profile")
    own_emulator.setenv("GITHUB_TOKEN", "learners-github-token")
    target.connect("local", progress=lambda message: None)
    trust = policies.trust("lambda.amazonaws.com")
    role = boto3.client("iam").create_role(
        RoleName="reader", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]
    lam = boto3.client("lambda")
    arn = lambda_code.python_function("read-environments", HANDLER_READING_ENVIRONMENTS, role)
    seen = json.loads(lam.invoke(FunctionName=arn)["Payload"].read())
    everything = json.dumps(seen["own"]) + seen["parent"]
    for secret in ("AKIALEARNERSOWNKEY00", "learners-own-secret-key", "learners-profile"):
        assert secret not in everything
    assert "learners-github-token" not in everything


def test_aws_gets_back_the_profile_local_replaced(own_emulator, tmp_path):
    # The learner's own profile, whose endpoint refuses at once (no AWS account is reached).
    (tmp_path / "credentials").write_text(
        "[learners-profile]\naws_access_key_id = AKIALEARNERSOWNKEY00\n"
        "aws_secret_access_key = learners-own-secret-key\n"
    )
    (tmp_path / "config").write_text(
        "[profile learners-profile]\nregion = eu-west-1\nendpoint_url = http://127.0.0.1:9\n"
    )
    for name in list(os.environ):
        if name.startswith("AWS_"):
            own_emulator.delenv(name)
    own_emulator.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    own_emulator.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    own_emulator.setenv("AWS_PROFILE", "learners-profile")
    target.connect("local", progress=lambda message: None)
    assert "AWS_PROFILE" not in os.environ
    with pytest.raises(target.TargetError, match="refused"):
        target.connect("aws")  # the profile's endpoint refuses: nothing is created anywhere
    assert os.environ["AWS_PROFILE"] == "learners-profile"
    session = boto3.Session()
    assert session.get_credentials().access_key == "AKIALEARNERSOWNKEY00"
    assert session.region_name == "eu-west-1"
    assert "AWS_ENDPOINT_URL" not in os.environ


def test_the_aws_banner_names_the_profile_and_where_the_keys_came_from():
    banner = target.Target(
        "aws", "eu-west-1", "210987654321", profile="work", source="sso"
    ).banner()
    assert "profile work (sso)" in banner and "210987654321" in banner


def test_an_emulator_of_other_code_is_replaced_with_a_word_that_its_resources_are_gone(
    own_emulator,
):
    first = server.ensure_running(progress=lambda message: None)
    own_emulator.setattr(instances, "fingerprint", lambda: "code-of-another-checkout")
    messages = []
    second = server.ensure_running(progress=messages.append)
    assert second["pid"] != first["pid"]
    assert "another version" in messages[0] and "gone" in messages[0]
    assert not instances.is_users_emulator(first["pid"], first["port"])


def test_a_kernel_is_told_when_its_emulator_restarted(own_emulator):
    target.connect("local", progress=lambda message: None)
    server.stop()
    messages = []
    target.connect("local", progress=messages.append)
    assert any("restarted" in message and "gone" in message for message in messages)


def test_stop_signals_only_a_verified_emulator_of_the_users(own_emulator):
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        port = int(os.environ["SFN_TUTORIAL_PORT"])
        record = instances.Record(port, bystander.pid, "f", "i", "AKIA", "secret")
        instances.write(instances.record_path(port), record)
        assert server.stop() is False
        assert bystander.poll() is None  # still running
    finally:
        bystander.kill()
        bystander.wait()


SLEEPER = """
import time


def handler(event, context):
    time.sleep(event["seconds"])
    return "done"
"""


def lambda_role() -> str:
    trust = policies.trust("lambda.amazonaws.com")
    return boto3.client("iam").create_role(
        RoleName=f"role-{os.getpid()}", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]


def test_a_busy_emulator_still_answers_its_health_check(own_emulator):
    # Every request thread busy with a slow invoke: HTTP requests wait in waitress's queue, but
    # the health socket answers, and connect() finds the user's emulator instead of calling the
    # port another program's.
    own_emulator.setenv("SFN_TUTORIAL_REQUEST_THREADS", "2")
    target.connect("local", progress=lambda message: None)
    record = server.running()
    lam = boto3.client("lambda")
    arn = lambda_code.python_function("sleeper", SLEEPER, lambda_role(), Timeout=30)
    busy = [
        threading.Thread(
            target=lam.invoke, kwargs={"FunctionName": arn, "Payload": b'{"seconds": 6}'}
        )
        for _ in range(2)
    ]
    for thread in busy:
        thread.start()
    try:
        deadline = time.monotonic() + 20
        while server.health(record.port, timeout=0.5) and time.monotonic() < deadline:
            time.sleep(0.2)  # until both request threads are taken
        assert server.health(record.port, timeout=0.5) is None  # HTTP waits in the queue
        assert server.socket_health(record.port)["instance_id"] == record.instance_id
        messages = []
        assert server.ensure_running(progress=messages.append)["pid"] == record.pid
        assert messages == []
    finally:
        for thread in busy:
            thread.join()


def test_export_lines_point_the_aws_cli_at_the_emulator(emulator):
    record = server.running()
    lines = server.export_lines(record)
    assert f"export AWS_ENDPOINT_URL=http://127.0.0.1:{record.port}" in lines
    assert f"export AWS_SECRET_ACCESS_KEY={record.secret_access_key}" in lines
    assert "unset AWS_PROFILE" in lines


SECOND_USER_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    import boto3, botocore.exceptions
    from sfn_tutorial import target
    from sfn_tutorial.emulator import server

    first_port = int(sys.argv[1])
    result = {}
    connected = target.connect("local", progress=lambda message: None)
    result["port"] = int(connected.endpoint_url.rsplit(":", 1)[1])
    try:
        open(sys.argv[2]).read()
        result["read_first_record"] = True
    except OSError:
        result["read_first_record"] = False
    other = boto3.client("stepfunctions", endpoint_url=f"http://127.0.0.1:{first_port}")
    try:
        other.list_state_machines()
        result["used_first_emulator"] = True
    except botocore.exceptions.ClientError as error:
        result["used_first_emulator"] = error.response["Error"]["Code"]
    server.stop()
    print(json.dumps(result))
    """
)


def second_user() -> str:
    """A second Unix user (created when the tests run as root, as in CI), or skip."""
    if os.getuid() != 0:
        pytest.skip("needs root to create a second Unix user (CI runs as root)")
    try:
        pwd.getpwnam(OTHER_USER)
    except KeyError:
        subprocess.run(["useradd", "--create-home", OTHER_USER], check=True)
    return OTHER_USER


def python_for(user: str) -> tuple[str, dict]:
    """A Python the other user may run, with this checkout's packages importable: this
    virtualenv's own interpreter often lives in root's home, which others cannot enter, so a
    system Python of the same version runs with the virtualenv's site-packages on its path."""
    import site
    import sysconfig

    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    path = os.pathsep.join([str(ROOT), *site.getsitepackages(), sysconfig.get_paths()["purelib"]])
    for candidate in (sys.executable, f"/usr/local/bin/{version}", f"/usr/bin/{version}"):
        if not os.path.exists(candidate):
            continue
        environment = {"PATH": os.environ["PATH"], "HOME": pwd.getpwnam(user).pw_dir}
        if candidate != sys.executable:
            environment["PYTHONPATH"] = path
        check = subprocess.run(
            ["runuser", "-u", user, "--", candidate, "-c", "import moto, sfn_tutorial"],
            capture_output=True,
            env=environment,
            cwd="/",
        )
        if check.returncode == 0:
            return candidate, environment
    pytest.skip(f"no {version} that {user} may run can import this checkout")


def test_a_second_user_gets_their_own_emulator_and_no_way_into_the_first(emulator):
    user = second_user()
    if not shutil.which("runuser"):
        pytest.skip("runuser is not installed")
    python, environment = python_for(user)
    first = server.running()
    record_file = str(instances.record_path(server.requested_port()))
    done = subprocess.run(
        [
            "runuser",
            "-u",
            user,
            "--",
            python,
            "-c",
            SECOND_USER_SCRIPT,
            str(first.port),
            record_file,
        ],
        capture_output=True,
        text=True,
        env=environment,
        cwd="/",
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["port"] != first.port
    assert result["read_first_record"] is False
    assert result["used_first_emulator"] == "UnrecognizedClientException"
