"""The ASL editor: a definition validated as you type, drawn while valid, deployed and run.

Like the console's Workflow Studio, in a notebook: half a second after the last keystroke the
text is checked with the real ``ValidateStateMachineDefinition`` API and its diagnostics are
listed (severity, code, message, location); while the definition is valid the graph beside it
is redrawn. *Deploy* creates or updates the state machine (named and tagged as the tutorial's
other resources); *Run* deploys what you see if it changed, starts an execution with the input
below and lights up its path: the running and the drawing are notebook 04's execution runner's.
"""

from __future__ import annotations

import asyncio
import html
import json
import threading

import boto3
import ipywidgets as widgets

from sfn_tutorial import graph, resources
from sfn_tutorial.i18n import t
from sfn_tutorial.widgets import AWS_ERRORS, GREEN, RED, ExecutionRunner, aws_error_text

DEBOUNCE_S = 0.5


class Debouncer:
    """Call ``callback`` once, ``delay_s`` after the last of a burst of ``trigger()`` calls.

    In a kernel the wait is a timer on its event loop, so the callback runs in the kernel's
    own thread, between messages; with no running loop (a plain script, a test) it is a
    thread's timer.
    """

    def __init__(self, delay_s: float, callback):
        self.delay_s = delay_s
        self.callback = callback
        self._pending = None
        self._lock = threading.Lock()

    def trigger(self) -> None:
        """(Re)start the wait; an earlier wait that has not ended is cancelled."""
        with self._lock:
            if self._pending is not None:
                self._pending.cancel()
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self._pending = threading.Timer(self.delay_s, self._fire)
                self._pending.daemon = True
                self._pending.start()
            else:
                self._pending = loop.call_later(self.delay_s, self._fire)

    @property
    def pending(self) -> bool:
        """Whether a call is waiting to happen."""
        return self._pending is not None

    def _fire(self) -> None:
        with self._lock:
            self._pending = None
        self.callback()


def diagnostics_html(result: str, diagnostics: list[dict], truncated: bool = False) -> str:
    """``ValidateStateMachineDefinition``'s answer as a short list: one row per diagnostic."""
    if not diagnostics:
        return (
            f"<div class='asl-diagnostics' data-result='{result}' style='color:{GREEN}'>"
            f"{html.escape(t('✔ Valid: ValidateStateMachineDefinition found nothing to fix.'))}"
            "</div>"
        )
    rows = "".join(
        "<tr class='diagnostic'>"
        + "".join(
            f"<td style='text-align:left'>{html.escape(str(found.get(field) or ''))}</td>"
            for field in ("severity", "code", "message", "location")
        )
        + "</tr>"
        for found in diagnostics
    )
    colour = RED if result == "FAIL" else "#b9770e"
    more = ""
    if truncated:
        more = "<br>" + html.escape(t("(more diagnostics were cut off: fix these first)"))
    head = "".join(
        f"<th>{html.escape(column)}</th>"
        for column in (t("Severity"), t("Code"), t("Message"), t("Location"))
    )
    validation = html.escape(t("Validation: {result}", result=result))
    return (
        f"<div class='asl-diagnostics' data-result='{result}'>"
        f"<span style='color:{colour}'>{validation}</span>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{more}</div>"
    )


def _drawable(text: str) -> dict | None:
    try:
        return graph.load_definition(text)
    except graph.DefinitionError:
        return None


class AslEditor(ExecutionRunner):
    """Edit a state machine's definition with live validation and graph; deploy and run it.

    ``AslEditor(definition, "my-machine", role_arn)`` is a widget: make it the last line of a
    cell. The definition is shown as JSON in a text area (DOM class ``asl-editor``); the state
    machine is ``sfn-tutorial-my-machine``. Everything shown is also kept on the object
    (``diagnostics``, ``message``, ``graph_svg``, ``result``), so tests drive it by setting
    ``text_area.value`` and calling ``validate()`` or ``deploy_button.click()``.
    """

    start_word = "Run"

    def __init__(
        self,
        definition,
        name: str,
        role_arn: str,
        choices=(),
        field="TransactionType",
        machine_type: str = "STANDARD",
    ):
        text = definition if isinstance(definition, str) else json.dumps(definition, indent=2)
        self.name = resources.resource_name(name)
        self.role_arn = role_arn
        self.machine_type = machine_type
        self.diagnostics: list[dict] = []
        self.valid_text: str | None = None
        self.deployed_text: str | None = None
        self.text_area = widgets.Textarea(
            value=text,
            continuous_update=True,
            layout=widgets.Layout(width="50%", min_width="24em", height="30em"),
        )
        self.text_area.add_class("asl-editor")
        self.diagnostics_view = widgets.HTML().add_class("asl-diagnostics-view")
        self.deploy_button = widgets.Button(description=t("Deploy"))
        super().__init__(None, _drawable(text), choices, field)
        self.start_button.description = t(self.start_word)
        self.graph_view.layout = widgets.Layout(width="50%", overflow="auto")  # wide graphs scroll
        self.add_class("asl-editor-widget")
        self.children = [
            widgets.HBox([self.text_area, self.graph_view]),
            self.diagnostics_view,
            widgets.HBox([self.deploy_button, self.picker, self.start_button]),
            self.input_box,
            self.status,
            self.result,
        ]
        self.debouncer = Debouncer(DEBOUNCE_S, self.validate)
        self.deploy_button.on_click(lambda _button: self.deploy())
        self.text_area.observe(lambda _change: self.debouncer.trigger(), names="value")
        self.validate()

    def __repr__(self) -> str:
        # short and stable: the default repr lists every child widget, the SVG included
        return f"AslEditor({self.name})"

    def _show_graph(self, events: list[dict]) -> None:
        if self.definition is None:  # nothing valid typed yet
            self.graph_svg = self.graph_view.value = ""
        else:
            super()._show_graph(events)

    def validate(self) -> bool:
        """Validate the text now (``ValidateStateMachineDefinition``), list the diagnostics and,
        if it is valid, redraw the graph. Returns whether it is valid."""
        text = self.text_area.value
        if not text.strip():
            return self._cannot_validate(
                t('The text is empty: write a definition, such as {{"StartAt": ...}}.')
            )
        try:
            answer = boto3.client("stepfunctions").validate_state_machine_definition(
                definition=text, type=self.machine_type
            )
        except AWS_ERRORS as error:
            return self._cannot_validate(
                t("Validation could not run: {error}", error=aws_error_text(error))
            )
        if text != self.text_area.value:
            return False  # typed on meanwhile: the next validation will show the newer text
        self.diagnostics = answer["diagnostics"]
        self.diagnostics_view.value = diagnostics_html(
            answer["result"], answer["diagnostics"], answer.get("truncated", False)
        )
        if answer["result"] != "OK":
            self.valid_text = None
            return False
        try:
            self.definition = graph.load_definition(text)
            self._show_graph([])
        except graph.DefinitionError as problem:  # valid for AWS, but no picture can be drawn
            cannot = t("Cannot draw it: {problem}", problem=problem)
            self.diagnostics_view.value += f"<div style='color:{RED}'>{html.escape(cannot)}</div>"
        self.valid_text = text
        return True

    def _cannot_validate(self, text: str) -> bool:
        self.diagnostics, self.valid_text = [], None
        self.diagnostics_view.value = (
            f"<div class='asl-diagnostics' data-result='ERROR' style='color:{RED}'>"
            f"{html.escape(text)}</div>"
        )
        return False

    def _current_valid_text(self) -> str | None:
        """The text, once validated; ``None`` (after saying why) if it has errors."""
        if self.debouncer.pending or self.valid_text != self.text_area.value:
            self.validate()
        if self.valid_text != self.text_area.value:
            self.result.value = ""
            self._say(t("The definition has errors (listed above): fix them first."), RED)
            return None
        return self.valid_text

    def deploy(self) -> str | None:
        """Create (or update) the state machine with the definition in the text area.

        Returns its ARN, or ``None`` after saying why nothing was deployed."""
        text = self._current_valid_text()
        if text is None:
            return None
        try:
            arn = resources.ensure_state_machine(
                self.name, json.loads(text), self.role_arn, progress=lambda message: None
            )
        except AWS_ERRORS as error:
            self._say(t("Step Functions refused it: {error}", error=aws_error_text(error)), RED)
            return None
        self.state_machine_arn, self.deployed_text = arn, text
        self._say(t("Deployed {name}.", name=self.name), GREEN)
        return arn

    def start(self) -> dict | None:
        """Deploy the definition if it changed since the last deployment, then run it with the
        input below and follow the execution on the graph to its end."""
        if self.deployed_text is None or self.deployed_text != self.text_area.value:
            if self.deploy() is None:
                return None
        return super().start()
