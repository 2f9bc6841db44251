"""moto_memory and the late fixes: what moto loads is loaded once, late, and still answers."""

import gzip
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import boto3
import moto

from sfn_tutorial.emulator import patching


def run_python(script: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_emulator_starts_without_ecs_and_ec2_and_fixes_ecs_when_it_loads():
    script = """
        import sys
        from sfn_tutorial.emulator import fixes

        fixes.apply(4599)
        assert "moto.ec2" not in sys.modules and "moto.ecs" not in sys.modules, "loaded at start"
        from moto.ecs.models import EC2ContainerServiceBackend

        # the ECS fixes ran as moto loaded ECS: RunTask is the emulator's, not moto's own
        print(EC2ContainerServiceBackend.run_task.__module__)
    """
    assert run_python(script) == "sfn_tutorial.emulator.ecs.tasks"


def test_instance_type_offerings_are_read_per_region_when_asked_for():
    script = """
        from sfn_tutorial.emulator import moto_memory

        moto_memory.apply()
        from moto.ec2.models.instance_types import INSTANCE_TYPE_OFFERINGS as offerings

        zones = offerings["availability-zone"]
        assert dict.__len__(zones) == 0, "read before anyone asked"
        assert "ap-northeast-2" in zones and "nowhere" not in zones
        assert zones.get("nowhere") is None
        seoul = zones["ap-northeast-2"]
        assert dict.__len__(zones) == 1 and zones.get("ap-northeast-2") is seoul
        print(len(seoul), {offering["LocationType"] for offering in seoul})
    """
    count, location_types = run_python(script).split(" ", 1)
    folder = Path(moto.__file__).parent / "ec2/resources/instance_type_offerings/availability-zone"
    (path,) = folder.glob("ap-northeast-2.json*")
    opened = gzip.open(path, "rt") if path.suffix == ".gz" else open(path)
    with opened as file:
        assert int(count) == len(json.load(file))  # every offering of the file, as moto reads it
    assert location_types == "{'availability-zone'}"


def test_ec2_answers_offerings_through_the_emulator(emulator):
    # AWS offers t2.micro in ap-northeast-2a and 2c (the offerings moto recorded from AWS).
    ec2 = boto3.client("ec2")
    offerings = ec2.describe_instance_type_offerings(
        LocationType="availability-zone",
        Filters=[{"Name": "instance-type", "Values": ["t2.micro"]}],
    )["InstanceTypeOfferings"]
    assert {"ap-northeast-2a", "ap-northeast-2c"} <= {o["Location"] for o in offerings}


def test_sessions_share_endpoints_but_each_keeps_its_own_service_models():
    script = """
        import botocore.session
        from sfn_tutorial.emulator import moto_memory

        moto_memory.apply()
        one, two = botocore.session.Session(), botocore.session.Session()
        loaders = [session.get_component("data_loader") for session in (one, two)]
        assert loaders[0].load_data("endpoints") is loaders[1].load_data("endpoints")
        # botocore changes a model as its clients use it (S3 takes {Bucket} out of requestUri)
        assert one.get_service_model("s3") is not two.get_service_model("s3")
        print("ok")
    """
    assert run_python(script) == "ok"


def test_when_imported_runs_the_fix_after_the_module_and_while_importing_around_it(
    tmp_path, monkeypatch
):
    (tmp_path / "late_module_for_test.py").write_text("import os\nSEEN = os.environ['SEEN']\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("SEEN", raising=False)
    calls = []

    class Around:
        def __enter__(self):
            monkeypatch.setenv("SEEN", "inside")
            calls.append("enter")

        def __exit__(self, *exc):
            calls.append("exit")

    patching.while_importing("late_module_for_test", Around)
    patching.when_imported("late_module_for_test", lambda: calls.append("fix"))
    assert calls == []
    import late_module_for_test

    assert late_module_for_test.SEEN == "inside"
    assert calls == ["enter", "exit", "fix"]
    patching.when_imported("late_module_for_test", lambda: calls.append("now"))  # imported: now
    assert calls[-1] == "now"


def test_regions_are_listed_as_botocore_lists_them_without_parsing_the_model():
    script = """
        import botocore.session
        from moto.core.base_backend import AccountSpecificBackend
        from sfn_tutorial.emulator import moto_memory, service_models

        session = botocore.session.Session()
        expected = {
            service: [
                region
                for partition in session.get_available_partitions()
                for region in session.get_available_regions(service, partition_name=partition)
            ]
            for service in ("stepfunctions", "lambda", "ec2", "iam", "s3", "no-such-service")
        }
        moto_memory.apply()
        service_models.service_model.cache_clear()
        for service, regions in expected.items():
            assert AccountSpecificBackend._generate_regions(None, service) == regions, service
        assert service_models.service_model.cache_info().currsize == 0, "a model was parsed"
        print("ok")
    """
    assert run_python(script) == "ok"


def test_finding_a_requests_account_makes_no_iam_backend():
    # moto looked for the access key in all six partitions' IAM backends, making each (with its
    # ~1,300 AWS managed policies) as it looked.
    script = """
        from sfn_tutorial.emulator import moto_memory

        moto_memory.apply()
        from moto.iam.models import iam_backends
        import moto.iam.models as iam

        assert iam.get_account_id_from("AKIAUNKNOWN0000000000") == "123456789012"
        assert len(iam_backends["123456789012"]) == 0, "a backend was made"
        backend = iam_backends["111122223333"]["aws"]
        user = backend.create_user("aws", "someone")
        key = backend.create_access_key(user.name)
        assert iam.get_account_id_from(key.access_key_id) == "111122223333"
        assert list(iam_backends["111122223333"]) == ["aws"]
        print("ok")
    """
    assert run_python(script) == "ok"
