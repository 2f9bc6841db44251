"""Validate Amazon States Language definitions as Step Functions does, with its diagnostics.

Used by the emulator for ``CreateStateMachine``/``UpdateStateMachine`` (which AWS rejects with
``InvalidDefinition``) and for ``ValidateStateMachineDefinition`` (which moto lacks).
Diagnostics have AWS's shape: ``{"severity", "code", "message", "location"}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator


def diagnostic(code: str, message: str, location: str | None = None) -> dict:
    """One ERROR diagnostic, as ``ValidateStateMachineDefinition`` lists them."""
    found = {"severity": "ERROR", "code": code, "message": message}
    if location:
        found["location"] = location
    return found


def diagnostics(definition: str, transitions: bool = True) -> list[dict]:
    """Every problem found in ``definition`` (a JSON string); empty when it is valid.

    ``transitions=False`` leaves out targets that name no state (``TestState`` checks a lone
    state whose ``Next`` names a state of a machine it does not have)."""
    try:
        document = json.loads(definition)
    except json.JSONDecodeError as error:
        return [
            diagnostic(
                "INVALID_JSON_DESCRIPTION",
                f"{error.msg} at line {error.lineno}, column {error.colno}",
            )
        ]
    if not isinstance(document, dict) or not isinstance(document.get("States"), dict):
        return [diagnostic("SCHEMA_VALIDATION_FAILED", "The definition needs a 'States' object")]
    found = list(missing_transition_targets(document, "")) if transitions else []
    found += empty_branches(document, "")
    if not found:
        found += _grammar_problems(definition)
    return found


def _grammar_problems(definition: str) -> list[dict]:
    from moto.stepfunctions.parser.asl.parse.asl_parser import (
        AmazonStateLanguageParser,
        ASLParserException,
    )

    try:
        AmazonStateLanguageParser.parse(definition)
    except ASLParserException as error:
        return [diagnostic("SCHEMA_VALIDATION_FAILED", "; ".join(error.errors))]
    except Exception as error:  # the parser rejects some definitions by raising plain errors
        return [diagnostic("SCHEMA_VALIDATION_FAILED", f"{type(error).__name__}: {error}")]
    return []


def missing_transition_targets(machine: dict, location: str) -> Iterator[dict]:
    """Transition targets (StartAt, Next, Default, Catch Next) that name no state, at any depth."""
    states = machine.get("States") or {}
    if not isinstance(states, dict):
        return
    start = machine.get("StartAt")
    if start not in states:
        yield diagnostic(
            "MISSING_TRANSITION_TARGET",
            f"Missing 'StartAt' target: {start}",
            f"{location}/StartAt",
        )
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        here = f"{location}/States/{name}"
        for field, target, at in _transitions(state, here):
            if target not in states:
                yield diagnostic(
                    "MISSING_TRANSITION_TARGET", f"Missing '{field}' target: {target}", at
                )
        for index, branch in enumerate(state.get("Branches") or []):
            if isinstance(branch, dict):
                yield from missing_transition_targets(branch, f"{here}/Branches[{index}]")
        for processor in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(processor), dict):
                yield from missing_transition_targets(state[processor], f"{here}/{processor}")


def empty_branches(machine: dict, location: str) -> list[dict]:
    """Parallel states whose ``Branches`` is an empty list, at any depth: AWS answers
    ``SCHEMA_VALIDATION_FAILED: Value cannot be empty at /States/NAME/Branches``."""
    found = []
    states = machine.get("States") or {}
    for name, state in states.items() if isinstance(states, dict) else ():
        if not isinstance(state, dict):
            continue
        here = f"{location}/States/{name}"
        if state.get("Type") == "Parallel" and state.get("Branches") == []:
            found.append(
                diagnostic("SCHEMA_VALIDATION_FAILED", "Value cannot be empty", f"{here}/Branches")
            )
        for index, branch in enumerate(state.get("Branches") or []):
            if isinstance(branch, dict):
                found += empty_branches(branch, f"{here}/Branches[{index}]")
        for processor in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(processor), dict):
                found += empty_branches(state[processor], f"{here}/{processor}")
    return found


def _transitions(state: dict, here: str) -> Iterator[tuple[str, str, str]]:
    if "Next" in state:
        yield "Next", state["Next"], f"{here}/Next"
    if "Default" in state:
        yield "Default", state["Default"], f"{here}/Default"
    for index, rule in enumerate(state.get("Choices") or []):
        if isinstance(rule, dict) and "Next" in rule:
            yield "Next", rule["Next"], f"{here}/Choices[{index}]/Next"
    for index, catcher in enumerate(state.get("Catch") or []):
        if isinstance(catcher, dict) and "Next" in catcher:
            yield "Next", catcher["Next"], f"{here}/Catch[{index}]/Next"


def error_message(found: list[dict]) -> str:
    """The message of AWS's ``InvalidDefinition`` error for these diagnostics."""
    details = "\n".join(
        f"{item['code']}: {item['message']}"
        + (f" at {item['location']}" if "location" in item else "")
        for item in found
    )
    return f"Invalid State Machine Definition: '{details}'"
