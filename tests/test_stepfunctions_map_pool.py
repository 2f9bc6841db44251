"""``map_state.ChildPool``: the threads that run a Distributed Map's child executions.

AWS runs at most ``MaxConcurrency`` child executions at once; children that wait (a Wait state,
a task token) wait together. The emulator runs them on as few threads as keep the map run moving.
These tests need no emulator: a job here is a plain object, run by a function of the test's.
"""

import threading

import pytest

from sfn_tutorial.emulator.stepfunctions import map_state

# A deadlock guard only: a test that needs this long has failed.
STUCK_S = 60


class Job:
    def __init__(self, index):
        self.job_index = index
        self.job_input = index
        self.job_output = None


def jobs(count):
    return [Job(index) for index in range(count)]


class Running:
    """Counts the jobs running at once, and the most at any time."""

    def __init__(self):
        self.lock = threading.Lock()
        self.now = self.most = 0

    def __enter__(self):
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def __exit__(self, *exc):
        with self.lock:
            self.now -= 1


def test_quick_children_run_on_a_few_threads_and_keep_their_order():
    def double(job):
        job.job_output = job.job_input * 2

    pool = map_state.ChildPool(jobs(3000), double, limit=lambda: 1000)
    assert pool.run() == [index * 2 for index in range(3000)]
    assert pool.most <= map_state.BASE_WORKERS


def test_children_that_wait_wait_together_up_to_max_concurrency():
    # 40 children that each wait until all 40 are running: on AWS (MaxConcurrency 1000) they
    # run at once; a pool that kept them to a few threads would never end.
    together = threading.Barrier(40)

    def wait_for_the_others(job):
        together.wait(timeout=STUCK_S)
        job.job_output = job.job_input

    pool = map_state.ChildPool(jobs(40), wait_for_the_others, limit=lambda: 1000)
    assert pool.run() == list(range(40))
    assert 40 <= pool.most <= 1000


def test_never_more_children_at_once_than_max_concurrency():
    running, release = Running(), threading.Event()

    def wait_a_little(job):
        with running:
            release.wait(0.3)
        job.job_output = job.job_input

    pool = map_state.ChildPool(jobs(12), wait_a_little, limit=lambda: 3)
    assert pool.run() == list(range(12))
    assert running.most == 3
    assert pool.most <= 3


def test_a_lower_max_concurrency_applies_to_children_not_started_yet():
    # UpdateMapRun while the map run runs: the 20 first children run at once; then
    # MaxConcurrency becomes 2, and children started after that run at most 2 at a time.
    limit, lowered = {"value": 1000}, threading.Event()
    together, late = threading.Barrier(20), Running()

    def run_one(job):
        if job.job_index < 20:
            together.wait(timeout=STUCK_S)
            if job.job_index == 0:
                limit["value"] = 2
                lowered.set()
        elif job.job_index < 40:
            lowered.wait(timeout=STUCK_S)
        else:
            with late:
                threading.Event().wait(0.05)
        job.job_output = job.job_input

    pool = map_state.ChildPool(jobs(60), run_one, limit=lambda: limit["value"])
    assert pool.run() == list(range(60))
    assert pool.most >= 20
    assert late.most <= 2


def test_an_error_in_the_interpreter_ends_the_map_run_and_is_raised():
    started = []

    def fail_on_five(job):
        started.append(job.job_index)
        if job.job_index == 5:
            raise RuntimeError("interpreter broke")
        job.job_output = job.job_input

    pool = map_state.ChildPool(jobs(10_000), fail_on_five, limit=lambda: 1)
    with pytest.raises(RuntimeError, match="interpreter broke"):
        pool.run()
    assert started == [0, 1, 2, 3, 4, 5]


def test_children_not_started_when_the_parent_stops_are_abandoned():
    stopped, abandoned = threading.Event(), []

    def stop_after_three(job):
        if job.job_index == 2:
            stopped.set()
        job.job_output = job.job_input

    pool = map_state.ChildPool(
        jobs(10),
        stop_after_three,
        limit=lambda: 1,
        parent_running=lambda: not stopped.is_set(),
        abandoned=abandoned.extend,
    )
    assert pool.run()[:3] == [0, 1, 2]
    assert abandoned == list(range(3, 10))


def test_no_jobs_no_threads():
    pool = map_state.ChildPool([], lambda job: None, limit=lambda: 10)
    assert pool.run() == []
    assert pool.most == 0
