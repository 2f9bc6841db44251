"""The data-flow inspector: run one state with ``TestState`` and show each stage of its data.

A learner edits a state's JSON and an input and presses *Test state*. The widget calls the
real ``TestState`` API (``inspectionLevel`` DEBUG) on the current target and shows, in the
order Step Functions applies them, the data after each processing step the answer reports:
the input, after ``InputPath``, after ``Parameters`` (JSONata: after ``Arguments``), the
result, after ``ResultSelector``, after ``ResultPath``, the output and any variables. A stage
that changed the data is highlighted, with what it added, removed or changed; then the next
state, or the error and its cause, in AWS's words.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

import boto3
import ipywidgets as widgets

from sfn_tutorial.i18n import t
from sfn_tutorial.resources import retry_while_iam_propagates
from sfn_tutorial.tables import Table
from sfn_tutorial.widgets import (
    AWS_ERRORS,
    BLUE,
    GREEN,
    RED,
    aws_error_text,
    not_json_message,
    plain,
    status_html,
)

MISSING = object()  # a stage the answer does not report

# (inspectionData key, label (English; shown through i18n.t), the state field that makes this step
# (the first of them the state has), the stages it is compared with)
# The comparison is with the data the step starts from: ResultPath puts the result into the
# state's *input*, so "after ResultPath" is compared with the input, not with the result.
STAGES = (
    ("input", "Input", None, ()),
    ("afterInputPath", "After InputPath", "InputPath", ("input",)),
    ("afterParameters", "After Parameters", "Parameters", ("afterInputPath", "input")),
    ("afterArguments", "After Arguments", "Arguments", ("input",)),
    ("afterItemsPath", "After ItemsPath", "ItemsPath", ("afterInputPath", "input")),
    ("afterItemsPointer", "After ItemsPointer", "ItemsPointer", ("afterInputPath", "input")),
    ("afterItemSelector", "After ItemSelector", "ItemSelector", ()),
    ("afterItemBatcher", "After ItemBatcher", "ItemBatcher", ()),
    ("result", "Result", ("Result", "Resource"), ()),
    (
        "afterResultSelector",
        "After ResultSelector",
        "ResultSelector",
        ("result", "afterParameters", "afterInputPath", "input"),
    ),
    ("afterResultPath", "After ResultPath", "ResultPath", ("input",)),
    ("output", "Output", "OutputPath", ("afterResultPath", "afterInputPath", "input")),
    ("variables", "Variables", "Assign", ()),
)
CHANGED_BACKGROUND = "#fff3cd"


@dataclass(frozen=True)
class Stage:
    """One step of a state's data flow: its name, the data after it, and what it changed."""

    key: str
    label: str
    field: str | None  # the state's field behind this step, with its value, or None
    value: object
    change: str  # "", "unchanged", "new", "replaced", or "added a; removed b; changed c"
    # (in the notebook's language: ``changed`` compares with ``unchanged`` said so)
    changed_keys: frozenset = frozenset()

    @property
    def changed(self) -> bool:
        """Whether this step changed the data it started from (the input is where it starts)."""
        return self.change not in ("", t("unchanged"))


def parse_json(text: str) -> object:
    """JSON text from ``TestState`` as Python (its data fields are JSON text)."""
    try:
        return json.loads(text)
    except (TypeError, json.JSONDecodeError):
        return text


def describe_change(before: object, after: object) -> tuple[str, frozenset]:
    """How ``after`` differs from ``before``, in a few words (in the notebook's language), and
    the top-level keys that did."""
    if before is MISSING:
        return t("new"), frozenset()
    if before == after:
        return t("unchanged"), frozenset()
    if not (isinstance(before, dict) and isinstance(after, dict)):
        return t("replaced"), frozenset()
    added = [key for key in after if key not in before]
    removed = [key for key in before if key not in after]
    changed = [key for key in after if key in before and after[key] != before[key]]
    parts = []
    if added:
        parts.append(t("added {keys}", keys=", ".join(added)))
    if removed:
        parts.append(t("removed {keys}", keys=", ".join(removed)))
    if changed:
        parts.append(t("changed {keys}", keys=", ".join(changed)))
    return "; ".join(parts), frozenset(added + changed)


def stages(state: dict, response: dict) -> list[Stage]:
    """The stages a ``TestState`` answer reports, in data-flow order, each with its change."""
    reported = {key: parse_json(value) for key, value in response.get("inspectionData", {}).items()}
    if "output" in response:
        reported["output"] = parse_json(response["output"])
    jsonata = state.get("QueryLanguage") == "JSONata"
    found = []
    for key, label, field, compared_with in STAGES:
        if key not in reported:
            continue
        field = "Output" if (key == "output" and jsonata) else field
        field = next((name for name in _names(field) if name in state), None)
        before = next((reported[k] for k in compared_with if k in reported), MISSING)
        change, keys = describe_change(before, reported[key]) if compared_with else (t("new"), ())
        if key == "input":
            change = ""
        shown_field = f'"{field}": {json.dumps(state[field])}' if field else None
        found.append(Stage(key, t(label), shown_field, reported[key], change, frozenset(keys)))
    return found


def _names(field) -> tuple:
    return field if isinstance(field, tuple) else (field,)


def outcome(response: dict) -> tuple[str, str]:
    """What happened, in one line with AWS's own error and cause, and its colour."""
    status = response.get("status", "")
    next_state = response.get("nextState")
    error = f"{response.get('error', '')}: {response.get('cause', '')}".strip(": ")
    details = parse_json(response.get("inspectionData", {}).get("errorDetails", "{}"))
    details = details if isinstance(details, dict) else {}
    if status == "SUCCEEDED":
        if next_state:
            return t("SUCCEEDED: the next state is {state}", state=next_state), GREEN
        return t("SUCCEEDED: the execution would end here"), GREEN
    if status == "CAUGHT_ERROR":
        if "catchIndex" in details:
            return t(
                "CAUGHT_ERROR: {error}; caught by Catch #{index}, the next state is {state}",
                error=error,
                index=details["catchIndex"],
                state=next_state,
            ), BLUE
        return t(
            "CAUGHT_ERROR: {error}; caught, the next state is {state}",
            error=error,
            state=next_state,
        ), BLUE
    if status == "RETRIABLE":
        wait = details.get("retryBackoffIntervalSeconds")
        index = details.get("retryIndex", 0)
        if wait is not None:
            return t(
                "RETRIABLE: {error}; Retry #{index} would retry after {wait} s",
                error=error,
                index=index,
                wait=wait,
            ), BLUE
        return t("RETRIABLE: {error}; Retry #{index} would retry", error=error, index=index), BLUE
    return f"{status}: {error}", RED


def _json_lines(value: object, highlighted: frozenset) -> str:
    """Pretty JSON as HTML, with the top-level keys in ``highlighted`` marked."""
    if not (isinstance(value, dict) and value and highlighted):
        return html.escape(json.dumps(value, indent=2, ensure_ascii=False))
    members = []
    for key, item in value.items():
        text = f"  {json.dumps(key)}: " + json.dumps(item, indent=2, ensure_ascii=False).replace(
            "\n", "\n  "
        )
        escaped = html.escape(text)
        if key in highlighted:
            escaped = f"<mark style='background:{CHANGED_BACKGROUND}'>{escaped}</mark>"
        members.append(escaped)
    return "{\n" + ",\n".join(members) + "\n}"


def stages_html(found: list[Stage]) -> str:
    """The stages as an HTML table; steps that changed the data have a yellow background."""
    rows = []
    for stage in found:
        background = f" style='background:{CHANGED_BACKGROUND}'" if stage.changed else ""
        field = f"<br><code>{html.escape(stage.field)}</code>" if stage.field else ""
        rows.append(
            f"<tr{background} class='stage' data-stage='{stage.key}'>"
            f"<td style='text-align:left;vertical-align:top'><b>{stage.label}</b>{field}</td>"
            f"<td style='text-align:left;vertical-align:top'><pre style='margin:0'>"
            f"{_json_lines(stage.value, stage.changed_keys)}</pre></td>"
            f"<td style='text-align:left;vertical-align:top' class='change'>"
            f"{html.escape(stage.change)}</td></tr>"
        )
    head = "".join(f"<th>{html.escape(c)}</th>" for c in (t("Stage"), t("Data"), t("What changed")))
    head = f"<tr>{head}</tr>"
    body = "".join(rows)
    return f"<table class='data-flow-stages'><thead>{head}</thead><tbody>{body}</tbody></table>"


class DataFlowInspector(widgets.VBox):
    """Edit a state and an input, press *Test state*, read each stage of the data flow.

    ``DataFlowInspector(state, input, role_arn)`` is a widget: make it the last line of a cell.
    ``state`` is one state (a dict or JSON text), ``role_arn`` the role ``TestState`` runs a
    Task state as. What it shows is kept on the object (``message``, ``stages``,
    ``response``), so tests drive it with ``test_button.click()``; ``stages_table()`` is the
    same as text.
    """

    def __init__(self, state, state_input=None, role_arn: str | None = None):
        self.role_arn = role_arn
        self.response: dict | None = None
        self.stages: list[Stage] = []
        text = state if isinstance(state, str) else json.dumps(state, indent=2)
        box = widgets.Layout(width="30em", height="16em")
        self.state_box = widgets.Textarea(value=text, description=t("State"), layout=box)
        self.state_box.add_class("inspector-state")
        self.input_box = widgets.Textarea(
            value=json.dumps({} if state_input is None else state_input, indent=2),
            description=t("Input"),
            layout=box,
        )
        self.test_button = widgets.Button(description=t("Test state"), button_style="primary")
        self.status = widgets.HTML().add_class("inspector-status")
        self.stages_view = widgets.HTML().add_class("inspector-stages")
        self.test_button.on_click(lambda _button: self.test())
        super().__init__(
            [
                widgets.HBox([self.state_box, self.input_box]),
                self.test_button,
                self.status,
                self.stages_view,
            ]
        )
        self.add_class("data-flow-inspector")

    def __repr__(self) -> str:
        # short and stable: the default repr lists every child widget and its value
        try:
            kind = json.loads(self.state_box.value).get("Type", "untyped")
        except (json.JSONDecodeError, AttributeError):
            kind = "unreadable"
        return f"DataFlowInspector({kind} state)"

    @property
    def message(self) -> str:
        """The status line, as plain text."""
        return plain(self.status.value)

    def _say(self, text: str, colour: str) -> None:
        self.status.value = status_html(text, colour)

    def _refuse(self, text: str) -> None:
        self.response, self.stages = None, []
        self.stages_view.value = ""  # an earlier answer would read as this one's
        self._say(text, RED)

    def _parsed(self, box: widgets.Textarea, what: str) -> tuple[bool, object]:
        try:
            return True, json.loads(box.value)
        except json.JSONDecodeError as error:
            self._refuse(
                not_json_message(what, error) + " " + t("Fix it and press Test state again.")
            )
            return False, None

    def test(self) -> dict | None:
        """Run the state on the input with ``TestState`` (DEBUG) and show what it answers."""
        ok, state = self._parsed(self.state_box, t("The state"))
        if not ok:
            return None
        ok, state_input = self._parsed(self.input_box, t("The input"))
        if not ok:
            return None
        if not isinstance(state, dict):
            self._refuse(t('The state must be a JSON object, such as {{"Type": "Pass"}}.'))
            return None
        request = {
            "definition": json.dumps(state),
            "input": json.dumps(state_input),
            "inspectionLevel": "DEBUG",
        }
        if self.role_arn:
            request["roleArn"] = self.role_arn
        self._say(t("Testing ..."), BLUE)
        try:
            # on AWS a role made a moment ago is not usable at once: TestState is asked again
            response = retry_while_iam_propagates(
                boto3.client("stepfunctions").test_state,
                progress=lambda message: self._say(message.strip(), BLUE),
                **request,
            )
        except AWS_ERRORS as error:
            self._refuse(
                t("Step Functions refused the state: {error}", error=aws_error_text(error))
            )
            return None
        self.response = response
        self.stages = stages(state, response)
        self.stages_view.value = stages_html(self.stages)
        self._say(*outcome(response))
        return response

    def stages_table(self) -> Table:
        """The last answer's stages as a text table: stage, data (compact JSON), what changed."""
        rows = [
            [stage.label, json.dumps(stage.value, ensure_ascii=False), stage.change]
            for stage in self.stages
        ]
        return Table([t("Stage"), t("Data"), t("What changed")], rows, self.message)
