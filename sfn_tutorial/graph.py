"""Draw Amazon States Language state machines, and their executions, with graphviz.

``draw(definition)`` returns a ``graphviz.Digraph`` that looks like the Step Functions console's
graph: a Start and an End marker, one node per state whose shape tells its type, labelled edges
for Choice rules and Catchers, and Parallel branches and Map item processors drawn as nested boxes.
Give it an execution's history too, ``draw(definition, history)``, and each state is coloured by
what happened to it (as in the console), with the transitions taken drawn thicker.

A Jupyter cell whose last line is a ``Digraph`` shows it as SVG.

Node ids are paths, so that nested states with the same name stay apart: ``Check`` at the top
level, ``Fan out/b0/Check`` in the first branch of Parallel ``Fan out``, ``Each item/map/Check``
in the item processor of Map ``Each item`` (see ``node_id``).

The history is read the way the console reads it: every ``...StateEntered`` event starts a visit
of a state, and ``previousEventId`` links say which Parallel branch or Map iteration a visit
belongs to.
"""

from __future__ import annotations

import difflib
import functools
import html
import json
import textwrap
import urllib.parse
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import graphviz

__all__ = [
    "END",
    "START",
    "STATE_TYPES",
    "STATUS_COLOURS",
    "DefinitionError",
    "StateMachineGraph",
    "choice_rule_text",
    "draw",
    "load_definition",
    "node_id",
    "state_statuses",
    "transitions_taken",
]

STATE_TYPES = ("Task", "Choice", "Pass", "Wait", "Succeed", "Fail", "Parallel", "Map")

#: Markers ``transitions_taken`` uses for "the start of a (branch of a) state machine" and its end.
START = "(start)"
END = "(end)"

#: status -> (fill colour, border colour, legend text), as in the console.
STATUS_COLOURS = {
    "succeeded": ("#d7f0d2", "#1d8102", "Succeeded"),
    "failed": ("#fbd9d3", "#d13212", "Failed"),
    "in_progress": ("#d4e8f8", "#0073bb", "In progress"),
    "caught_error": ("#ffe2c2", "#ec7211", "Caught error"),
    "cancelled": ("#e1e4e8", "#687078", "Cancelled"),
    "not_reached": ("#ffffff", "#aab7b8", "Not reached"),
}

_INK = "#16191f"  # text and edges
_MUTED = "#545b64"  # second label lines, borders without a history
_FAINT = "#aab7b8"  # edges not taken
_FONT = "Helvetica,Arial,sans-serif"

_SHAPES = {
    "Task": {"shape": "box", "style": "rounded,filled"},
    "Pass": {"shape": "box", "style": "rounded,filled,dashed"},
    "Wait": {"shape": "box", "style": "filled,diagonals"},
    "Choice": {"shape": "diamond", "style": "filled"},
    "Succeed": {"shape": "box", "style": "rounded,filled", "peripheries": "2"},
    "Fail": {"shape": "octagon", "style": "filled"},
    "Parallel": {"shape": "box", "style": "filled,bold"},
    "Map": {"shape": "box3d", "style": "filled"},
}

_CONCENTRATE_FROM = 40  # states (at any depth) from which edges to a common state are merged
_LABEL_WIDTH = 40  # characters per line of an edge label
_LABEL_LINES = 3  # lines of an edge label before it is cut with "…"


class DefinitionError(ValueError):
    """The definition is not a state machine that could be drawn; the message says why."""


class StateMachineGraph(graphviz.Digraph):
    """The ``graphviz.Digraph`` ``draw`` returns; Jupyter shows it as SVG.

    If graphviz's ``dot`` program is missing or fails, the notebook shows one line saying so
    instead of a traceback.
    """

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except graphviz.ExecutableNotFound:
            problem = "graphviz's `dot` program is not installed (apt-get/brew install graphviz)"
        except graphviz.CalledProcessError as err:
            stderr = (err.stderr or b"").decode(errors="replace").strip().splitlines()
            problem = f"graphviz's `dot` failed: {stderr[-1] if stderr else err}"
        return {"text/plain": f"Cannot draw the state machine: {problem}."}


# ------------------------------------------------------------------ reading a definition


def load_definition(definition) -> dict:
    """Return ``definition`` (a dict, or JSON text) as a dict, or raise ``DefinitionError``.

    The checks are the structural ones a drawing needs, with messages a learner can act on:
    valid JSON, an object with ``StartAt`` and ``States``, every state with a known ``Type``,
    every ``Next``, ``Default`` and Catch ``Next`` naming a state of the same ``States`` block,
    every state either ending or going on, at every depth.
    """
    machine = _parse(definition)
    _check_machine(machine, "The definition", "")
    return machine


def _parse(definition):
    """JSON text (str or bytes) or a dict -> the parsed object, without checking its shape."""
    if isinstance(definition, (bytes, bytearray)):
        try:
            definition = definition.decode("utf-8")
        except UnicodeDecodeError as err:
            raise DefinitionError(f"The definition is not UTF-8 text: {err.reason}.") from None
    if isinstance(definition, dict):
        return definition
    if not isinstance(definition, str):
        kind = type(definition).__name__
        raise DefinitionError(f"The definition must be a dict or a JSON string (got {kind}).")
    try:
        return json.loads(definition)
    except json.JSONDecodeError as err:
        raise DefinitionError(
            f"The definition is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}."
        ) from None


def _check_machine(machine, what: str, where: str) -> None:
    """Check a state machine or branch: an object with ``StartAt`` naming one of its ``States``.

    ``what`` names it at the start of a sentence, ``where`` (e.g. ' in branch 2 of "P"') is
    appended to the names of its states in messages.
    """
    if not isinstance(machine, dict):
        raise DefinitionError(f"{what} must be a JSON object {{...}}, not {_kind(machine)}.")
    states = machine.get("States")
    if "States" not in machine:
        raise DefinitionError(f'{what} has no "States": add "States": {{...}} with its states.')
    if not isinstance(states, dict) or not states:
        raise DefinitionError(f'{what}: "States" must be an object with at least one state.')
    if "StartAt" not in machine:
        raise DefinitionError(f'{what} has no "StartAt": add "StartAt": "<first state\'s name>".')
    start = machine["StartAt"]
    if not isinstance(start, str) or start not in states:
        raise DefinitionError(
            f'{what}: "StartAt" names {_show(start)}, but there is no state called that'
            f"{_suggest(start, states)}."
        )
    for name, state in states.items():
        _check_state(name, state, states, where)


def _check_state(name: str, state, states: dict, where: str) -> None:
    """Check one state: its ``Type``, where it goes next, and any branches it holds."""
    me = f"State {_show(name)}{where}"
    if not isinstance(state, dict):
        hint = ""
        if name in ("QueryLanguage", "Comment", "TimeoutSeconds", "Version", "StartAt"):
            hint = f' ("{name}" belongs next to "StartAt", not inside "States")'
        raise DefinitionError(
            f'{me} must be an object like {{"Type": "Pass", ...}}, not {_kind(state)}{hint}.'
        )
    kind = state.get("Type")
    if "Type" not in state:
        raise DefinitionError(f'{me} has no "Type" (one of {", ".join(STATE_TYPES)}).')
    if kind not in STATE_TYPES:
        raise DefinitionError(
            f'{me} has an unknown "Type" {_show(kind)}{_suggest(kind, STATE_TYPES, True)}.'
        )
    _check_flow(me, kind, state, states)
    for what, (child_where, child) in _child_machines(name, state, where).items():
        _check_machine(child, what, child_where)


def _check_flow(me: str, kind: str, state: dict, states: dict) -> None:
    """Check ``Next``/``End``, Choice rules and ``Default``, and Catchers of one state."""
    for key in ("Next", "Default"):
        if key in state:
            _check_target(f'{me}: "{key}" names', state[key], states)
    if kind == "Choice":
        _check_choices(me, state.get("Choices"), states)
    elif kind not in ("Succeed", "Fail"):
        ends = state.get("End") is True
        if "Next" not in state and not ends:
            raise DefinitionError(f'{me} needs "Next": "<state name>" or "End": true.')
        if "Next" in state and ends:
            raise DefinitionError(f'{me} has both "Next" and "End": true; keep one of them.')
    catchers = state.get("Catch", [])
    if not isinstance(catchers, list):
        raise DefinitionError(f'{me}: "Catch" must be a list of catchers [{{...}}].')
    for number, catcher in enumerate(catchers, 1):
        if not isinstance(catcher, dict) or "Next" not in catcher:
            raise DefinitionError(f'{me}: catcher {number} in "Catch" needs a "Next".')
        _check_target(f'{me}: catcher {number} in "Catch" names', catcher["Next"], states)


def _check_choices(me: str, rules, states: dict) -> None:
    """A Choice state needs a non-empty list of rules, each with a ``Next``."""
    if not isinstance(rules, list) or not rules:
        raise DefinitionError(f'{me} needs "Choices": a list of rules, each with a "Next".')
    for number, rule in enumerate(rules, 1):
        if not isinstance(rule, dict) or "Next" not in rule:
            raise DefinitionError(f'{me}: rule {number} in "Choices" needs a "Next".')
        _check_target(f'{me}: rule {number} in "Choices" names', rule["Next"], states)


def _check_target(subject: str, target, states: dict) -> None:
    """``target`` must name a state of ``states`` (the same ``States`` block)."""
    if not isinstance(target, str) or target not in states:
        raise DefinitionError(
            f"{subject} {_show(target)}, but there is no state called that in the same "
            f'"States"{_suggest(target, states)}.'
        )


def _child_machines(name: str, state: dict, where: str) -> dict[str, tuple[str, object]]:
    """The branches of a Parallel or the item processor of a Map: description -> (where, it)."""
    if state["Type"] == "Parallel":
        branches = state.get("Branches")
        if not isinstance(branches, list) or not branches:
            raise DefinitionError(
                f'Parallel state {_show(name)}{where} needs "Branches": a list of state machines.'
            )
        children = {}
        for number, branch in enumerate(branches, 1):
            child_where = f" in branch {number} of {_show(name)}{where}"
            children[f"Branch {number} of Parallel state {_show(name)}{where}"] = (
                child_where,
                branch,
            )
        return children
    if state["Type"] == "Map":
        processor = _processor(state)
        if processor is None:
            raise DefinitionError(
                f'Map state {_show(name)}{where} needs an "ItemProcessor" (or the older '
                f'"Iterator") with "StartAt" and "States".'
            )
        return {
            f"The item processor of Map state {_show(name)}{where}": (
                f" in Map {_show(name)}{where}",
                processor,
            )
        }
    return {}


def _processor(state: dict):
    """A Map state's item processor: ``ItemProcessor``, or the older ``Iterator``."""
    return state.get("ItemProcessor", state.get("Iterator"))


def _show(value) -> str:
    """A value as it would appear in JSON, shortened, for an error message."""
    return _shorten(json.dumps(value, ensure_ascii=False, default=str), 60)


def _kind(value) -> str:
    """'a string "JSONata"', 'a list', ... for error messages."""
    names = {
        str: "a string",
        list: "a list",
        int: "a number",
        float: "a number",
        bool: "true/false",
    }
    if value is None:
        return "null"
    shown = f" {_show(value)}" if isinstance(value, (str, int, float)) else ""
    return names.get(type(value), type(value).__name__) + shown


def _suggest(word, choices: Iterable[str], always_list: bool = False) -> str:
    """' (did you mean "X"?)' for a close name, else a short list of the names there are."""
    choices = list(choices)
    close = difflib.get_close_matches(str(word), choices, n=1) if isinstance(word, str) else []
    if close:
        return f" (did you mean {_show(close[0])}?)"
    if always_list or len(choices) <= 8:
        return f" (there are: {', '.join(_show(c) for c in choices[:8])})"
    return ""


# ------------------------------------------------------------------ walking a definition


@functools.lru_cache(maxsize=4096)
def _encode(part: str) -> str:
    """One path part, %-encoded for use in a node id."""
    return urllib.parse.quote(part, safe=" _-.,()[]!?'+*&=@$~;")


def node_id(path: Sequence[str]) -> str:
    """The DOT node id of the state at ``path``.

    ``path`` is ``(name,)`` for a top-level state; a state in branch ``i`` of Parallel ``P`` is
    ``(P, f"b{i}", name)``, one in the item processor of Map ``M`` is ``(M, "map", name)``, and
    so on to any depth. Characters with a meaning in DOT (``:`` ``"`` ``\\`` ``/`` ``%``...) are
    %-encoded, so an id never needs escaping and never clashes with the ids of markers (which
    contain ``#``).
    """
    return "/".join(map(_encode, path))


def _start_id(scope: tuple) -> str:
    """Id of the start marker of the top level (``()``) or of a branch/item processor."""
    return f"{node_id(scope)}/#start" if scope else "#start"


def _exit_id(path: tuple) -> str:
    """Id of the small node Parallel or Map ``path`` is left from (its edges out start there)."""
    return f"{node_id(path)}/#exit"


def _end_id(scope: tuple) -> str:
    """Where the terminal states of ``scope`` go: End, or the exit of the enclosing state."""
    return _exit_id(scope[:-1]) if scope else "#end"


def _child_scopes(path: tuple, state: dict) -> list[tuple[tuple, dict]]:
    """(scope path, machine) of each branch of a Parallel / the processor of a Map."""
    if state["Type"] == "Parallel":
        return [((*path, f"b{i}"), branch) for i, branch in enumerate(state["Branches"])]
    if state["Type"] == "Map":
        return [((*path, "map"), _processor(state))]
    return []


@dataclass
class _Index:
    """Every state and every scope (top level, branch, item processor) of a definition."""

    states: dict = field(default_factory=dict)  # path -> state
    scopes: dict = field(default_factory=dict)  # scope path -> machine
    by_name: dict = field(default_factory=dict)  # name -> [paths]

    @classmethod
    def of(cls, machine: dict) -> _Index:
        """Index a checked definition."""
        index = cls()
        index._add(machine, ())
        return index

    def _add(self, machine: dict, scope: tuple) -> None:
        """Index the states of one scope, then the scopes nested in them."""
        self.scopes[scope] = machine
        for name, state in machine["States"].items():
            path = (*scope, name)
            self.states[path] = state
            self.by_name.setdefault(name, []).append(path)
            for child_scope, child in _child_scopes(path, state):
                self._add(child, child_scope)

    def is_container(self, path: tuple) -> bool:
        """Is the state at ``path`` a Parallel or a Map (edges leave from its exit node)?"""
        return self.states[path]["Type"] in ("Parallel", "Map")

    def out_id(self, path: tuple) -> str:
        """The node id edges leaving the state at ``path`` start from."""
        return _exit_id(path) if self.is_container(path) else node_id(path)

    def is_terminal(self, path: tuple) -> bool:
        """Does the state at ``path`` end its (branch of the) state machine?"""
        state = self.states[path]
        return state["Type"] in ("Succeed", "Fail") or state.get("End") is True


# ------------------------------------------------------------------ labels


def choice_rule_text(rule: dict) -> str:
    """A Choice rule as a readable condition: ``$.TransactionType == "PURCHASE"``.

    Covers every comparison operator (``...Path`` variants compare with another path), the
    ``Is...`` tests, ``And``/``Or``/``Not`` at any depth, and JSONata ``Condition`` strings
    (returned as they are).
    """
    if "Condition" in rule:
        return str(rule["Condition"])
    if "And" in rule or "Or" in rule:
        word = "and" if "And" in rule else "or"
        operands = rule.get("And", rule.get("Or"))
        if not isinstance(operands, list):
            return word
        return f" {word} ".join(_operand_text(operand) for operand in operands)
    if "Not" in rule:
        return f"not ({choice_rule_text(rule['Not']) if isinstance(rule['Not'], dict) else '?'})"
    return _comparison_text(rule)


def _operand_text(rule) -> str:
    """An operand of And/Or, in parentheses unless it is a ``not (...)`` already."""
    if not isinstance(rule, dict):
        return "(?)"
    text = choice_rule_text(rule)
    return text if "Not" in rule else f"({text})"


_OPERATORS = {
    "Equals": "==",
    "LessThan": "<",
    "GreaterThan": ">",
    "LessThanEquals": "<=",
    "GreaterThanEquals": ">=",
}
_TESTS = {
    "IsPresent": "present",
    "IsNull": "null",
    "IsBoolean": "a boolean",
    "IsNumeric": "a number",
    "IsString": "a string",
    "IsTimestamp": "a timestamp",
}


def _comparison_text(rule: dict) -> str:
    """``Variable`` compared with one operator: ``$.n >= 3``, ``$.s matches "a*"``..."""
    variable = str(rule.get("Variable", "?"))
    for key, value in rule.items():
        if key in _TESTS:
            negation = "" if value is True else "not "
            return f"{variable} is {negation}{_TESTS[key]}"
        if key == "StringMatches":
            return f"{variable} matches {json.dumps(value, ensure_ascii=False)}"
        for family in ("String", "Numeric", "Boolean", "Timestamp"):
            if key.startswith(family) and key[len(family) :].removesuffix("Path") in _OPERATORS:
                operator = _OPERATORS[key[len(family) :].removesuffix("Path")]
                return f"{variable} {operator} {_operand_value(family, key, value)}"
    return str(rule.get("Comment", variable))


def _operand_value(family: str, key: str, value) -> str:
    """The right-hand side of a comparison: a path, a quoted string, a number, true/false."""
    if key.endswith("Path") or family == "Timestamp":
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _errors_text(errors) -> str:
    """``ErrorEquals`` names, shortened: ``States.Timeout, States.TaskFailed +2``."""
    if not isinstance(errors, list) or not errors:
        return "?"
    names = [str(error) for error in errors]
    text = ", ".join(names)
    shown = len(names)
    while len(text) > _LABEL_WIDTH and shown > 1:
        shown -= 1
        text = ", ".join(names[:shown]) + f" +{len(names) - shown}"
    return text


def _retry_lines(state: dict) -> list[str]:
    """One ``↻ Retry: States.ALL ×3`` line per retrier (at most two, then a count)."""
    retriers = [r for r in state.get("Retry", []) if isinstance(r, dict)]
    lines = [
        f"↻ Retry: {_errors_text(r.get('ErrorEquals'))} ×{r.get('MaxAttempts', 3)}"
        for r in retriers[:2]
    ]
    if len(retriers) > 2:
        lines.append(f"↻ and {len(retriers) - 2} more retriers")
    return lines


_SERVICES = {
    "lambda": "Lambda",
    "dynamodb": "DynamoDB",
    "sns": "SNS",
    "sqs": "SQS",
    "states": "Step Functions",
    "ecs": "ECS",
    "batch": "Batch",
    "glue": "Glue",
    "events": "EventBridge",
    "athena": "Athena",
    "sagemaker": "SageMaker",
    "bedrock": "Bedrock",
    "apigateway": "API Gateway",
    "http": "HTTP",
    "elasticmapreduce": "EMR",
    "mediaconvert": "MediaConvert",
    "s3": "S3",
    "codebuild": "CodeBuild",
    "eks": "EKS",
}


def _task_line(resource) -> str:
    """What a Task calls, as the console shows it: ``Lambda: Invoke``, ``DynamoDB: PutItem``."""
    if not isinstance(resource, str):
        return "Task"
    parts = resource.split(":")
    if resource.startswith("arn:") and len(parts) >= 7 and parts[2] == "states" and not parts[4]:
        sdk = parts[5] == "aws-sdk" and len(parts) >= 8
        service, action = (parts[6], parts[7]) if sdk else (parts[5], parts[6])
        action, _, pattern = action.partition(".")
        suffix = {"sync": " (run job)", "waitForTaskToken": " (callback)"}.get(pattern, "")
        name = _SERVICES.get(service, service[:1].upper() + service[1:])
        return f"{name}: {action[:1].upper()}{action[1:]}{suffix}"
    if resource.startswith("arn:") and len(parts) >= 7 and parts[5] in ("function", "activity"):
        return f"{'Lambda' if parts[5] == 'function' else 'Activity'}: {parts[6]}"
    return _shorten(resource, 36)


def _type_line(state: dict) -> str:
    """The grey line under a state's name: what kind of state it is, and the gist of it."""
    kind = state["Type"]
    if kind == "Task":
        return _task_line(state.get("Resource"))
    if kind == "Wait":
        for key, template in (
            ("Seconds", "Wait {} s"),
            ("SecondsPath", "Wait {} s"),
            ("Timestamp", "Wait until {}"),
            ("TimestampPath", "Wait until {}"),
        ):
            if key in state:
                return _shorten(template.format(state[key]), 36)
    if kind == "Fail" and isinstance(state.get("Error"), str):
        return _shorten(f"Fail: {state['Error']}", 36)
    if kind == "Parallel":
        return f"Parallel: {len(state['Branches'])} branches"
    if kind == "Map":
        config = _processor(state).get("ProcessorConfig") or {}
        return "Distributed map" if config.get("Mode") == "DISTRIBUTED" else "Map"
    return kind


def _shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in "…" when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _html_label(title: str, lines: Sequence[str]) -> str:
    """A node label: the state name in bold (wrapped), then smaller grey lines."""
    parts = textwrap.wrap(title, 30) if len(title) > 30 else [title]
    name = "<BR/>".join(html.escape(part) for part in parts)
    rows = [f"<B>{name}</B>"]
    rows += [f'<FONT POINT-SIZE="9" COLOR="{_MUTED}">{html.escape(line)}</FONT>' for line in lines]
    return "<" + "<BR/>".join(rows) + ">"


def _edge_label(text: str) -> str:
    """A DOT edge label: wrapped, cut after a few lines, backslashes and <...> kept literal."""
    lines = [text]
    if len(text) > _LABEL_WIDTH:
        lines = textwrap.wrap(text, _LABEL_WIDTH, break_on_hyphens=False) or [""]
    if len(lines) > _LABEL_LINES:
        lines = lines[:_LABEL_LINES]
        lines[-1] = _shorten(lines[-1] + " …", _LABEL_WIDTH + 2)
    return graphviz.nohtml("\\n".join(graphviz.escape(line) for line in lines))


# ------------------------------------------------------------------ reading a history

_FAILURES = frozenset(
    {
        "ActivityFailed",
        "ActivityScheduleFailed",
        "ActivityTimedOut",
        "EvaluationFailed",
        "LambdaFunctionFailed",
        "LambdaFunctionScheduleFailed",
        "LambdaFunctionStartFailed",
        "LambdaFunctionTimedOut",
        "MapRunFailed",
        "MapStateFailed",
        "ParallelStateFailed",
        "TaskFailed",
        "TaskStartFailed",
        "TaskSubmitFailed",
        "TaskTimedOut",
    }
)
_SUCCESSES = frozenset(
    {
        "ActivitySucceeded",
        "LambdaFunctionSucceeded",
        "MapRunSucceeded",
        "MapStateSucceeded",
        "ParallelStateSucceeded",
        "TaskSucceeded",
    }
)
_ABORTS = frozenset(
    {
        "MapRunAborted",
        "MapStateAborted",
        "ParallelStateAborted",
        "TaskStateAborted",
        "WaitStateAborted",
    }
)
_CLOSES = frozenset(
    {
        "MapStateAborted",
        "MapStateFailed",
        "MapStateSucceeded",
        "ParallelStateAborted",
        "ParallelStateFailed",
        "ParallelStateSucceeded",
    }
)
_ITERATIONS = {
    "MapIterationStarted": "in_progress",
    "MapIterationSucceeded": "succeeded",
    "MapIterationFailed": "failed",
    "MapIterationAborted": "cancelled",
}
_EXECUTION_ENDS = {
    "ExecutionSucceeded": "succeeded",
    "ExecutionFailed": "failed",
    "ExecutionTimedOut": "timed_out",
    "ExecutionAborted": "aborted",
    "ExecutionRedriven": "running",
    "ExecutionStarted": "running",
}
# What an unfinished visit became, by how the execution ended.
_UNFINISHED = {
    "running": "in_progress",
    "failed": "failed",
    "timed_out": "failed",
    "aborted": "cancelled",
    "succeeded": "cancelled",
}
# When one state was visited several times (loops, Map iterations), the most telling status wins.
_PRECEDENCE = ("succeeded", "cancelled", "caught_error", "failed", "in_progress")


@dataclass(frozen=True)
class _Frame:
    """One branch of one run of a Parallel, or one iteration of one run of a Map."""

    kind: str  # "Parallel" or "Map"
    container: str  # the Parallel or Map state's name
    entered: int  # id of the container's ...StateEntered event
    key: tuple  # ("branch", first state's name, its type, ordinal) or ("item", index)


@dataclass
class _Visit:
    """One visit of a state: from its ...StateEntered event to wherever it went."""

    name: str
    kind: str  # "Task", "Choice", ... from the event type
    scope: tuple  # the _Frames it ran in, outermost first; () is the top level
    entered: int  # event id
    exited: bool = False
    continued: bool = False  # another state of the same scope was entered after it
    aborted: bool = False
    closed: bool = False  # a Parallel/Map that succeeded, failed or was aborted
    result: str | None = None  # "ok" / "error": the last outcome of its work (retries included)
    iterations: dict = field(default_factory=dict)  # Map: index -> status
    status: str = ""


def _events(history) -> list[tuple[int, int, str, dict]]:
    """(id, previousEventId, type, event) in id order, for a list of events or a response."""
    if isinstance(history, dict):
        history = history.get("events", [])
    rows = []
    for position, event in enumerate(history or [], 1):
        if not isinstance(event, dict) or "type" not in event:
            continue
        event_id = int(event.get("id", position))
        rows.append(
            (event_id, int(event.get("previousEventId", event_id - 1)), event["type"], event)
        )
    return sorted(rows, key=lambda row: row[0])


def _details(event: dict, key: str):
    """``event[...EventDetails][key]``, for whichever details the event carries."""
    for name, value in event.items():
        if name.endswith("EventDetails") and isinstance(value, dict) and key in value:
            return value[key]
    return None


def _outside(scope: tuple, kind: str, name: str | None = None) -> tuple:
    """``scope`` up to (not including) its innermost frame of a ``kind`` state (named ``name``)."""
    for depth in range(len(scope) - 1, -1, -1):
        frame = scope[depth]
        if frame.kind == kind and (name is None or frame.container == name):
            return scope[:depth]
    return scope


class _Trace:
    """An execution's visits of states, grouped by scope (top level, branch, iteration)."""

    def __init__(self, history) -> None:
        self.visits: list[_Visit] = []
        self.frames: dict[tuple, list[_Visit]] = {}
        self.owners: dict[tuple, _Visit] = {}  # frame scope -> the Parallel/Map visit it is in
        self.end = "running"
        self._scope_of: dict[int, tuple] = {}
        self._current: dict[tuple, _Visit] = {}
        self._openers: dict[int, tuple] = {}  # event id -> (scope, container visit, kind, key)
        self._ordinals: Counter = Counter()
        for event_id, previous, kind, event in _events(history):
            self._add(event_id, previous, kind, event)
        self._settle()

    def _settle(self) -> None:
        """Give each visit without a status the one the events so far say."""
        for visit in self.visits:
            visit.status = visit.status or self._status(visit)

    # -- placing events
    def _add(self, event_id: int, previous: int, kind: str, event: dict) -> None:
        """Place one event in its scope and apply it to the visit it is about."""
        scope = self._scope(event_id, previous, kind, event)
        self._scope_of[event_id] = scope
        if kind == "ExecutionRedriven":
            self._settle()  # what failed before a redrive stays failed
        if kind in _EXECUTION_ENDS:
            self.end = _EXECUTION_ENDS[kind]
        elif kind.endswith("StateEntered"):
            self._enter(event_id, scope, kind, event)
        elif scope in self._current:
            self._apply(self._current[scope], event_id, scope, kind, event)

    def _scope(self, event_id: int, previous: int, kind: str, event: dict) -> tuple:
        """The scope an event belongs to, from the scope of the event before it."""
        if kind.startswith("Execution"):
            return ()
        before = self._scope_of.get(previous, ())
        if kind in _ITERATIONS:
            return _outside(before, "Map", _details(event, "name"))
        if kind in _CLOSES or kind.startswith("MapRun"):
            return self._container_scope("Map" if kind.startswith("Map") else "Parallel", before)
        if kind.endswith("StateExited"):
            return self._exited_scope(before, _details(event, "name"))
        if previous in self._openers and kind.endswith("StateEntered"):
            return self._open(previous, _details(event, "name"), kind.removesuffix("StateEntered"))
        return before

    def _container_scope(self, kind: str, before: tuple) -> tuple:
        """Where a Parallel/Map event goes whose previous event was in scope ``before``.

        Either ``before`` itself, when its current visit is that (still running) Parallel/Map,
        or the scope around the innermost branch/iteration of that kind ``before`` is in.
        """
        visit = self._current.get(before)
        if visit is not None and visit.kind == kind and not visit.closed:
            return before
        return _outside(before, kind)

    def _exited_scope(self, before: tuple, name) -> tuple:
        """The scope of the running visit of state ``name``: ``before`` or one around it.

        (An emulator may link a Parallel's Exited event to the last event of a branch.)
        """
        for depth in range(len(before), -1, -1):
            visit = self._current.get(before[:depth])
            if visit is not None and visit.name == name and not visit.exited:
                return before[:depth]
        return before

    def _open(self, opener: int, first: str | None, first_kind: str) -> tuple:
        """The scope of a new branch/iteration whose first state ``first`` was just entered."""
        scope, container, kind, key = self._openers[opener]
        if kind == "Parallel":
            ordinal_key = (container.entered, first, first_kind)
            key = ("branch", first, first_kind, self._ordinals[ordinal_key])
            self._ordinals[ordinal_key] += 1
        frame_scope = (*scope, _Frame(kind, container.name, container.entered, key))
        self.owners[frame_scope] = container
        return frame_scope

    def _enter(self, event_id: int, scope: tuple, kind: str, event: dict) -> None:
        """A ...StateEntered event: a new visit, which ends the previous one of its scope."""
        name = str(_details(event, "name"))
        visits = self.frames.setdefault(scope, [])
        if visits and not visits[-1].exited:
            visits[-1].continued = True
        visit = _Visit(name, kind.removesuffix("StateEntered"), scope, event_id)
        visits.append(visit)
        self.visits.append(visit)
        self._current[scope] = visit

    def _apply(self, visit: _Visit, event_id: int, scope: tuple, kind: str, event: dict) -> None:
        """Record what an event (other than ...StateEntered) says about the current visit."""
        if kind.endswith("StateExited"):
            visit.exited = True
        elif kind in _FAILURES:
            visit.result = "error"
        elif kind in _SUCCESSES:
            visit.result = "ok"
        visit.aborted = visit.aborted or kind in _ABORTS
        visit.closed = visit.closed or kind in _CLOSES or kind in _ABORTS
        if kind in _ITERATIONS:
            index = _details(event, "index")
            visit.iterations[index] = _ITERATIONS[kind]
        if kind == "ParallelStateStarted":
            self._openers[event_id] = (scope, visit, "Parallel", ())
        elif kind == "MapIterationStarted":
            self._openers[event_id] = (scope, visit, "Map", ("item", _details(event, "index")))

    # -- statuses
    def _status(self, visit: _Visit) -> str:
        """succeeded, failed, in_progress, caught_error or cancelled."""
        if visit.kind == "Fail":
            return "failed"
        if visit.aborted:
            return "cancelled"
        if visit.exited or visit.continued:
            return "caught_error" if visit.result == "error" else "succeeded"
        closed = self.frame_closed(visit.scope)
        if visit.result == "error" and (closed or self.end != "running"):
            return "failed"
        return "cancelled" if closed else _UNFINISHED[self.end]

    def frame_closed(self, scope: tuple) -> bool:
        """Has the branch/iteration ``scope`` ended (top level: never, the execution decides)?"""
        if not scope:
            return False
        owner = self.owners.get(scope)
        if owner is None:
            return self.end != "running"
        frame = scope[-1]
        if (
            frame.kind == "Map"
            and owner.iterations.get(frame.key[1], "in_progress") != "in_progress"
        ):
            return True
        return owner.closed or owner.exited or owner.continued or self.frame_closed(scope[:-1])

    def frame_status(self, scope: tuple) -> str:
        """How one branch or iteration went: its Map iteration event, else its visits."""
        frame, owner = scope[-1], self.owners.get(scope)
        if frame.kind == "Map" and owner is not None:
            status = owner.iterations.get(frame.key[1], "in_progress")
            if status != "in_progress":
                return status
        statuses = {visit.status for visit in self.frames.get(scope, [])}
        for status in ("failed", "in_progress", "cancelled"):
            if status in statuses:
                return status
        return "succeeded" if self.frame_closed(scope) else "in_progress"

    def finished_normally(self, scope: tuple) -> bool:
        """Did ``scope``'s last visit end it (``End``, ``Succeed`` or ``Fail``), as far as known?"""
        last = self.frames[scope][-1]
        done = self.frame_closed(scope) if scope else self.end != "running"
        return (last.status == "succeeded" and done) or last.kind == "Fail"


def _merge(statuses: Iterable[str]) -> str:
    """The status a node shows for several visits."""
    return max(statuses, key=_PRECEDENCE.index)


def state_statuses(history) -> dict[str, str]:
    """Map each state name (at any depth) that an execution reached to how it went.

    ``history`` is the list of events of ``get_execution_history`` (all pages). Statuses are
    ``"succeeded"``, ``"failed"``, ``"in_progress"``, ``"caught_error"`` (its error was caught
    by a ``Catch``) and ``"cancelled"`` (the execution or its Parallel/Map was stopped first).
    A state visited several times (a loop, Map iterations) shows the most telling status:
    in progress, then failed, then caught error, then cancelled, then succeeded.
    """
    by_name: dict[str, list[str]] = {}
    for visit in _Trace(history).visits:
        by_name.setdefault(visit.name, []).append(visit.status)
    return {name: _merge(statuses) for name, statuses in by_name.items()}


def transitions_taken(history) -> set[tuple[str, str]]:
    """The transitions an execution took, as (from state, to state) name pairs.

    ``(START, first state)`` starts the state machine and each Parallel branch or Map
    iteration; ``(last state, END)`` ends one that ran to its end (or to a Fail state).
    """
    trace = _Trace(history)
    taken = set()
    for scope, visits in trace.frames.items():
        names = [visit.name for visit in visits]
        taken.add((START, names[0]))
        taken.update(pairwise(names))
        if trace.finished_normally(scope):
            taken.add((names[-1], END))
    return taken


# ------------------------------------------------------------------ history -> nodes


class _Paint:
    """A history resolved onto a definition's nodes: statuses, counts and edges taken."""

    def __init__(self, index: _Index, trace: _Trace) -> None:
        self.index = index
        self.status: dict[str, str] = {}  # node id -> status
        self.counts: dict[str, Counter] = {}  # Parallel/Map node id -> Counter of frame statuses
        self.taken: set[tuple[str, str]] = set()  # (tail id, head id)
        self._scopes: dict[tuple, tuple | None] = {}
        self.runs: Counter = Counter()  # Parallel/Map node id -> how many times it ran
        statuses: dict[str, list[str]] = {}
        placed = [(visit, self.path(visit.scope, visit.name)) for visit in trace.visits]
        for visit, path in placed:
            if path is not None:
                statuses.setdefault(node_id(path), []).append(visit.status)
                self.runs[node_id(path)] += 1
        self.status = {node: _merge(found) for node, found in statuses.items()}
        for scope, visits in trace.frames.items():
            self._add_frame(trace, scope, visits)
        self._add_unstarted_branches(trace, placed)

    def path(self, frames: tuple, name: str) -> tuple | None:
        """The definition path of state ``name`` visited in ``frames``, if it can be told."""
        scope = self.scope(frames)
        if scope is not None and (*scope, name) in self.index.states:
            return (*scope, name)
        candidates = self.index.by_name.get(name, [])
        return candidates[0] if len(candidates) == 1 else None

    def scope(self, frames: tuple) -> tuple | None:
        """The definition scope path (e.g. ``("P", "b1")``) of a history scope."""
        if frames not in self._scopes:
            self._scopes[frames] = self._resolve(frames)
        return self._scopes[frames]

    def _resolve(self, frames: tuple) -> tuple | None:
        """Find the branch (by its first state's name and type) or processor of a frame."""
        if not frames:
            return ()
        frame = frames[-1]
        container = self.path(frames[:-1], frame.container)
        if container is None:
            return None
        children = [s for s, _ in _child_scopes(container, self.index.states[container])]
        if frame.kind == "Map" or len(children) == 1:
            return children[0] if children else None
        _, first, first_kind, ordinal = frame.key
        starting = [s for s in children if self.index.scopes[s]["StartAt"] == first]
        same_kind = [s for s in starting if self.index.states[(*s, first)]["Type"] == first_kind]
        starting = same_kind or starting
        return starting[min(ordinal, len(starting) - 1)] if starting else None

    def _add_unstarted_branches(self, trace: _Trace, placed: list) -> None:
        """Count the branches of a finished Parallel run that never started as cancelled."""
        started = Counter(owner.entered for owner in trace.owners.values())
        for visit, path in placed:
            if path is None or visit.status == "in_progress":
                continue
            state = self.index.states[path]
            missing = len(state.get("Branches", [])) - started[visit.entered]
            if state["Type"] == "Parallel" and missing > 0:
                self.counts.setdefault(node_id(path), Counter())["cancelled"] += missing

    def _add_frame(self, trace: _Trace, frames: tuple, visits: list[_Visit]) -> None:
        """Count a branch/iteration on its container, and add the edges it took."""
        scope = self.scope(frames)
        if scope is None:
            return
        if frames:
            container = node_id(scope[:-1])
            self.counts.setdefault(container, Counter())[trace.frame_status(frames)] += 1
            self.taken.add((container, _start_id(scope)))
        paths = [self.path(frames, visit.name) for visit in visits]
        if paths[0] is not None:
            self.taken.add((_start_id(scope), node_id(paths[0])))
        for tail, head in pairwise(paths):
            if tail is not None and head is not None:
                self.taken.add((self.index.out_id(tail), node_id(head)))
        last = paths[-1]
        if last is not None and self.index.is_terminal(last) and trace.finished_normally(frames):
            self.taken.add((self.index.out_id(last), _end_id(scope)))


def _counts_line(kind: str, counts: Counter, runs: int = 1) -> str:
    """``3 iterations: 2 succeeded, 1 failed`` / ``2 branches succeeded`` (``2 runs, ...``)."""
    total = sum(counts.values())
    noun = {"Map": ("iteration", "iterations"), "Parallel": ("branch", "branches")}[kind]
    noun = noun[0] if total == 1 else noun[1]
    parts = [(counts[s], STATUS_COLOURS[s][2].lower()) for s in STATUS_COLOURS if counts.get(s)]
    if len(parts) == 1:
        line = f"{total} {noun} {parts[0][1]}"
    else:
        line = f"{total} {noun}: {', '.join(f'{number} {word}' for number, word in parts)}"
    return f"{runs} runs, {line}" if runs > 1 else line


# ------------------------------------------------------------------ drawing


@dataclass
class _Edge:
    """An edge to add once every node exists (so no node lands in the wrong cluster)."""

    tail: str
    head: str
    label: str | None = None
    catch: bool = False


class _Drawing:
    """Builds the Digraph: nodes scope by scope, clusters for Parallel/Map, edges at the end."""

    def __init__(self, machine: dict, history) -> None:
        self.index = _Index.of(machine)
        self.paint = _Paint(self.index, _Trace(history)) if history is not None else None
        self.edges: list[_Edge] = []
        self.graph = StateMachineGraph(
            name="state_machine",
            graph_attr={
                "rankdir": "TB",
                # The old ranking can flip edges into a Parallel/Map box upwards in big graphs.
                "newrank": "true",
                # In big machines, edges to one state (many Catchers to one handler) share one
                # line: easier to follow, and it halves the layout time.
                "concentrate": "true" if len(self.index.states) >= _CONCENTRATE_FROM else "false",
                "nodesep": "0.3",
                "ranksep": "0.35",
                "fontname": _FONT,
                "fontsize": "10",
                "bgcolor": "white",
            },
            node_attr={"fontname": _FONT, "fontsize": "11", "margin": "0.15,0.05", "height": "0.4"},
            edge_attr={"fontname": _FONT, "fontsize": "9", "arrowsize": "0.7"},
        )

    def build(self) -> graphviz.Digraph:
        """Draw the whole state machine (and the legend, when there is a history)."""
        self._marker("#start", "Start")
        self._scope(self.graph, (), self.index.scopes[()])
        self._marker("#end", "End")
        for edge in self.edges:
            self._emit(edge)
        if self.paint is not None:
            self._legend()
        return self.graph

    # -- nodes
    def _marker(self, node: str, text: str) -> None:
        """The console's Start and End ovals."""
        self.graph.node(
            node,
            text,
            shape="oval",
            style="filled",
            fillcolor="#f2f3f3",
            color=_MUTED,
            fontcolor=_MUTED,
            fontsize="10",
            width="0.7",
            height="0.3",
        )

    def _dot(self, graph: graphviz.Digraph, node: str, final: bool = False) -> None:
        """A small dot: where a branch starts (filled), or where a Parallel/Map is left."""
        graph.node(
            node,
            "",
            shape="doublecircle" if final else "circle",
            width="0.12",
            height="0.12",
            style="filled",
            fillcolor=_MUTED if not final else "#ffffff",
            color=_MUTED,
        )

    def _scope(self, graph: graphviz.Digraph, scope: tuple, machine: dict) -> None:
        """The states of one scope, and the edges among them."""
        self.edges.append(_Edge(_start_id(scope), node_id((*scope, machine["StartAt"]))))
        for name, state in machine["States"].items():
            path = (*scope, name)
            if state["Type"] in ("Parallel", "Map"):
                self._container(graph, path, state)
            else:
                graph.node(node_id(path), self._label(path, state), **self._style(path, state))
            self._state_edges(scope, path, state)

    def _container(self, graph: graphviz.Digraph, path: tuple, state: dict) -> None:
        """A Parallel or Map: a box holding its head node, its branches and its exit dot."""
        with graph.subgraph(name=f"cluster_{node_id(path)}") as box:
            box.attr(style="rounded,dashed", color=self._border(path), label="", margin="10")
            box.node(node_id(path), self._label(path, state), **self._style(path, state))
            for number, (scope, machine) in enumerate(_child_scopes(path, state), 1):
                self._branch(box, path, state, number, scope, machine)
            self._dot(box, _exit_id(path), final=True)

    def _branch(self, box, path: tuple, state: dict, number: int, scope: tuple, machine) -> None:
        """One branch of a Parallel, or a Map's item processor, as a cluster with a start dot."""
        title = f"Branch {number}"
        if state["Type"] == "Map":
            distributed = _type_line(state) == "Distributed map"
            title = "Item processor" + (" (distributed)" if distributed else "")
        with box.subgraph(name=f"cluster_{node_id(scope)}") as inner:
            inner.attr(
                style="rounded,dotted",
                color=_MUTED,
                label=title,
                labeljust="l",
                fontcolor=_MUTED,
                fontsize="9",
            )
            self._dot(inner, _start_id(scope))
            self._scope(inner, scope, machine)
        self.edges.append(_Edge(node_id(path), _start_id(scope)))

    def _label(self, path: tuple, state: dict) -> str:
        """Name, type line, branch/iteration counts (with a history) and retriers."""
        lines = [_type_line(state)]
        counts = self.paint.counts.get(node_id(path)) if self.paint else None
        if counts:
            lines.append(_counts_line(state["Type"], counts, self.paint.runs[node_id(path)]))
        return _html_label(path[-1], lines + _retry_lines(state))

    def _status(self, path: tuple) -> str | None:
        """The node's status, ``not_reached``, or None without a history."""
        if self.paint is None:
            return None
        return self.paint.status.get(node_id(path), "not_reached")

    def _border(self, path: tuple) -> str:
        """Border colour of a Parallel/Map box: its status colour, or grey."""
        status = self._status(path)
        return _MUTED if status is None else STATUS_COLOURS[status][1]

    def _style(self, path: tuple, state: dict) -> dict:
        """Shape (by type) and colours (by status) of a state's node."""
        style = dict(_SHAPES[state["Type"]])
        status = self._status(path)
        fill, border, _ = STATUS_COLOURS[status or "not_reached"]
        style.update(fillcolor=fill, color=_MUTED if status is None else border)
        if status not in (None, "not_reached"):
            style["penwidth"] = "1.6"
        if status == "not_reached":
            style["fontcolor"] = "#687078"
        return style

    # -- edges
    def _state_edges(self, scope: tuple, path: tuple, state: dict) -> None:
        """Next, Choice rules, Default, Catch, and End (terminal states) of one state."""
        tail = self.index.out_id(path)
        here = node_id(path)
        if "Next" in state:
            self.edges.append(_Edge(tail, node_id((*scope, state["Next"]))))
        for rule in state.get("Choices", []):
            text = choice_rule_text(rule)
            self.edges.append(_Edge(here, node_id((*scope, rule["Next"])), text))
        if "Default" in state:
            self.edges.append(_Edge(here, node_id((*scope, state["Default"])), "Default"))
        for catcher in state.get("Catch", []):
            errors = _errors_text(catcher.get("ErrorEquals"))
            self.edges.append(_Edge(tail, node_id((*scope, catcher["Next"])), errors, True))
        if self.index.is_terminal(path):
            self.edges.append(_Edge(tail, _end_id(scope)))

    def _emit(self, edge: _Edge) -> None:
        """Add an edge: labelled, dashed for Catch, thick if taken, faint if not taken."""
        attrs = {}
        if edge.label is not None:
            attrs["label"] = _edge_label(edge.label)
        if edge.catch:
            attrs["style"] = "dashed"
        if self.paint is None:
            attrs["color"] = _MUTED
        elif (edge.tail, edge.head) in self.paint.taken:
            attrs.update(color=_INK, penwidth="2.2")
        else:
            attrs.update(color=_FAINT, fontcolor="#687078")
        self.graph.edge(edge.tail, edge.head, **attrs)

    def _legend(self) -> None:
        """A small box below End listing what the colours mean, three to a row."""
        cells = [
            f'<TD BGCOLOR="{fill}" COLOR="{border}" BORDER="1" WIDTH="14" HEIGHT="10"></TD>'
            f'<TD ALIGN="LEFT">{text}</TD>'
            for fill, border, text in STATUS_COLOURS.values()
        ]
        rows = "".join(f"<TR>{''.join(cells[i : i + 3])}</TR>" for i in range(0, len(cells), 3))
        with self.graph.subgraph(name="cluster_legend") as legend:
            legend.attr(label="", style="rounded", color=_FAINT)
            legend.node(
                "#legend",
                f'<<TABLE BORDER="0" CELLSPACING="3" CELLPADDING="1">{rows}</TABLE>>',
                shape="plaintext",
                fontsize="9",
                fontcolor=_MUTED,
                margin="0",
            )
        self.graph.edge("#end", "#legend", style="invis")


def draw(definition, history=None) -> graphviz.Digraph:
    """Draw a state machine, and optionally one execution of it, as the console does.

    ``definition`` is a dict or JSON text. ``history`` is the list of events of
    ``get_execution_history`` (all pages), or None. With a history, states are coloured
    (succeeded green, failed red, in progress blue, caught error orange, cancelled grey,
    not reached white), the transitions taken are drawn thicker, Parallel and Map states count
    their branches and iterations, and a legend lists the colours.

    Raises ``DefinitionError`` (a ``ValueError``) with a one-line message if the definition
    cannot be drawn. The same definition always gives the same DOT source.
    """
    machine = load_definition(definition)
    return _Drawing(machine, history).build()
