"""Reading and checking a state machine definition, before anything is drawn.

``load_definition`` turns a dict or JSON text into a dict, or raises ``DefinitionError`` with a
one-line message a learner can act on: what is wrong, where (``in branch 2 of "P"``), and a
suggestion when a name is close to one that exists (``did you mean "First"?``).

Two small helpers live here because the later modules need them too: ``item_processor`` (a Map's
``ItemProcessor``, or the older ``Iterator``) and ``shorten`` (cut text to a length with "…").
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable

STATE_TYPES = ("Task", "Choice", "Pass", "Wait", "Succeed", "Fail", "Parallel", "Map")


class DefinitionError(ValueError):
    """The definition is not a state machine that could be drawn; the message says why."""


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
        processor = item_processor(state)
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


def item_processor(state: dict):
    """A Map state's item processor: ``ItemProcessor``, or the older ``Iterator``."""
    return state.get("ItemProcessor", state.get("Iterator"))


def _show(value) -> str:
    """A value as it would appear in JSON, shortened, for an error message."""
    return shorten(json.dumps(value, ensure_ascii=False, default=str), 60)


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


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in "…" when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
