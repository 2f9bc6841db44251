"""moto_speed: the shortcuts keep moto's answers and forget only what nobody reads."""

import threading

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
