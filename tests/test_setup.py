"""What `make lab` gives a learner: JupyterLab at the overview notebook, with nothing to dismiss.

The test runs the command `make lab` runs (read from `make --dry-run`, so the Makefile is what is
tested), with a port, a token and no browser added through its ``LAB_ARGS``, and asks the server
what a learner's browser would get: the page it opens and the settings it starts with.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 90
NOTIFICATION_SETTINGS = "@jupyterlab/apputils-extension:notification"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _lab_command(extra_args: str) -> list[str]:
    """The command `make lab` runs, with ``extra_args`` as its LAB_ARGS; the set-up it would
    run first is not repeated (``-o``: the venv's stamp counts as up to date)."""
    printed = subprocess.run(
        ["make", "--dry-run", "-o", ".venv/.installed", "lab", f"LAB_ARGS={extra_args}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (line,) = [line for line in printed.splitlines() if " lab " in line]
    return shlex.split(line)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab started as `make lab` starts it; its URL, token and runtime folder."""
    if not (ROOT / ".venv" / "bin" / "jupyter").exists():
        pytest.skip("no .venv here: `make lab` has not set up this checkout")
    home = tmp_path_factory.mktemp("lab-home")
    port, token = _free_port(), secrets.token_hex(16)
    args = f"--no-browser --ServerApp.ip=127.0.0.1 --port={port} --ServerApp.port_retries=0 "
    args += f"--IdentityProvider.token={token}"
    environment = {
        **os.environ,
        # Jupyter's per-user state in a folder of the test's own: no settings of the machine's
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
    }
    log = home / "lab.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            _lab_command(args),
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _answers(f"{url}/api/status", token):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start as `make lab` starts it:\n{log.read_text()}")
            time.sleep(0.25)
        yield {"url": url, "token": token, "runtime": home / "runtime"}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


def _answers(url: str, token: str) -> bool:
    try:
        _get(url, token)
    except OSError:
        return False
    return True


def _get(url: str, token: str):
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_make_lab_opens_the_overview_notebook(lab):
    # Without a browser, Jupyter Server writes the page it would open into its runtime folder.
    (opened,) = lab["runtime"].glob("jpserver-file-to-run-*-open.html")
    assert "/lab/tree/00_overview.ipynb" in opened.read_text()
    contents = _get(f"{lab['url']}/api/contents", lab["token"])["content"]
    assert "00_overview.ipynb" in {entry["name"] for entry in contents}  # served: notebooks/


def test_jupyterlab_never_asks_to_fetch_jupyter_news(lab):
    # JupyterLab's default is "none" (ask, in a pop-up over the notebook); the venv's
    # overrides.json makes it "false" (never), and no update check either.
    settings = _get(f"{lab['url']}/lab/api/settings/{NOTIFICATION_SETTINGS}", lab["token"])
    properties = settings["schema"]["properties"]
    assert properties["fetchNews"]["default"] == "false"
    assert properties["checkForUpdates"]["default"] is False
