"""The pool of execution environments, with stand-in workers: when it reuses, starts, waits,
throttles and retires."""

import threading
import time

import pytest

from sfn_tutorial.emulator.awslambda.workers import Throttled, WorkerPool


class FakeWorker:
    """Just what the pool looks at; no process."""

    def __init__(self, key, group="fn"):
        self.key = key
        self.group = group
        self.retired = False
        self.last_used = time.monotonic()
        self.stopped = False

    def stop(self):
        self.stopped = True

    def ended(self):
        return False

    def close_log(self):
        pass


def acquire(pool, key="k", group="fn", reserved=None, started=None):
    def start():
        worker = FakeWorker(key, group)
        if started is not None:
            started.append(worker)
        return worker

    return pool.acquire(key, group, reserved, start)


def test_an_idle_worker_is_reused():
    pool = WorkerPool()
    first = acquire(pool)
    pool.release(first, reusable=True)
    assert acquire(pool) is first


def test_a_worker_that_failed_is_never_reused():
    pool = WorkerPool()
    first = acquire(pool)
    pool.release(first, reusable=False)
    assert first.stopped and acquire(pool) is not first


def test_busy_workers_mean_new_ones_up_to_eager_then_waiting():
    pool = WorkerPool(max_per_key=8, eager=2, scale_out_delay_s=10)
    started = []
    busy = [acquire(pool, started=started) for _ in range(2)]
    waiter = threading.Thread(target=lambda: started.append(acquire(pool)))
    waiter.start()
    time.sleep(0.2)
    assert len(started) == 2 and waiter.is_alive()  # waiting for a free worker
    pool.release(busy[0], reusable=True)
    waiter.join(2)
    assert started[-1] is busy[0]  # it got the worker that was freed


def test_slow_workers_make_the_pool_grow_after_a_delay():
    # Handlers that keep their workers busy: a waiting invocation gets a new worker soon.
    pool = WorkerPool(max_per_key=8, eager=1, scale_out_delay_s=0.1)
    acquire(pool)
    started = time.monotonic()
    second = acquire(pool)
    assert 0.05 < time.monotonic() - started < 2
    assert pool.counts("k") == (0, 2) and second is not None


def test_never_more_than_max_per_key():
    pool = WorkerPool(max_per_key=2, eager=5, scale_out_delay_s=0.01)
    workers = [acquire(pool), acquire(pool)]
    got = []
    waiter = threading.Thread(target=lambda: got.append(acquire(pool)))
    waiter.start()
    time.sleep(0.2)
    assert not got
    pool.release(workers[1], reusable=True)
    waiter.join(2)
    assert got == [workers[1]]


def test_reserved_concurrency_throttles_the_function_not_others():
    pool = WorkerPool()
    acquire(pool, group="fn", reserved=1)
    with pytest.raises(Throttled):
        acquire(pool, group="fn", reserved=1)
    acquire(pool, key="other", group="other", reserved=1)


def test_retired_workers_stop_when_idle_and_when_released():
    pool = WorkerPool()
    idle, busy = acquire(pool), acquire(pool)
    pool.release(idle, reusable=True)
    pool.retire("fn")
    assert idle.stopped and not busy.stopped
    pool.release(busy, reusable=True)
    assert busy.stopped
    assert pool.counts("k") == (0, 0)


def test_a_worker_started_while_its_function_was_retired_serves_once():
    pool = WorkerPool()

    def start():
        pool.retire("fn")  # e.g. UpdateFunctionCode while the new worker runs its init
        return FakeWorker("k")

    worker = pool.acquire("k", "fn", None, start)
    assert worker.retired
    pool.release(worker, reusable=True)
    assert worker.stopped


def test_idle_workers_are_reaped_after_the_idle_timeout():
    pool = WorkerPool(idle_timeout_s=60)
    worker = acquire(pool)
    pool.release(worker, reusable=True)
    assert pool.reap(now=time.monotonic() + 30) == 0
    assert pool.reap(now=time.monotonic() + 61) == 1 and worker.stopped


def test_at_most_max_warm_idle_workers_are_kept_least_recently_used_ended_first():
    # A busy Lambda account's idle environments are reclaimed oldest first; here the whole
    # emulator keeps at most max_warm of them, whichever functions they serve.
    pool = WorkerPool(max_warm=2)
    first, second, third = (acquire(pool, key=key, group=key) for key in ("a", "b", "c"))
    for worker in (first, second, third):
        pool.release(worker, reusable=True)
    assert first.stopped and not second.stopped and not third.stopped
    assert pool.warm() == 2 and pool.counts("a") == (0, 0)
    # b is used again, so c is now the least recently used
    again = acquire(pool, key="b", group="b")
    assert again is second
    pool.release(again, reusable=True)
    pool.release(acquire(pool, key="d", group="d"), reusable=True)
    assert third.stopped and not second.stopped and pool.warm() == 2


def test_busy_workers_do_not_count_against_the_warm_limit():
    pool = WorkerPool(max_warm=1, eager=4)
    busy = [acquire(pool) for _ in range(3)]
    assert not any(worker.stopped for worker in busy) and pool.counts("k") == (0, 3)
    for worker in busy:
        pool.release(worker, reusable=True)
    assert sum(worker.stopped for worker in busy) == 2 and pool.counts("k") == (1, 1)


def test_a_reclaimed_function_starts_a_new_worker():
    pool = WorkerPool(max_warm=1)
    started = []
    pool.release(acquire(pool, key="a", group="a", started=started), reusable=True)
    pool.release(acquire(pool, key="b", group="b", started=started), reusable=True)
    pool.release(acquire(pool, key="a", group="a", started=started), reusable=True)
    assert [worker.key for worker in started] == ["a", "b", "a"]
