"""Validate Amazon States Language definitions as Step Functions does, with its diagnostics.

Used by the emulator for ``CreateStateMachine``/``UpdateStateMachine`` (which AWS rejects with
``InvalidDefinition``) and for ``ValidateStateMachineDefinition`` (which moto lacks).
Diagnostics have AWS's shape: ``{"severity", "code", "message", "location"}``.

The checks run in AWS's order, and a later step runs only when the earlier ones found nothing:

1. the text is a JSON object with ``StartAt`` and ``States`` (``INVALID_JSON_DESCRIPTION``,
   ``SCHEMA_VALIDATION_FAILED``);
2. each state's own fields: its ``Type``, ``Next`` or ``End``, a Task's ``Resource``, and for
   an EXPRESS machine the integration patterns and activities it cannot use
   (``SCHEMA_VALIDATION_FAILED``);
3. the graph: transitions that name no state, a workflow with no terminal state, states nothing
   leads to (``MISSING_TRANSITION_TARGET``, ``MISSING_END_STATE``);
4. everything else moto's ASL parser knows (``SCHEMA_VALIDATION_FAILED``).

Where each message's wording comes from is said next to it. Only some were recorded on AWS by
this project (``../shared/conformance/localstack_validation_cases.jsonl``, ``aws_recorded``);
the others are AWS's answers as quoted by people who got them, named where used.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

# ASL: "Any state except for Choice, Succeed, and Fail MAY have a field named "End" ... All
# non-terminal states MUST have a "Next" field, except for the Choice state."
NEEDS_NEXT_OR_END = ("Task", "Pass", "Wait", "Parallel", "Map")
# The state types, in the order AWS lists them
STATE_TYPES = ("Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map")
# A workflow ends in a state with "End": true, or in a Succeed or Fail state.
TERMINAL_TYPES = ("Succeed", "Fail")
# arn:partition:service:region:account:resource (region and account may be empty)
_ARN = re.compile(r"arn:[^:]+:[^:]+:[^:]*:[^:]*:.+", re.DOTALL)
# Errors of moto's parser that AWS words differently, AWS's words recorded on AWS
# (../shared/conformance/localstack_validation_cases.jsonl): what moto says, the field it is
# about, and what AWS says at that field.
_UNRECOGNISED_RESOURCE = re.compile(r"The resource provided (\S+) (?:is )?not recognized\.")
# RFC 3339's date-time, as ASL restricts it: "an uppercase T must separate the date and time
# portions, and an uppercase Z must denote that a numeric time zone offset is not present"
_RFC3339 = re.compile(
    r"\d{4}-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})"
)
_NOT_A_TIMESTAMP = re.compile(
    r"The Timestamp value does not reference a valid ISO-8601 extended offset date-time "
    r"format string: '(.*)'",
    re.DOTALL,
)


def diagnostic(code: str, message: str, location: str | None = None) -> dict:
    """One ERROR diagnostic, as ``ValidateStateMachineDefinition`` lists them."""
    found = {"severity": "ERROR", "code": code, "message": message}
    if location:
        found["location"] = location
    return found


def diagnostics(
    definition: str, transitions: bool = True, machine_type: str | None = None
) -> list[dict]:
    """Every problem found in ``definition`` (a JSON string); empty when it is valid.

    ``transitions=False`` leaves out the checks of the machine's graph (targets, a terminal
    state, reachability): ``TestState`` checks a lone state whose ``Next`` names a state of a
    machine it does not have. ``machine_type="EXPRESS"`` adds the checks AWS makes only for
    Express machines (``express_problems``); ``None`` or ``"STANDARD"`` leaves them out."""
    if not definition.strip():
        # AWS-recorded (ValidateStateMachineDefinition of " "), without a location
        return [diagnostic("SCHEMA_VALIDATION_FAILED", "Definition must be a valid JSON object")]
    try:
        document = json.loads(definition)
    except json.JSONDecodeError as error:
        # AWS words the JSON error as its Java parser does; this is Python's
        return [
            diagnostic(
                "INVALID_JSON_DESCRIPTION",
                f"{error.msg} at line {error.lineno}, column {error.colno}",
            )
        ]
    if not isinstance(document, dict):
        return [diagnostic("SCHEMA_VALIDATION_FAILED", "Definition must be a valid JSON object")]
    checks = [missing_fields, state_field_problems, empty_branches]
    if machine_type == "EXPRESS":
        checks.insert(2, express_problems)
    if transitions:
        checks.append(graph_problems)
    for check in checks:
        found = list(check(document))
        if found:
            return found
    return _grammar_problems(definition, document)


# ---------------------------------------------------------------- 1. the machine's own fields


def missing_fields(machine: dict, location: str = "") -> Iterator[dict]:
    """``StartAt`` and ``States`` missing, here or in a Parallel branch or Map processor.

    AWS-recorded: ``{}`` gives "These fields are required: [States, StartAt]" at ``/``; a
    definition without ``StartAt`` gives "These fields are required: [StartAt]" at ``/``.
    """
    missing = [field for field in ("States", "StartAt") if field not in machine]
    if missing:
        yield diagnostic(
            "SCHEMA_VALIDATION_FAILED",
            f"These fields are required: [{', '.join(missing)}]",
            location or "/",
        )
        return
    for here, state in _states(machine, location, nested=False):
        for inner, inner_location in _containers(state, here):
            yield from missing_fields(inner, inner_location)


# ---------------------------------------------------------------- 2. each state's fields


def state_field_problems(machine: dict) -> Iterator[dict]:
    """Per state, at any depth: a known ``Type``, its ``QueryLanguage``, ``Next`` or ``End``
    (exactly one), a Task's ``Resource`` and ``Credentials``, a Wait state's ``Timestamp``."""
    jsonata_machine = machine.get("QueryLanguage") == "JSONata"
    for here, state in _states(machine, ""):
        if isinstance(state.get("Type"), str) and state["Type"] not in STATE_TYPES:
            yield _unknown_type(here)
            continue
        if jsonata_machine and state.get("QueryLanguage") == "JSONPath":
            yield _downgraded(here)
        yield from _next_or_end(state, here)
        if state.get("Type") == "Task" and isinstance(state.get("Resource"), str):
            yield from _resource(state["Resource"], f"{here}/Resource")
        if state.get("Type") == "Task" and "Credentials" in state:
            yield from _credentials(state["Credentials"], f"{here}/Credentials")
        jsonpath = state.get("QueryLanguage", machine.get("QueryLanguage")) != "JSONata"
        if state.get("Type") == "Wait" and jsonpath and isinstance(state.get("Timestamp"), str):
            yield from _timestamp(state["Timestamp"], f"{here}/Timestamp")


def _unknown_type(here: str) -> dict:
    """A state whose ``Type`` is none of the eight. AWS-recorded (LocalStack's TestState
    snapshot ``test_state_name_invalid_state_definition``, a whole machine with a state of
    ``"Type": "TypeThatDoesNotExist"``): "The field 'Type' should have one of these values:
    [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]" at the state's ``Type``. moto's
    parser said "mismatched input ... expecting ..." at no location."""
    values = ", ".join(STATE_TYPES)
    message = f"The field 'Type' should have one of these values: [{values}]"
    return diagnostic("SCHEMA_VALIDATION_FAILED", message, f"{here}/Type")


def _downgraded(here: str) -> dict:
    """A JSONPath state in a JSONata machine. AWS-recorded (ValidateStateMachineDefinition):
    "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine" at the
    state. A JSONPath state inside a JSONata Map of a JSONPath machine is valid."""
    message = "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine"
    return diagnostic("SCHEMA_VALIDATION_FAILED", message, here)


def _credentials(credentials, location: str) -> Iterator[dict]:
    """A Task's ``Credentials`` names the role to assume. AWS-recorded (CreateStateMachine of
    ``"Credentials": {}`` and of ``{"InvalidField": "invalid"}``): "The field 'RoleArn' is
    required but was missing" at the ``Credentials``."""
    if isinstance(credentials, dict) and not {"RoleArn", "RoleArn.$"} & credentials.keys():
        message = "The field 'RoleArn' is required but was missing"
        yield diagnostic("SCHEMA_VALIDATION_FAILED", message, location)


def _timestamp(timestamp: str, location: str) -> Iterator[dict]:
    """A JSONPath Wait state's ``Timestamp`` is an RFC 3339 date-time. AWS-recorded for six
    strings that are not (no ``T``, no zone, month 13, hour 25, day first, a JSONata expression
    in a JSONPath state): "String does not match RFC3339 timestamp" at the ``Timestamp``."""
    match = _RFC3339.fullmatch(timestamp)
    valid = match is not None
    if valid:
        month, day, hour, minute, second = map(int, match.groups())
        valid = 1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 61
    if not valid:
        message = "String does not match RFC3339 timestamp"
        yield diagnostic("SCHEMA_VALIDATION_FAILED", message, location)


def _next_or_end(state: dict, here: str) -> Iterator[dict]:
    """A Task, Pass, Wait, Parallel or Map state needs ``Next`` or ``"End": true``, not both.

    Without either, moto accepts the definition and its executions fail inside the interpreter
    (an AttributeError). AWS's wording as quoted by the cdk_preflight rules
    (``pf-sfn-asl-next-end``) that check CloudFormation templates before deployment; not
    recorded by this project.
    """
    if state.get("Type") not in NEEDS_NEXT_OR_END:
        return
    has_next, ends = "Next" in state, state.get("End") is True
    if has_next and ends:
        message = "There should only be one of the following fields: [Next, End]"
    elif not has_next and not ends:
        message = "This object should have only one of the following fields: [Next, End]"
    else:
        return
    yield diagnostic("SCHEMA_VALIDATION_FAILED", message, here)


def _resource(resource: str, location: str) -> Iterator[dict]:
    """A Task's ``Resource`` must be an ARN (``arn:partition:service:region:account:...``).

    Anything else (a function's name, an unreplaced ``${Placeholder}``): "Value is not a valid
    resource ARN", as AWS answered the CloudFormation and CDK deployments quoted in public issues
    (e.g. "SCHEMA_VALIDATION_FAILED: Value is not a valid resource ARN at
    /States/ResolveConfig/Resource"); not recorded by this project. moto's parser reported "No
    Resource declaration in State Task". Which ARNs name something a Task can call is left to
    the parser (``_in_awss_words`` gives AWS's wording for the integrations it does not know).
    """
    if _ARN.fullmatch(resource) is None:
        yield diagnostic("SCHEMA_VALIDATION_FAILED", "Value is not a valid resource ARN", location)


# What an EXPRESS machine's Task may not use, in AWS's words (AWS-recorded,
# ../shared/conformance/localstack_validation_cases.jsonl, test_sfn_api_express and
# test_sfn_api_validation: CreateStateMachine's InvalidDefinition and
# ValidateStateMachineDefinition's diagnostic). AWS's message for '.waitForTaskToken' ends in a
# space, its message for '.sync' does not.
EXPRESS_REFUSES_SYNC = "Express state machine does not support '.sync' service integration"
EXPRESS_REFUSES_CALLBACK = (
    "Express state machine does not support '.waitForTaskToken' service integration "
)
EXPRESS_REFUSES_ACTIVITY = "Express state machine does not support Activity ARN"
# An optimized or AWS SDK integration: arn:PARTITION:states:::SERVICE:ACTION[.PATTERN]
_INTEGRATION = re.compile(r"arn:[^:]+:states:::(?P<call>.+)", re.DOTALL)


def express_problems(machine: dict) -> Iterator[dict]:
    """An EXPRESS machine's Tasks, at any depth: no ``.sync`` or ``.sync:2``, no
    ``.waitForTaskToken``, no activity (AWS's developer guide, "Standard and Express Workflows
    support the same integrations but not the same integration patterns ... Express Workflows
    only support Request Response integrations"), and no activity (as AWS answered the recorded
    case below).

    AWS's words were recorded for ``.sync`` (``states:startExecution.sync``),
    ``.waitForTaskToken`` (``sns:publish`` and ``sqs:sendMessage``) and an activity; ``.sync:2``
    gets the ``.sync`` words here, which were not recorded for it. The recorded activity case's
    resource is ``arn:aws:fake:us-east-1:111111111111:activityArn``, not an activity's ARN: AWS
    called it an "Activity ARN", so every Task resource that is neither an integration
    (``arn:...:states:::...``) nor a Lambda function (``arn:...:lambda:...``) is one here.
    """
    for here, state in _states(machine, ""):
        resource = state.get("Resource")
        if state.get("Type") != "Task" or not isinstance(resource, str):
            continue
        location = f"{here}/Resource"
        integration = _INTEGRATION.fullmatch(resource)
        if integration is None:
            if _ARN.fullmatch(resource) and resource.split(":")[2] != "lambda":
                yield diagnostic("SCHEMA_VALIDATION_FAILED", EXPRESS_REFUSES_ACTIVITY, location)
            continue
        pattern = integration["call"].rsplit(".", 1)[-1] if "." in integration["call"] else ""
        if pattern in ("sync", "sync:2"):
            yield diagnostic("SCHEMA_VALIDATION_FAILED", EXPRESS_REFUSES_SYNC, location)
        elif pattern == "waitForTaskToken":
            yield diagnostic("SCHEMA_VALIDATION_FAILED", EXPRESS_REFUSES_CALLBACK, location)


# ---------------------------------------------------------------- 3. the graph


def graph_problems(machine: dict) -> Iterator[dict]:
    """Transitions to no state, then a workflow without a terminal state, then unreachable states.

    Measured on AWS by floci (floci-io/floci#2786, ``validate-state-machine-definition``): every
    transition target is reported as "Missing 'Next' target: X", whatever its field (StartAt,
    Next, Default, a Choice rule's or a Catch's Next); "Workflow has no terminal state" (no
    location) concerns the top level only, and when it is reported no state is reported as
    unreachable. "State \"X\" is not reachable." at ``/States/X`` is also what CloudFormation
    quotes from AWS (aws-cloudformation/cfn-lint#4073, #4074).
    """
    yield from missing_transition_targets(machine, "")
    if not any(_is_terminal(state) for state in _own_states(machine).values()):
        yield diagnostic("MISSING_END_STATE", "Workflow has no terminal state")
        return
    yield from unreachable_states(machine, "")


def missing_transition_targets(machine: dict, location: str) -> Iterator[dict]:
    """Transition targets (StartAt, Next, Default, Catch Next) that name no state, at any depth."""
    states = _own_states(machine)
    start = machine.get("StartAt")
    if start not in states:
        yield diagnostic(
            "MISSING_TRANSITION_TARGET", f"Missing 'Next' target: {start}", f"{location}/StartAt"
        )
    for name, state in states.items():
        here = f"{location}/States/{name}"
        for target, at in _transitions(state, here):
            if target not in states:
                yield diagnostic(
                    "MISSING_TRANSITION_TARGET", f"Missing 'Next' target: {target}", at
                )
        for inner, inner_location in _containers(state, here):
            yield from missing_transition_targets(inner, inner_location)


def unreachable_states(machine: dict, location: str) -> Iterator[dict]:
    """States no path from ``StartAt`` leads to, at any depth."""
    states = _own_states(machine)
    reached, waiting = set(), [machine.get("StartAt")]
    while waiting:
        name = waiting.pop()
        if name in states and name not in reached:
            reached.add(name)
            waiting += [target for target, _ in _transitions(states[name], "")]
    for name, state in states.items():
        here = f"{location}/States/{name}"
        if name not in reached:
            yield diagnostic("MISSING_TRANSITION_TARGET", f'State "{name}" is not reachable.', here)
        for inner, inner_location in _containers(state, here):
            yield from unreachable_states(inner, inner_location)


def _is_terminal(state: dict) -> bool:
    return state.get("End") is True or state.get("Type") in TERMINAL_TYPES


def _transitions(state: dict, here: str) -> Iterator[tuple[str, str]]:
    """``(target, location)`` of every state ``state`` may go to next."""
    if "Next" in state:
        yield state["Next"], f"{here}/Next"
    if "Default" in state:
        yield state["Default"], f"{here}/Default"
    for index, rule in enumerate(state.get("Choices") or []):
        if isinstance(rule, dict) and "Next" in rule:
            yield rule["Next"], f"{here}/Choices[{index}]/Next"
    for index, catcher in enumerate(state.get("Catch") or []):
        if isinstance(catcher, dict) and "Next" in catcher:
            yield catcher["Next"], f"{here}/Catch[{index}]/Next"


# ---------------------------------------------------------------- walking a definition


def _own_states(machine: dict) -> dict[str, dict]:
    """The states of one machine, branch or processor (not those nested in them)."""
    states = machine.get("States")
    if not isinstance(states, dict):
        return {}
    return {name: state for name, state in states.items() if isinstance(state, dict)}


def _containers(state: dict, here: str) -> Iterator[tuple[dict, str]]:
    """The state machines inside a state: a Parallel's branches, a Map's processor."""
    for index, branch in enumerate(state.get("Branches") or []):
        if isinstance(branch, dict):
            yield branch, f"{here}/Branches[{index}]"
    for processor in ("ItemProcessor", "Iterator"):
        if isinstance(state.get(processor), dict):
            yield state[processor], f"{here}/{processor}"


def _states(machine: dict, location: str, nested: bool = True) -> Iterator[tuple[str, dict]]:
    """``(location, state)`` for each state of ``machine``, and with ``nested`` of the machines
    inside its states, depth first."""
    for name, state in _own_states(machine).items():
        here = f"{location}/States/{name}"
        yield here, state
        if nested:
            for inner, inner_location in _containers(state, here):
                yield from _states(inner, inner_location)


# ---------------------------------------------------------------- 4. moto's parser


def _grammar_problems(definition: str, document: dict) -> list[dict]:
    from moto.stepfunctions.parser.asl.parse.asl_parser import (
        AmazonStateLanguageParser,
        ASLParserException,
    )

    try:
        AmazonStateLanguageParser.parse(definition)
    except ASLParserException as error:
        return [diagnostic("SCHEMA_VALIDATION_FAILED", "; ".join(error.errors))]
    except Exception as error:  # the parser rejects some definitions by raising plain errors
        found = _in_awss_words(str(error), document)
        return [found or diagnostic("SCHEMA_VALIDATION_FAILED", f"{type(error).__name__}: {error}")]
    return []


def _in_awss_words(message: str, document: dict) -> dict | None:
    """AWS's diagnostic for an error of moto's parser, where AWS's wording is recorded.

    A service integration moto does not know (AWS-recorded for ``arn:aws:states:::dynamodb:query``):
    "The resource provided <arn> is not recognized. The value is not a valid resource ARN, or the
    resource is not available in this region." at the Task's ``Resource``. A Wait ``Timestamp``
    that is not one (AWS-recorded for five malformed dates): "String does not match RFC3339
    timestamp" at the ``Timestamp``.
    """
    if unrecognised := _UNRECOGNISED_RESOURCE.search(message):
        field, value = "Resource", unrecognised.group(1)
        text = (
            f"The resource provided {value} is not recognized. The value is not a valid resource "
            "ARN, or the resource is not available in this region."
        )
    elif not_a_timestamp := _NOT_A_TIMESTAMP.search(message):
        field, value = "Timestamp", not_a_timestamp.group(1)
        text = "String does not match RFC3339 timestamp"
    else:
        return None
    for here, state in _states(document, ""):
        if state.get(field) == value:
            return diagnostic("SCHEMA_VALIDATION_FAILED", text, f"{here}/{field}")
    return diagnostic("SCHEMA_VALIDATION_FAILED", text)


def empty_branches(machine: dict, location: str = "") -> list[dict]:
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


def error_message(found: list[dict]) -> str:
    """The message of AWS's ``InvalidDefinition`` error for these diagnostics: each as
    "CODE: message at location", joined by ", " (as in the CloudFormation errors quoted above);
    a diagnostic without a location ends "at null", as floci measured for MISSING_END_STATE."""
    details = ", ".join(
        f"{item['code']}: {item['message']} at {item.get('location', 'null')}" for item in found
    )
    return f"Invalid State Machine Definition: '{details}'"
