"""moto_speed: the shortcuts keep moto's answers and forget only what nobody reads."""

import subprocess
import sys
import textwrap
import threading

import boto3

from sfn_tutorial.emulator.moto_speed import ThreadList


def finished_thread() -> threading.Thread:
    thread = threading.Thread(target=lambda: None)
    thread.start()
    thread.join()
    return thread


def test_finished_threads_are_forgotten_once_the_list_grows():
    threads = ThreadList()
    for _ in range(ThreadList.PRUNE_EVERY * 2):
        threads.append(finished_thread())
    assert len(threads) < ThreadList.PRUNE_EVERY


def test_running_threads_are_kept():
    release = threading.Event()
    running = threading.Thread(target=release.wait)
    running.start()
    threads = ThreadList([running])
    try:
        for _ in range(ThreadList.PRUNE_EVERY - 1):  # the last one makes the list prune
            threads.append(finished_thread())
        assert threads == [running]
    finally:
        release.set()
        running.join()


def test_the_interpreter_loads_without_batch_and_ec2_which_still_load_when_used():
    script = textwrap.dedent(
        """
        import sys
        from sfn_tutorial.emulator import moto_speed

        moto_speed.apply()
        from moto.stepfunctions.parser.models import StepFunctionsParserBackend
        from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
            state_task_service_batch as batch_task,
        )

        assert "moto.ec2" not in sys.modules, "EC2 was imported at start"
        assert "moto.batch" not in sys.modules, "Batch was imported at start"
        import moto.batch.models

        assert moto.batch.models.JobStatus is batch_task.JobStatus
        assert "moto.ec2" in sys.modules
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr


def test_ec2_and_batch_answer_through_the_emulator(emulator):
    # AWS: every account sees the region the tutorial uses, and no Batch environments at first.
    regions = boto3.client("ec2").describe_regions()["Regions"]
    assert "ap-northeast-2" in {region["RegionName"] for region in regions}
    assert boto3.client("batch").describe_compute_environments()["computeEnvironments"] == []
