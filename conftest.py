"""pytest set-up shared by the unit tests (tests/) and the notebooks (notebooks/, run by nbval).

A test session gets its own fresh emulator on a free port, so it never sees (or changes) the
resources of an emulator a learner is using. Notebook kernels inherit the environment set here.

Run in parallel (pytest-xdist, ``-n``; `make test` does), each worker process is such a session,
with an emulator of its own, and the tests of one file stay together on one worker, in order (a
notebook's cells share a kernel, a module's tests share its fixtures and its emulator's state),
except in the files of ``INDEPENDENT_TESTS``, whose tests each set up what they need and may run
on any worker.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from sfn_tutorial.emulator import server

# Graphviz SVG embeds its version and float coordinates, and widget views are ids of live
# objects: neither can be compared byte for byte. tests/test_graph_*.py and
# tests/test_widgets.py check what they show instead.
UNCOMPARABLE_OUTPUTS = ("image/svg+xml", "application/vnd.jupyter.widget-view+json")
# Test files whose tests are independent of each other: each starts what it needs (an
# account-like stand-in of its own; an emulator emptied by the module's fixture), so
# pytest-xdist may run them side by side; the longest first.
INDEPENDENT_TESTS = ("tests/test_aws_target.py", "tests/test_exercises_unanswered.py")


# The Korean twins (notebooks/ko/) run the English notebooks' code: tests/test_korean_edition.py
# proves their code and outputs are the English ones, in Korean. One of them stays in the strict
# nbval run as evidence that they run as stored; the others run when named (pytest --nbval
# notebooks/ko/05_triggers.ipynb).
TWINS_UNDER_NBVAL = ("notebooks/ko/04_executions.ipynb",)


def pytest_ignore_collect(collection_path, config):
    if not collection_path.is_relative_to(config.rootpath):
        return None
    relative = collection_path.relative_to(config.rootpath).as_posix()
    if not (relative.startswith("notebooks/ko/") and relative.endswith(".ipynb")):
        return None
    named = {Path(argument.split("::")[0]).resolve() for argument in config.args}
    if relative in TWINS_UNDER_NBVAL or collection_path.resolve() in named:
        return None
    return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _runs_tests(config) -> bool:
    """False in the process that only hands tests out to pytest-xdist's workers."""
    return hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None)


def pytest_configure(config):
    os.environ.setdefault("TUTORIAL_TARGET", "local")
    if os.environ["TUTORIAL_TARGET"] == "local":
        os.environ["SFN_TUTORIAL_PORT"] = str(_free_port())


def pytest_sessionstart(session):
    if os.environ["TUTORIAL_TARGET"] == "local" and _runs_tests(session.config):
        server.ensure_running(progress=lambda message: None)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("TUTORIAL_TARGET") == "local" and _runs_tests(session.config):
        server.stop()


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: ignored without pytest-xdist
def pytest_xdist_make_scheduler(config, log):
    """Hand each file's tests to one worker together, in order; those of INDEPENDENT_TESTS
    one by one, and first, in that order: they are the longest (each runs whole notebooks), so
    starting them last would leave one worker busy long after the others are done."""
    from xdist.scheduler import LoadScopeScheduling

    def rank(scope: str) -> int:
        path = scope.split("::")[0]
        order = INDEPENDENT_TESTS
        return order.index(path) if path in order else len(order)

    class FileScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::")[0]
            return nodeid if path in INDEPENDENT_TESTS else path

        def _assign_work_unit(self, node) -> None:
            if not getattr(self, "_ranked", False):  # the queue is complete: rank it, once
                ranked = sorted(self.workqueue.items(), key=lambda unit: rank(unit[0]))
                self.workqueue.clear()
                self.workqueue.update(ranked)
                self._ranked = True
            super()._assign_work_unit(node)

    return FileScheduling(config, log)


def pytest_collectstart(collector):
    if getattr(collector, "skip_compare", None) is not None:
        collector.skip_compare += UNCOMPARABLE_OUTPUTS


@pytest.fixture(scope="module")
def emulator():
    """A connected local target with no resources left by earlier test modules."""
    from sfn_tutorial import target

    if os.environ["TUTORIAL_TARGET"] != "local":
        pytest.skip("runs on the local target only")
    connected = target.connect("local", progress=lambda message: None)
    server.request("/moto-api/reset")
    return connected


@pytest.fixture(scope="module")
def blog_stack(emulator):
    """The blog's functions, roles and state machine, deployed once per test module."""
    from sfn_tutorial import resources

    return resources.ensure_blog_stack(progress=lambda message: None)


@pytest.fixture
def sleeps(monkeypatch):
    """The seconds the test's own thread asks ``time.sleep`` for, recorded instead of slept.
    Other threads of the process (a worker pool's reaper, say) still sleep for real: a
    ``time.sleep`` replaced for every thread would have them spin."""
    slept, real_sleep, test_thread = [], time.sleep, threading.current_thread()

    def sleep(seconds):
        if threading.current_thread() is test_thread:
            slept.append(seconds)
        else:
            real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", sleep)
    return slept
