"""End to end: the tutorial's widgets, used in JupyterLab in headless Chromium.

tests/test_widgets.py, test_asl_editor.py and test_inspector.py drive the widgets from Python.
This module proves a learner sees and can use them: JupyterLab (on a temporary copy of
notebooks/, so the committed notebooks never change) runs a notebook with Run All Cells, then
the tests use the form as a learner would and read what the browser shows: notebook 04's
execution runner, notebook 03's ASL editor and notebook 06's data-flow inspector, each in a
page of its own; and the Korean twin of notebook 04 (notebooks/ko/), whose runner speaks
Korean. A missing front-end extension, a JavaScript error or an output that never refreshes
fails here. Each end state is kept as a screenshot in test-artifacts/browser/, with
JupyterLab's log.

A busy machine must not make it flaky: it waits for what the page shows (a status text, a node's
colour), never for a fixed time, and a kernel status request that fails is asked again.

Needs Debian's Chromium (`make test` installs it with ``scripts/setup.sh browser``), driven by
Playwright: without it the module is skipped, except in CI (``CI`` set), where that is a failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from sfn_tutorial.graph import STATUS_COLOURS

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - reported by the `chromium` fixture
    expect = sync_playwright = None

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "browser"
NOTEBOOK = "04_executions.ipynb"
KOREAN_NOTEBOOK = "ko/04_executions.ipynb"  # its kernel starts in notebooks/ko/: Korean
EDITOR_NOTEBOOK = "03_state_machine.ipynb"
INSPECTOR_NOTEBOOK = "06_state_types_and_data_flow.ipynb"
# The widgets the notebooks draw, as open_and_run() finds them: the code that draws one (in its
# cell), the widget's CSS selector, and its name in a failure's message.
RUNNER = ("helpers.execution_runner", ".widget-vbox", "execution runner")
EDITOR = ("helpers.asl_editor", ".asl-editor-widget", "ASL editor")
INSPECTOR = ("helpers.data_flow_inspector", ".data-flow-inspector", "data-flow inspector")
SUCCEEDED_FILL = STATUS_COLOURS["succeeded"][0]
FAILED_FILL = STATUS_COLOURS["failed"][0]

# Headless Chromium as root needs --no-sandbox; the rest keep it from calling Google's servers.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
]
LAB_START_SECONDS = 90
KERNEL_MS = 120_000  # kernel start and Run All Cells, on a slow 2-core machine
EXECUTION_MS = 60_000  # one execution, from Start to the last redraw
UI_MS = 30_000  # anything the page alone has to do

# JupyterLab user settings: every cell attached to the page (no windowing, so off-screen cells
# can be read) and no news or update checks (no network, no pop-up over the notebook).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": '{"windowingMode": "none"}',
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": (
        '{"fetchNews": "false", "checkForUpdates": false}'
    ),
}

# The fill colour of the graph node titled `name`, or null: graphviz writes each state as
# <g class="node"><title>Name</title><path or polygon fill="..."/>...</g>.
NODE_FILL_JS = """([root, name]) => {
    for (const node of root.querySelectorAll("svg g.node")) {
        if (node.querySelector("title")?.textContent.trim() === name) {
            return node.querySelector("path, polygon, ellipse")?.getAttribute("fill") ?? null;
        }
    }
    return null;
}"""

# True once every code cell has run since its outputs were cleared: its prompt shows a number,
# neither "[ ]" nor "[*]" (a cell whose code is folded shows no prompt).
ALL_CELLS_RAN_JS = """() => {
    const prompts = [...document.querySelectorAll(".jp-CodeCell .jp-InputPrompt")]
        .map((prompt) => prompt.textContent.trim())
        .filter((text) => text !== "");
    return prompts.length > 0 && prompts.every((text) => /^\\[\\d+\\]:$/.test(text));
}"""


def unavailable(reason: str) -> None:
    """Skip with `reason`, or fail in CI, where the browser test must always run."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}. CI must run the browser test.", pytrace=False)
    pytest.skip(reason)


def chromium_executable() -> str:
    """Path of Debian's Chromium, or skip (fail in CI) saying how to install it."""
    for candidate in ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    unavailable(
        "Chromium is not installed, so the browser test cannot run. On Debian: `sudo apt-get "
        "install chromium` (`make test` does it); on Ubuntu: `sudo snap install chromium`"
    )


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Lab:
    """A running JupyterLab server: where it is and how to get in."""

    url: str
    token: str

    def notebook_url(self, name: str) -> str:
        """The JupyterLab page that opens notebook `name`, in a workspace of its own (so a page
        shows that notebook only, not every notebook an earlier page opened)."""
        workspace = Path(name).with_suffix("").as_posix().replace("/", "-")
        return f"{self.url}/lab/workspaces/{workspace}/tree/{name}?token={self.token}"

    def api(self, path: str):
        """JupyterLab's REST answer for `path`, or None when it fails this time: under load the
        server sometimes answers 500 or not at all, and the callers poll again."""
        try:
            with urllib.request.urlopen(f"{self.url}{path}?token={self.token}", timeout=5) as r:
                return json.load(r)
        except (OSError, ValueError):  # URLError, HTTPError and timeouts are OSErrors
            return None

    def kernel_of(self, notebook: str) -> dict | None:
        """The kernel of the session of `notebook` (its model: execution_state, connections)."""
        sessions = self.api("/api/sessions") or []
        for session in sessions:
            if session.get("path", "").endswith(notebook) and session.get("kernel"):
                return session["kernel"]
        return None


def lab_environment(home: Path) -> dict[str, str]:
    """This process's environment (emulator port, target) with Jupyter's own state in `home`."""
    for relative, text in LAB_SETTINGS.items():
        path = home / "settings" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
    }


def lab_command(port: int, token: str, notebook_dir: Path) -> list[str]:
    """JupyterLab from this virtualenv, on 127.0.0.1:`port` only, serving `notebook_dir`."""
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.token={token}",
        f"--notebook-dir={notebook_dir}",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")  # JupyterLab refuses to start as root otherwise
    return command


def wait_until_serving(lab: Lab, process: subprocess.Popen, log: Path) -> None:
    """Return once JupyterLab answers its status API; fail if it exits or takes too long."""
    deadline = time.monotonic() + LAB_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"JupyterLab exited with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{lab.url}/api/status?token={lab.token}", timeout=5):
                return
        time.sleep(0.25)
    pytest.fail(f"JupyterLab did not start in {LAB_START_SECONDS} s:\n{log.read_text()}")


def wait_for_kernel(lab: Lab, notebook: str, timeout_ms: int = KERNEL_MS) -> None:
    """Return once `notebook`'s kernel is started, idle and connected to its page.

    (The page's own kernel indicator says "idle" for a moment before the kernel connects;
    Run All Cells then asks which kernel to start instead of running anything.) Another
    notebook's kernel does not count, and a failed status request is simply asked again.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    kernel = None
    while time.monotonic() < deadline:
        kernel = lab.kernel_of(notebook)
        if kernel and kernel["execution_state"] == "idle" and kernel["connections"] > 0:
            return
        time.sleep(0.25)
    pytest.fail(f"The kernel of {notebook} was not idle in {timeout_ms // 1000} s: {kernel}")


@pytest.fixture(scope="module")
def chromium() -> str:
    """Chromium's path, once Playwright and Chromium are both known to be there."""
    if sync_playwright is None:
        unavailable("Playwright is not installed: run `make test` (or scripts/setup.sh)")
    return chromium_executable()


@pytest.fixture(scope="module")
def jupyterlab(chromium, emulator, tmp_path_factory):
    """JupyterLab on a free port with a token, serving a copy of notebooks/, for this module.

    It inherits this session's environment, so its kernels reach the session's emulator
    (``SFN_TUTORIAL_PORT``, ``TUTORIAL_TARGET``, set by the root conftest.py).
    """
    home = tmp_path_factory.mktemp("jupyterlab")
    notebooks = home / "notebooks"
    shutil.copytree(
        ROOT / "notebooks", notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    port, token = free_port(), secrets.token_hex(24)
    lab = Lab(f"http://127.0.0.1:{port}", token)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for earlier in ARTIFACTS.glob("*.png"):  # no screenshot of an earlier run left behind
        earlier.unlink(missing_ok=True)
    log = ARTIFACTS / "jupyterlab.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            lab_command(port, token, notebooks),
            cwd=notebooks,
            env=lab_environment(home),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_serving(lab, process, log)
            yield lab
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def js_errors() -> list[str]:
    """Uncaught JavaScript errors of the page, as they happen."""
    return []


@pytest.fixture(scope="module")
def browser(chromium):
    """Headless Chromium, for this module."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def new_page(browser, js_errors):
    """A page of its own (a new browser context) whose uncaught errors go to `js_errors`."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    opened.on("pageerror", lambda error: js_errors.append(str(error)))
    return opened


def open_and_run(page, lab: Lab, notebook: str, source: str, selector: str, name: str):
    """Open `notebook`, Run All Cells, and return the locator of the widget (`selector`) in
    the output of the cell whose code contains `source`."""
    page.goto(lab.notebook_url(notebook), timeout=KERNEL_MS)
    with screenshot_on_failure(page, f"00-{Path(notebook).stem}"):
        expect(page.locator(".jp-NotebookPanel .jp-CodeCell").first).to_be_visible(
            timeout=KERNEL_MS
        )
        wait_for_kernel(lab, notebook)
        idle = page.locator(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status=idle]")
        expect(idle).to_have_count(1, timeout=KERNEL_MS)
        run_all_cells(page)
        page.wait_for_function(ALL_CELLS_RAN_JS, timeout=KERNEL_MS)
        cell = page.locator(".jp-CodeCell").filter(has_text=source)
        widget = cell.locator(f".jp-OutputArea-output {selector}")
        cell.scroll_into_view_if_needed()
        if not is_drawn(widget):
            pytest.fail(
                f"{notebook} ran, but its {name} is not drawn as a widget; the cell shows "
                f"{cell.locator('.jp-OutputArea').inner_text()!r}. Is the ipywidgets "
                "JupyterLab extension (the jupyterlab_widgets package) installed?",
                pytrace=False,
            )
    return widget


def page_fixture(name: str, notebook: str):
    """A module-scoped fixture ``name``: a page of its own for ``notebook``, blank until a
    fixture opens the notebook in it."""

    def fixture(browser, js_errors):
        return new_page(browser, js_errors)

    fixture.__doc__ = f"The page of {notebook}."
    return pytest.fixture(scope="module", name=name)(fixture)


page = page_fixture("page", "notebook 04")
korean_page = page_fixture("korean_page", "notebook 04's Korean twin")
editor_page = page_fixture("editor_page", "notebook 03")
inspector_page = page_fixture("inspector_page", "notebook 06")


@pytest.fixture(scope="module")
def runner(page, jupyterlab):
    """Notebook 04 opened and run in full; the locator of its execution runner widget."""
    widget = open_and_run(page, jupyterlab, NOTEBOOK, *RUNNER)
    return widget.filter(has=page.get_by_role("button", name="Start execution"))


@pytest.fixture(scope="module")
def korean_runner(korean_page, jupyterlab):
    """The Korean twin of notebook 04 opened and run in full; its execution runner."""
    widget = open_and_run(korean_page, jupyterlab, KOREAN_NOTEBOOK, *RUNNER)
    return widget.filter(has=korean_page.get_by_role("button", name="실행 시작"))


@pytest.fixture(scope="module")
def editor(editor_page, jupyterlab):
    """Notebook 03 opened and run in full; the locator of its ASL editor widget."""
    return open_and_run(editor_page, jupyterlab, EDITOR_NOTEBOOK, *EDITOR)


@pytest.fixture(scope="module")
def inspector(inspector_page, jupyterlab):
    """Notebook 06 opened and run in full; the locator of its data-flow inspector widget."""
    return open_and_run(inspector_page, jupyterlab, INSPECTOR_NOTEBOOK, *INSPECTOR)


def is_drawn(widget) -> bool:
    """Whether `widget` becomes visible: a widget view, not the text shown without one."""
    try:
        expect(widget).to_be_visible(timeout=UI_MS)
    except AssertionError:
        return False
    return True


def menu(page, menu_name: str, item: str) -> None:
    """Choose `item` from JupyterLab's `menu_name` menu, as a learner would."""
    page.locator(".lm-MenuBar-item").get_by_text(menu_name, exact=True).click()
    page.get_by_role("menuitem", name=item, exact=True).click()


def run_all_cells(page) -> None:
    """Clear the stored outputs (and their numbers), then Run All Cells."""
    menu(page, "Edit", "Clear Outputs of All Cells")
    prompts = page.locator(".jp-CodeCell .jp-InputPrompt")
    expect(prompts.filter(has_text="]:").filter(has_not_text="[ ]")).to_have_count(0)
    menu(page, "Run", "Run All Cells")


@contextlib.contextmanager
def screenshot_on_failure(page, name: str, runner=None):
    """On an exception, keep the page (and the runner) as test-artifacts/browser/NAME-*.png.

    Best effort: a screenshot that cannot be taken never hides the exception itself.
    """
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            page.screenshot(path=ARTIFACTS / f"{name}-failed-page.png", timeout=UI_MS)
            if runner is not None:
                runner.screenshot(path=ARTIFACTS / f"{name}-failed.png", timeout=UI_MS)
        raise


@contextlib.contextmanager
def end_state(page, runner, name: str):
    """Keep a screenshot of the runner at the end of the block: NAME.png, or NAME-failed*.png."""
    with screenshot_on_failure(page, name, runner):
        yield
    runner.screenshot(path=ARTIFACTS / f"{name}.png")


def parts(runner, button="Start execution"):
    """The runner's input box, start button, status line, graph and result, as locators."""
    return (
        runner.locator(".widget-textarea:not(.asl-editor) textarea"),
        runner.get_by_role("button", name=button),
        runner.locator(".runner-status"),
        runner.locator(".runner-graph"),
        runner.locator(".runner-result"),
    )


def settle(lab: Lab, notebook: str) -> None:
    """Wait until the kernel has handled what the page sent (a typed value), so that a click
    that follows is not handled before it (the kernel would run the previous input)."""
    wait_for_kernel(lab, notebook, timeout_ms=EXECUTION_MS)


def wait_for_node_fill(page, graph_view, state: str, fill: str) -> None:
    """Wait until the graph's node for `state` is filled with colour `fill`."""
    handle = graph_view.element_handle()
    page.wait_for_function(
        f"(args) => ({NODE_FILL_JS})(args) === {fill!r}", arg=[handle, state], timeout=EXECUTION_MS
    )


def wait_for_node(page, graph_view, state: str) -> None:
    """Wait until the graph has a node for `state` (drawn in any colour)."""
    handle = graph_view.element_handle()
    page.wait_for_function(
        f"(args) => ({NODE_FILL_JS})(args) !== null", arg=[handle, state], timeout=UI_MS
    )


def test_purchase_lights_up_process_purchase(page, runner):
    """PURCHASE, Start: ProcessPurchase turns green and its function's message shows."""
    with end_state(page, runner, "01-purchase"):
        input_box, start, status, graph_view, result = parts(runner)
        runner.locator(".widget-dropdown select").select_option("PURCHASE")
        expect(input_box).to_have_value('{"TransactionType": "PURCHASE"}', timeout=UI_MS)
        start.click()
        expect(status).to_have_text(
            "SUCCEEDED: ProcessTransaction -> ProcessPurchase", timeout=EXECUTION_MS
        )
        wait_for_node_fill(page, graph_view, "ProcessPurchase", SUCCEEDED_FILL)
        expect(result).to_contain_text(
            "Hello from lambda land inside the ProcessPurchase function", timeout=UI_MS
        )


def test_input_matching_no_rule_fails_on_the_choice_state(page, runner, jupyterlab):
    """An input no rule matches: the Choice state turns red, the status names the error."""
    with end_state(page, runner, "02-no-choice-matched"):
        input_box, start, status, graph_view, result = parts(runner)
        runner.locator(".widget-dropdown select").select_option("(edit the JSON below)")
        input_box.fill('{"TransactionType": "EXCHANGE"}')
        settle(jupyterlab, NOTEBOOK)
        start.click()
        expect(status).to_have_text("FAILED: States.NoChoiceMatched", timeout=EXECUTION_MS)
        wait_for_node_fill(page, graph_view, "ProcessTransaction", FAILED_FILL)
        expect(result).to_contain_text("Cause: No Choice Rule matched", timeout=UI_MS)


def test_invalid_json_is_explained_without_a_traceback(page, runner, jupyterlab):
    """Input that is not JSON: a clear message in the form, no traceback in any cell."""
    with end_state(page, runner, "03-invalid-json"):
        input_box, start, status, _graph_view, _result = parts(runner)
        input_box.fill("{TransactionType: PURCHASE}")
        settle(jupyterlab, NOTEBOOK)
        start.click()
        expect(status).to_contain_text("The input is not valid JSON", timeout=EXECUTION_MS)
        expect(status).to_contain_text("line 1, column 2")
        expect(input_box).to_have_value("{TransactionType: PURCHASE}")  # nothing lost
        notebook = page.locator(".jp-NotebookPanel .jp-Notebook")
        assert "Traceback" not in notebook.inner_text()
        errors = notebook.locator('.jp-OutputArea-output[data-mime-type*="stderr"]')
        assert errors.count() == 0, errors.all_inner_texts()


def test_the_korean_twin_s_runner_speaks_korean(korean_page, korean_runner, jupyterlab):
    """In notebooks/ko/04_executions.ipynb the same runner runs the same machine, and says
    what happened in Korean (AWS's own words, such as the status, stay as they are)."""
    with end_state(korean_page, korean_runner, "04-korean"):
        input_box, start, status, graph_view, result = parts(korean_runner, button="실행 시작")
        korean_runner.locator(".widget-dropdown select").select_option("REFUND")
        expect(input_box).to_have_value('{"TransactionType": "REFUND"}', timeout=UI_MS)
        settle(jupyterlab, KOREAN_NOTEBOOK)
        start.click()
        expect(status).to_have_text(
            "SUCCEEDED: ProcessTransaction -> ProcessRefund", timeout=EXECUTION_MS
        )
        wait_for_node_fill(korean_page, graph_view, "ProcessRefund", SUCCEEDED_FILL)
        expect(result).to_contain_text("Hello from Refund Processor!", timeout=UI_MS)

        input_box.fill("{TransactionType: PURCHASE}")
        settle(jupyterlab, KOREAN_NOTEBOOK)
        start.click()
        expect(status).to_contain_text("입력이(가) 올바른 JSON이 아닙니다", timeout=EXECUTION_MS)
        expect(status).to_contain_text("아무것도 시작하지 않았습니다")
        notebook = korean_page.locator(".jp-NotebookPanel .jp-Notebook")
        assert "대상: local" in notebook.inner_text()  # connect()'s banner, in Korean


def test_editor_lists_a_missing_next_target_redraws_when_fixed_and_runs(
    editor_page, editor, jupyterlab
):
    """In notebook 03's editor: a `Next` naming a missing state shows MISSING_TRANSITION_TARGET
    (typed, not validated by a button); renaming the state to match redraws the graph; Run
    deploys it and colours the path."""
    page = editor_page
    with end_state(page, editor, "05-editor"):
        text_area = editor.locator(".asl-editor textarea")
        diagnostics = editor.locator(".asl-diagnostics")
        input_box, run, status, graph_view, result = parts(editor, button="Run")
        expect(diagnostics).to_contain_text("Valid", timeout=UI_MS)
        definition = json.loads(text_area.input_value())
        definition["States"]["ProcessTransaction"]["Choices"][1]["Next"] = "ProcessRefunds"
        text_area.fill(json.dumps(definition, indent=2))
        expect(diagnostics).to_contain_text("MISSING_TRANSITION_TARGET", timeout=UI_MS)
        expect(diagnostics).to_contain_text("/States/ProcessTransaction/Choices[1]/Next")
        page.screenshot(path=ARTIFACTS / "05-editor-missing-target.png")

        definition["States"]["ProcessRefunds"] = definition["States"].pop("ProcessRefund")
        text_area.fill(json.dumps(definition, indent=2))
        expect(diagnostics).to_contain_text("Valid", timeout=UI_MS)
        wait_for_node(page, graph_view, "ProcessRefunds")

        editor.locator(".widget-dropdown select").select_option("REFUND")
        expect(input_box).to_have_value('{"TransactionType": "REFUND"}', timeout=UI_MS)
        settle(jupyterlab, EDITOR_NOTEBOOK)
        run.click()
        expect(status).to_have_text(
            "SUCCEEDED: ProcessTransaction -> ProcessRefunds", timeout=EXECUTION_MS
        )
        wait_for_node_fill(page, graph_view, "ProcessRefunds", SUCCEEDED_FILL)
        expect(result).to_contain_text("Hello from Refund Processor!", timeout=UI_MS)


def test_inspector_shows_what_a_result_path_change_does(inspector_page, inspector, jupyterlab):
    """In notebook 06's inspector: `"ResultPath": "$"` instead of `"$.tracking"` changes the
    stage after ResultPath from adding `tracking` to replacing the input with the result."""
    page = inspector_page
    with end_state(page, inspector, "06-inspector"):
        state_box = inspector.locator(".inspector-state textarea")
        status = inspector.locator(".inspector-status")
        after_result_path = inspector.locator("tr[data-stage=afterResultPath]")
        expect(after_result_path).to_contain_text("added tracking", timeout=UI_MS)
        state = json.loads(state_box.input_value())
        state["ResultPath"] = "$"
        state_box.fill(json.dumps(state, indent=2))
        settle(jupyterlab, INSPECTOR_NOTEBOOK)
        inspector.get_by_role("button", name="Test state").click()
        expect(after_result_path).to_contain_text(
            "added status; removed order, request", timeout=EXECUTION_MS
        )
        expect(after_result_path).to_contain_text('"ResultPath": "$"')
        expect(status).to_have_text("SUCCEEDED: the next state is KeepTracking")


@pytest.mark.parametrize("which", ["page", "korean_page", "editor_page", "inspector_page"])
def test_widget_callbacks_logged_no_error(request, which):
    """A widget callback's exception shows in no cell: JupyterLab sends it to the log console."""
    page = request.getfixturevalue(which)
    if page.url == "about:blank":
        pytest.skip(f"the {which} was not opened: its test did not run")
    menu(page, "View", "Show Log Console")
    log_console = page.locator(".jp-LogConsolePanel")
    expect(log_console).to_be_visible(timeout=UI_MS)
    page.screenshot(path=ARTIFACTS / f"07-log-console-{which}.png")
    errors = log_console.locator('[data-log-level="error"]')
    assert errors.count() == 0 and "Traceback" not in log_console.inner_text(), (
        log_console.inner_text()
    )


def test_no_javascript_errors(js_errors):
    """Nothing above raised an uncaught JavaScript error in any page."""
    assert js_errors == []


# ---------------------------------------------------------------- notebook 10's approval form
# A small notebook, written next to the copied ones, starts an execution that waits in a
# callback Task and shows helpers.approval_form; the test clicks Approve in the browser, as an
# approver would, and asks Step Functions how the execution ended.

APPROVAL_NOTEBOOK = "browser_approval.ipynb"
APPROVAL_CELLS = [
    "import json\n\nimport boto3\n\nimport helpers\n\ntarget = helpers.connect()",
    "queue_url, queue_arn = helpers.integrations.ensure_queue('sfn-tutorial-browser-approvals')\n"
    "policy = {'Version': '2012-10-17', 'Statement': [\n"
    "    {'Effect': 'Allow', 'Action': 'sqs:SendMessage', 'Resource': queue_arn}]}\n"
    "role_arn = helpers.ensure_service_role(\n"
    "    'browser-approval-role', 'states.amazonaws.com', policy)\n"
    "definition = {'StartAt': 'Ask', 'States': {'Ask': {\n"
    "    'Type': 'Task', 'Resource': 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',\n"
    "    'Parameters': {'QueueUrl': queue_url,\n"
    "                   'MessageBody': {'TaskToken.$': '$$.Task.Token', 'Purchase.$': '$'}},\n"
    "    'HeartbeatSeconds': 300, 'End': True}}}\n"
    "machine_arn = helpers.deploy_state_machine('BrowserApproval', definition, role_arn)",
    "purchase = {'PurchaseId': 'p-2001', 'Item': 'laptop', 'Amount': 1890000}\n"
    "waiting = boto3.client('stepfunctions').start_execution(\n"
    "    stateMachineArn=machine_arn, input=json.dumps(purchase))['executionArn']\n"
    "print('WAITING ' + waiting)",
    "helpers.approval_form(queue_url)",
]


def write_approval_notebook(jupyterlab) -> None:
    """The small notebook above, saved through JupyterLab's contents API (into its copy of
    notebooks/, where helpers.py is importable)."""
    import nbformat

    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in APPROVAL_CELLS]
    )
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    body = json.dumps({"type": "notebook", "format": "json", "content": notebook}).encode()
    request = urllib.request.Request(
        f"{jupyterlab.url}/api/contents/{APPROVAL_NOTEBOOK}?token={jupyterlab.token}",
        data=body,
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status in (200, 201)


def wait_for_notebook_kernel(lab: Lab, name: str) -> None:
    """Return once notebook `name`'s own kernel is started, idle and connected to the page (an
    earlier notebook's kernel, still running, would satisfy `wait_for_kernel`)."""
    deadline = time.monotonic() + KERNEL_MS / 1000
    sessions: list = []
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{lab.url}/api/sessions?token={lab.token}", timeout=5) as r:
            sessions = json.load(r)
        kernels = [s["kernel"] for s in sessions if s.get("path", "").endswith(name)]
        if any(k["execution_state"] == "idle" and k["connections"] > 0 for k in kernels):
            return
        time.sleep(0.25)
    pytest.fail(f"The kernel of {name} did not start in {KERNEL_MS // 1000} s: {sessions}")


@pytest.fixture(scope="module")
def approval_page(page, jupyterlab):
    """A second browser tab with a JupyterLab workspace of its own, holding only the small
    notebook (in the first tab's workspace notebook 04's cells would count too)."""
    write_approval_notebook(jupyterlab)
    second = page.context.new_page()
    url = f"{jupyterlab.url}/lab/workspaces/approval/tree/{APPROVAL_NOTEBOOK}"
    second.goto(f"{url}?token={jupyterlab.token}", timeout=KERNEL_MS)
    yield second
    second.close()


@pytest.fixture(scope="module")
def approval_form(approval_page, jupyterlab):
    """The small notebook run in full: ``(form locator, ARN of the waiting execution)``."""
    page = approval_page
    with screenshot_on_failure(page, "10-approval-notebook"):
        expect(page.locator(".jp-NotebookPanel .jp-CodeCell").first).to_be_visible(
            timeout=KERNEL_MS
        )
        wait_for_notebook_kernel(jupyterlab, APPROVAL_NOTEBOOK)
        shown = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        idle = shown.locator(".jp-Notebook-ExecutionIndicator[data-status=idle]")
        expect(idle).to_have_count(1, timeout=KERNEL_MS)
        run_all_cells(page)
        page.wait_for_function(ALL_CELLS_RAN_JS, timeout=KERNEL_MS)
        started = page.locator(".jp-CodeCell").filter(has_text="start_execution")
        text = started.locator(".jp-OutputArea").inner_text()
        waiting = next(word for word in text.split() if word.startswith("arn:aws:states:"))
        cell = page.locator(".jp-CodeCell").filter(has_text="helpers.approval_form")
        form = cell.locator(".jp-OutputArea-output .widget-vbox").filter(
            has=page.get_by_role("button", name="Approve")
        )
        cell.scroll_into_view_if_needed()
        if not is_drawn(form):
            pytest.fail(
                "The approval form is not drawn as a widget; the cell shows "
                f"{cell.locator('.jp-OutputArea').inner_text()!r}.",
                pytrace=False,
            )
    return form, waiting


def test_approve_in_the_form_makes_the_waiting_execution_succeed(approval_page, approval_form):
    """The form shows the waiting purchase; Approve answers it, and the execution succeeds."""
    import boto3

    from sfn_tutorial import executions

    form, waiting = approval_form
    with end_state(approval_page, form, "10-approved"):
        expect(form).to_contain_text("p-2001", timeout=UI_MS)
        expect(form).to_contain_text("Waiting for your decision.", timeout=UI_MS)
        assert (
            boto3.client("stepfunctions").describe_execution(executionArn=waiting)["status"]
            == "RUNNING"
        )
        form.get_by_role("button", name="Approve").click()
        expect(form).to_contain_text("Approved purchase p-2001.", timeout=EXECUTION_MS)
        expect(form.get_by_role("button", name="Approve")).to_be_disabled(timeout=UI_MS)
        description = executions.wait_for_execution(waiting, timeout_s=EXECUTION_MS / 1000)
        assert description["status"] == "SUCCEEDED"
        assert json.loads(description["output"]) == {"approved": True, "approver": "you"}
