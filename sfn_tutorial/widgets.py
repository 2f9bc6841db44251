"""The execution runner: pick or edit an input, press Start, watch the graph until the end.

Also the small pieces the tutorial's other widgets share with it (``inspector``'s data-flow
inspector, ``asl_editor``'s editor): a coloured status line, and JSON that is not JSON
explained in one sentence.
"""

from __future__ import annotations

import html
import json

import boto3
import botocore.exceptions
import ipywidgets as widgets

from sfn_tutorial import executions, graph
from sfn_tutorial.i18n import t

EDIT_YOUR_OWN = "(edit the JSON below)"  # the picker's last choice, in the notebook's language
GREEN, RED, BLUE, BLACK = "#1e8449", "#c0392b", "#2471a3", "black"


def status_html(text: str, colour: str = BLACK) -> str:
    """One line of text in a colour, for a widget's status line."""
    return f"<span style='color:{colour}'>{html.escape(text)}</span>"


def plain(markup: str) -> str:
    """The text of a one-element HTML snippet (a status line written by ``status_html``)."""
    return html.unescape(markup.split(">", 1)[-1].rsplit("<", 1)[0])


def not_json_message(what: str, error: json.JSONDecodeError) -> str:
    """``The input is not valid JSON: Expecting value at line 1, column 2.`` (``what`` is said
    in the notebook's language already; Python's own message stays as it is)."""
    return t(
        "{what} is not valid JSON: {message} at line {line}, column {column}.",
        what=what,
        message=error.msg,
        line=error.lineno,
        column=error.colno,
    )


AWS_ERRORS = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)


def aws_error_text(error: Exception) -> str:
    """An error from boto3 in one line: AWS's code and message, or what botocore said (a
    parameter it refused before sending, an endpoint it could not reach)."""
    if isinstance(error, botocore.exceptions.ClientError):
        found = error.response["Error"]
        return f"{found.get('Code', '')}: {found.get('Message', '')}"
    return str(error).replace("\n", " ")


class ExecutionRunner(widgets.VBox):
    """A small form that starts executions of one state machine and shows how they went.

    ``ExecutionRunner(arn, definition, choices=["PURCHASE", "REFUND"])`` is a widget: make it
    the last line of a cell to show it. Everything it shows is also kept on the object
    (``message``, ``result``, ``graph_svg``), so tests can drive it with ``start_button.click()``.
    """

    start_word = "Start"  # what messages call the start button (English; ``t`` translates it)

    def __init__(
        self, state_machine_arn: str, definition: dict, choices=(), field="TransactionType"
    ):
        self.state_machine_arn = state_machine_arn
        self.definition = definition
        self.field = field
        self.last_description: dict | None = None
        self.graph_svg = ""
        self.edit_your_own = t(EDIT_YOUR_OWN)
        self.picker = widgets.Dropdown(
            options=[*choices, self.edit_your_own],
            description=field,
            style={"description_width": "auto"},
        )
        self.input_box = widgets.Textarea(
            description=t("Input"), layout=widgets.Layout(width="32em", height="6em")
        )
        self.start_button = widgets.Button(description=t("Start execution"), button_style="primary")
        # the DOM classes name the parts for the browser test (and for styling)
        self.status = widgets.HTML().add_class("runner-status")
        self.result = widgets.HTML().add_class("runner-result")
        self.graph_view = widgets.HTML().add_class("runner-graph")
        self.picker.observe(self._on_pick, names="value")
        self.start_button.on_click(lambda _button: self.start())
        self._on_pick({"new": self.picker.value})
        self._show_graph([])
        super().__init__(
            [
                widgets.HBox([self.picker, self.start_button]),
                self.input_box,
                self.status,
                widgets.HBox([self.graph_view, self.result]),
            ]
        )

    def __repr__(self) -> str:
        # short and stable: the default repr lists every child widget, the SVG included
        return f"ExecutionRunner({self.state_machine_arn})"

    @property
    def message(self) -> str:
        """The status line, as plain text."""
        return plain(self.status.value)

    def _on_pick(self, change) -> None:
        if change["new"] != self.edit_your_own:
            self.input_box.value = json.dumps({self.field: change["new"]})

    def _say(self, text: str, colour: str = BLACK) -> None:
        self.status.value = status_html(text, colour)

    def _show_graph(self, events: list[dict]) -> None:
        self.graph_svg = graph.draw(self.definition, events or None).pipe(format="svg").decode()
        self.graph_view.value = self.graph_svg

    def parsed_input(self) -> dict | None:
        """The input box as JSON, or ``None`` after saying clearly what is wrong with it."""
        try:
            return json.loads(self.input_box.value)
        except json.JSONDecodeError as error:
            self.result.value = ""  # an earlier run's answer would read as this input's
            self._show_graph([])
            self._say(
                not_json_message(t("The input"), error)
                + " "
                + t(
                    "Fix it and press {button} again; nothing was started.",
                    button=t(self.start_word),
                ),
                RED,
            )
            return None

    def start(self) -> dict | None:
        """Start an execution with the current input and follow it to the end."""
        execution_input = self.parsed_input()
        if execution_input is None:
            return None
        self.result.value = ""
        sfn = boto3.client("stepfunctions")
        try:
            started = sfn.start_execution(
                stateMachineArn=self.state_machine_arn, input=json.dumps(execution_input)
            )
        except botocore.exceptions.ClientError as error:
            self._say(t("Step Functions refused to start: {error}", error=error), RED)
            return None
        arn = started["executionArn"]
        self._say(t("Running ..."), BLUE)
        description = executions.wait_for_execution(arn, on_poll=lambda d: self._on_poll(arn, d))
        self._finish(description, executions.execution_history(arn))
        return description

    def _on_poll(self, arn: str, description: dict) -> None:
        if description["status"] == "RUNNING":
            self._show_graph(executions.execution_history(arn))

    def _finish(self, description: dict, events: list[dict]) -> None:
        self.last_description = description
        self._show_graph(events)
        status = description["status"]
        if status == "SUCCEEDED":
            self._say(f"{status}: {' -> '.join(executions.states_entered(events))}", GREEN)
            body = executions.pretty_json(description.get("output"))
        else:
            self._say(f"{status}: {description.get('error', '')}", RED)
            body = "\n".join(
                [
                    t("Error: {error}", error=description.get("error", "")),
                    t("Cause: {cause}", cause=description.get("cause", "")),
                ]
            )
        self.result.value = f"<pre style='white-space:pre-wrap'>{html.escape(body)}</pre>"
