"""pytest set-up shared by the unit tests (tests/) and the notebooks (notebooks/, run by nbval).

A test session gets its own fresh emulator on a free port, so it never sees (or changes) the
resources of an emulator a learner is using. Notebook kernels inherit the environment set here.
"""

from __future__ import annotations

import os
import socket

import pytest

from sfn_tutorial.emulator import server

# Graphviz SVG embeds its version and float coordinates, and widget views are ids of live
# objects: neither can be compared byte for byte. tests/test_graph_*.py and
# tests/test_widgets.py check what they show instead.
UNCOMPARABLE_OUTPUTS = ("image/svg+xml", "application/vnd.jupyter.widget-view+json")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pytest_configure(config):
    os.environ.setdefault("TUTORIAL_TARGET", "local")
    if os.environ["TUTORIAL_TARGET"] == "local":
        os.environ["SFN_TUTORIAL_PORT"] = str(_free_port())


def pytest_sessionstart(session):
    if os.environ["TUTORIAL_TARGET"] == "local":
        server.ensure_running(progress=lambda message: None)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("TUTORIAL_TARGET") == "local":
        server.stop()


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
