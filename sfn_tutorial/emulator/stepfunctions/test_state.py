"""``TestState``: one state run on its own, answered as Step Functions answers it.

AWS (Step Functions API reference, TestState): the call runs one state, a state definition on its
own or the state ``stateName`` of a whole machine (at any depth: inside a Map's ItemProcessor or
a Parallel branch too), on ``input`` (``{}`` by default), and answers
with its ``status``, ``output``, ``error`` and ``cause`` and ``nextState``; with
``inspectionLevel`` DEBUG or TRACE also ``inspectionData``, the data after each of the state's
processing steps. The state runs once: a retrier that would retry makes the status RETRIABLE, a
catcher that catches makes it CAUGHT_ERROR. A Task state really calls its service (Lambda tasks
run the real handler) unless ``mock`` gives its ``result`` or ``errorOutput``; Map and Parallel
states need a mock. ``context``, ``variables`` and ``stateConfiguration`` (``retrierRetryCount``,
``mapIterationFailureCount``, ``mapItemReaderData``, ``errorCausedByState``) stand in for what
an execution would have. moto's server answers ``NotImplementedError``.

Built on moto's interpreter: its parser reads the definition and its states run in its
``Environment``, with their own input, parameters, result and output processing, Choice rules,
JSONata and variables (and every fix the emulator makes to them); mocks are moto's mocked
responses (``eval_mocked_response``). What only TestState does is added to the one parsed state,
as moto's own TestState preprocessor decorates its states: the single attempt, the inspection
data, Map and Parallel results taken from the mock. Executions never see any of it. The requests
it refuses, and why, are in ``test_state_checks``.
"""

from __future__ import annotations

import copy
import csv
import datetime
import io
import json
import random
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from sfn_tutorial.emulator.awslambda import service as lambda_service
from sfn_tutorial.emulator.stepfunctions import interpreter, map_state
from sfn_tutorial.emulator.stepfunctions import test_state_checks as checks

LEVELS_WITH_INSPECTION_DATA = ("DEBUG", "TRACE")
# inspectionData that AWS reports, by state type, for JSONPath states and for JSONata states
JSONPATH_FIELDS = {
    "Task": (
        "input",
        "afterInputPath",
        "afterParameters",
        "result",
        "afterResultSelector",
        "afterResultPath",
    ),
    "Pass": (
        "input",
        "afterInputPath",
        "afterParameters",
        "afterResultSelector",
        "afterResultPath",
    ),
    "Pass with Result": ("input", "result", "afterResultSelector", "afterResultPath"),
    "Map": (
        "input",
        "afterInputPath",
        "afterItemsPath",
        "afterItemSelector",
        "afterItemBatcher",
        "afterResultSelector",
        "afterResultPath",
        "maxConcurrency",
        "toleratedFailureCount",
        "toleratedFailurePercentage",
    ),
    "Parallel": ("input", "afterResultSelector", "afterResultPath"),
}
JSONATA_FIELDS = {
    "Task": ("input", "afterArguments", "result"),
    "Map": (
        "input",
        "afterItemSelector",
        "afterItemBatcher",
        "maxConcurrency",
        "toleratedFailureCount",
        "toleratedFailurePercentage",
    ),
}
ALWAYS = ("errorDetails", "variables")
NUMBERS = ("maxConcurrency", "toleratedFailureCount", "toleratedFailurePercentage")
TIME_LIMIT_S = 300  # AWS: TestState runs for up to five minutes
RETRYING_TYPES = ("Task", "Parallel", "Map")  # the states with Retry, and $$.State.RetryCount


def apply() -> None:
    """Add ``TestState`` to moto's Step Functions API."""
    test_state_action_is_served()


def test_state_action_is_served() -> None:
    """``TestState`` runs one state and answers as AWS does (see this module's docstring);
    moto's server answers ``NotImplementedError: The test_state action has not been
    implemented``."""
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def test_state(self):
        request = Request.of(self._get_param)
        return ActionResult(run(self.stepfunction_backend, request))

    StepFunctionResponse.test_state = test_state


@dataclass
class Request:
    """The fields of a ``TestState`` request."""

    definition: str
    role_arn: str | None = None
    input: str | None = None
    inspection_level: str = "INFO"
    reveal_secrets: bool = False
    variables: str | None = None
    state_name: str | None = None
    mock: dict | None = None
    context: str | None = None
    configuration: dict = field(default_factory=dict)

    @classmethod
    def of(cls, param) -> Request:
        """The request from the API's parameters (``param(name)`` reads one)."""
        return cls(
            definition=param("definition") or "",
            role_arn=param("roleArn"),
            input=param("input"),
            inspection_level=param("inspectionLevel") or "INFO",
            reveal_secrets=bool(param("revealSecrets")),
            variables=param("variables"),
            state_name=param("stateName"),
            mock=param("mock"),
            context=param("context"),
            configuration=param("stateConfiguration") or {},
        )


@dataclass
class Inspection:
    """What one run saw: the inspection data, and how the state ended."""

    fields: tuple
    data: dict = field(default_factory=dict)
    error_details: dict = field(default_factory=dict)
    retriable: bool = False
    caught: tuple[str, str] | None = None  # the error and cause a catcher caught
    failure: tuple[str, str] | None = None

    def record(self, key: str, value: Any) -> None:
        if key in self.fields:
            self.data[key] = value if key in NUMBERS else _json(value)

    def report(self, variables: dict) -> dict:
        """``inspectionData``, in the API's shape."""
        report = dict(self.data)
        if self.error_details:
            report["errorDetails"] = dict(self.error_details)
        if variables:
            report["variables"] = _json(variables)
        return report


def _json(value: Any) -> str:
    return json.dumps(value, default=str)


def run(backend, request: Request) -> dict:
    """Check and run ``request`` on ``backend``'s account and region; TestState's answer."""
    selected = checks.selected_state(request.definition, request.state_name)
    name, state_json, machine = selected.name, selected.state, selected.machine
    mock = checks.checked_mock(
        request.mock, state_json, request.reveal_secrets, request.configuration
    )
    checks.check_role(request.role_arn, state_json, mock)
    context = checks.checked_context(request.context, state_json)
    state_input = checks.parsed_json(request.input, {}, "input")
    variables = checks.parsed_json(request.variables, {}, "variables")
    if not isinstance(variables, dict):
        raise checks.validation_error("Invalid variables: variables must be a JSON object")

    state = parsed_state(machine, name)
    inspection = Inspection(fields=inspected_fields(state, state_json))
    retry_count = request.configuration.get("retrierRetryCount") or 0
    if context is None:
        context = default_context(backend, request.role_arn, state_json, state_input, retry_count)
    prepare(state, state_json, inspection, mock, request.configuration, context.get("State"))
    env = environment(backend, request.role_arn, state_input, context)
    for variable, value in variables.items():
        env.variable_store.set(variable_identifier=variable, variable_value=value)
    inspection.record("input", state_input)
    run_once(state, env, inspection)
    answer = outcome(env, inspection)
    if request.inspection_level in LEVELS_WITH_INSPECTION_DATA:
        answer["inspectionData"] = inspection.report(_variables(env))
    return answer


def parsed_state(machine: dict, name: str):
    """The state ``name`` of ``machine``, parsed by moto's parser (with the emulator's fixes)."""
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    program, _ = AmazonStateLanguageParser.parse(json.dumps(machine))
    return program.states.states[name]


def inspected_fields(state, state_json: dict) -> tuple:
    """The ``inspectionData`` fields AWS reports for this state (see JSONPATH_FIELDS)."""
    kind = state_json.get("Type")
    if state._is_language_query_jsonpath():
        if kind == "Pass" and "Result" in state_json:
            kind = "Pass with Result"
        return JSONPATH_FIELDS.get(kind, ("input", "afterInputPath"))
    return JSONATA_FIELDS.get(kind, ("input",))


def environment(backend, role_arn: str | None, state_input, context: dict):
    """moto's evaluation environment for one TestState run, with this context object."""
    from moto.stepfunctions.parser.api import StateMachineType
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.eval.evaluation_details import AWSExecutionDetails
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext

    # moto's States takes the state's input from Execution.Input, once: lend it the state's
    execution = context.get("Execution")
    lent = context.setdefault("Execution", {})
    kept = copy.copy(lent)
    lent["Input"] = copy.deepcopy(state_input)
    env = Environment(
        aws_execution_details=AWSExecutionDetails(
            account=backend.account_id, region=backend.region_name, role_arn=role_arn
        ),
        execution_type=StateMachineType.EXPRESS,
        context=context,
        event_history_context=EventHistoryContext.of_program_start(),
        cloud_watch_logging_session=None,
        activity_store={},
    )
    lent.clear()
    lent.update(kept)
    if execution is None:
        del context["Execution"]
    if "Task" in context:  # the request's task token, not a new one
        token = context["Task"].get("Token")
        env.states.context_object.update_task_token = lambda: token
    return env


def default_context(backend, role_arn, state_json: dict, state_input, retry_count: int) -> dict:
    """The context object of a TestState run without one, as AWS makes it up: an EXPRESS
    execution (``arn:aws:states:REGION:ACCOUNT:express:MACHINE:EXECUTION``) of a made-up
    machine, whose ``RoleArn`` is the request's (``null`` without one); the state is named
    ``StateName`` whatever its name in a whole machine, and has a ``RetryCount`` when it is a
    state that can retry (Task, Parallel, Map), as in an execution. (AWS-recorded, in LocalStack's
    TestState snapshots: ``test_state_with_variables`` for a Pass state tested by ``stateName``
    without a role; ``test_map_state_failure_count`` and ``test_state_task_catch_error``.)"""
    machine, execution = str(uuid.uuid4()), str(uuid.uuid4())
    now = interpreter.aws_timestamp(datetime.datetime.now(tz=datetime.timezone.utc))
    prefix = f"arn:aws:states:{backend.region_name}:{backend.account_id}"
    state = {"Name": checks.SINGLE_STATE_NAME, "EnteredTime": now}
    if state_json.get("Type") in RETRYING_TYPES:
        state["RetryCount"] = retry_count
    return {
        "Execution": {
            "Id": f"{prefix}:express:{machine}:{execution}",
            "Input": copy.deepcopy(state_input),
            "Name": execution,
            "RoleArn": role_arn,
            "StartTime": now,
        },
        "StateMachine": {"Id": f"{prefix}:stateMachine:{machine}", "Name": machine},
        "State": state,
    }


def _variables(env) -> dict:
    """The variables after the state: the request's and those the state assigned."""
    store = env.variable_store
    return {**store._outer_scope, **store._inner_scope}


# ---------------------------------------------------------------- running the state


def run_once(state, env, inspection: Inspection) -> None:
    """Evaluate ``state`` once in ``env``; how it ended is left in ``env`` and ``inspection``.

    AWS: "The TestState API can run for up to five minutes. If the execution of a state exceeds
    this duration, it fails with the States.Timeout error." (A Wait state waits.)
    """
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEventException,
    )

    def evaluate():
        try:
            state.eval(env=env)
        except FailureEventException as failure:
            pair = failure.extract_error_cause_pair() or ("", "")
            outcomes.append((pair[0] or "", pair[1] or ""))
        except Exception as error:  # noqa: BLE001 - as moto's interpreter reports it
            outcomes.append(("States.Runtime", f"{type(error).__name__}({error})"))
        else:
            outcomes.append(None)

    outcomes: list = []
    env.next_state_name = state.name
    worker = threading.Thread(target=evaluate, name="TestState", daemon=True)
    worker.start()
    worker.join(TIME_LIMIT_S)
    if not outcomes:
        env.set_timed_out()  # ends a Wait; whatever the state still does is not reported
        inspection.failure = ("States.Timeout", "")
        return
    inspection.failure = outcomes[0]


def outcome(env, inspection: Inspection) -> dict:
    """TestState's answer without ``inspectionData``."""
    if inspection.failure is not None:
        error, cause = inspection.failure
        status = "RETRIABLE" if inspection.retriable else "FAILED"
        answer = {"status": status, "error": error}
        if cause:
            answer["cause"] = cause
        return answer
    answer = {"status": "SUCCEEDED", "output": _json(env.states.get_input())}
    if inspection.caught:
        answer["status"] = "CAUGHT_ERROR"
        answer["error"], answer["cause"] = inspection.caught
    if env.is_running() and env.next_state_name is not None:
        answer["nextState"] = env.next_state_name
    return answer


def prepare(
    state, state_json: dict, inspection: Inspection, mock, configuration: dict, context_state
) -> None:
    """Decorate the parsed ``state`` for one TestState run (moto's TestState preprocessor
    decorates its states the same way): record the inspection data, keep the request's context
    object, evaluate once, take results from the mock."""
    from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState

    jsonpath = state._is_language_query_jsonpath()
    kind = state_json.get("Type")
    keep_context_state(state, context_state)
    if jsonpath and state.input_path is not None:
        _record_after(state.input_path, inspection, "afterInputPath")
    if jsonpath and getattr(state, "result_path", None) is not None:
        _record_around_result_path(state, inspection, kind == "Pass", "Result" in state_json)
    if isinstance(state, ExecutionState):
        one_attempt(state, inspection, configuration.get("retrierRetryCount") or 0)
        in_place(state)
        if kind == "Task":
            task_execution(state, inspection, mock, jsonpath)
        elif kind == "Map":
            mocked_map(state, state_json, inspection, mock, configuration)
        elif kind == "Parallel":
            state._eval_execution = lambda env: _mocked_response(env, mock)


def keep_context_state(state, context_state: dict | None) -> None:
    """``$$.State`` is the context object's: the request's (as given, even empty, or missing)
    or the one made up for the run. moto sets a new one when the state is entered."""
    original = state._eval_state_input

    def _eval_state_input(env):
        data = env.states.context_object.context_object_data
        data.pop("State", None)
        if context_state is not None:
            data["State"] = copy.deepcopy(context_state)
        return original(env)

    state._eval_state_input = _eval_state_input


def _record_after(component, inspection: Inspection, key: str) -> None:
    """Record the value ``component`` leaves on the stack as ``key``."""
    original = component._eval_body

    def _eval_body(env):
        original(env)
        inspection.record(key, env.stack[-1])

    component._eval_body = _eval_body


def _record_around_result_path(state, inspection: Inspection, is_pass: bool, has_result: bool):
    """The value reaching ``ResultPath`` is the result after ``ResultSelector`` (a Pass state's
    ``Result``, or its effective input); what leaves it, the input with the result placed."""
    original = state.result_path._eval_body

    def _eval_body(env):
        value = env.stack[-1] if env.stack else None
        inspection.record("afterResultSelector", value)
        if is_pass:
            inspection.record("result" if has_result else "afterParameters", value)
        original(env)
        inspection.record("afterResultPath", env.stack[-1])

    state.result_path._eval_body = _eval_body


def one_attempt(state, inspection: Inspection, retry_count: int) -> None:
    """The state runs once. When it fails, the first retrier whose ``ErrorEquals`` matches
    decides: with retries left (``retrierRetryCount`` so far, 0 by default) the status is
    RETRIABLE with the retrier's index and the interval it would wait
    (``IntervalSeconds * BackoffRate ** retries``, at most ``MaxDelaySeconds``); otherwise the
    catchers are tried in order, and the first that matches makes it CAUGHT_ERROR, with its
    index, its output and its ``Next``."""
    from moto.stepfunctions.parser.asl.component.common.catch.catch_outcome import CatchOutcome
    from moto.stepfunctions.parser.asl.component.common.catch.catcher_outcome import (
        CatcherOutcomeCaught,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEventException,
    )

    def _eval_state(env):
        try:
            state._evaluate_with_timeout(env)
            return
        except Exception as error:  # noqa: BLE001 - every failure goes to retriers and catchers
            failure = state._from_error(env=env, ex=error)
        error_output = state._construct_error_output_value(failure_event=failure)
        env.states.set_error_output(error_output)
        if state.retry and _would_retry(state, env, failure, inspection, retry_count):
            inspection.retriable = True
            raise FailureEventException(failure_event=failure)
        for index, catcher in enumerate(state.catch.catchers if state.catch else ()):
            env.stack.append(failure)
            catcher.eval(env)
            if isinstance(env.stack.pop(), CatcherOutcomeCaught):
                inspection.error_details["catchIndex"] = index
                inspection.caught = (error_output["Error"], error_output["Cause"])
                env.stack.append(CatchOutcome.Caught)
                return
            env.stack.pop()  # the failure, put back by the catcher that did not match
        raise FailureEventException(failure_event=failure)

    state._eval_state = _eval_state


def _would_retry(state, env, failure, inspection: Inspection, retry_count: int) -> bool:
    from moto.stepfunctions.parser.asl.component.common.retry.jitter_strategy_decl import (
        JitterStrategy,
    )

    for index, retrier in enumerate(state.retry.retriers):
        env.stack.append(failure.error_name)
        retrier.error_equals.eval(env)
        if not env.stack.pop():
            continue
        inspection.error_details["retryIndex"] = index
        if retry_count >= retrier.max_attempts.attempts:
            return False
        interval = retrier.interval_seconds.seconds * retrier.backoff_rate.rate**retry_count
        interval = min(interval, retrier.max_delay_seconds.max_delays_seconds)
        if retrier.jitter_strategy.jitter_strategy == JitterStrategy.FULL:
            interval = random.uniform(0, interval)
        inspection.error_details["retryBackoffIntervalSeconds"] = int(interval)
        return True
    return False


def in_place(state) -> None:
    """The state's work runs in place, on the run's own environment, then its result is
    processed as moto does it (JSONata's ``$states.result``, ``Assign``, ``ResultSelector``,
    ``ResultPath``). moto runs it in a frame of its own, whose context object must have an
    ``Execution`` and a ``StateMachine``: a context object given with the request may have
    neither. With ``TimeoutSeconds`` (or ``TimeoutSecondsPath``) the work is given that long and
    then fails with ``States.Timeout``, as in moto's frame."""
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import EvalTimeoutError

    def _evaluate_with_timeout(env):
        seconds = None
        if not state.timeout.is_default_value():
            state.timeout.eval(env=env)
            seconds = env.stack.pop()
        depth, outcome = len(env.stack), []

        def work():
            try:
                state._eval_execution(env)
                outcome.append((None, env.stack.pop()))
            except Exception as error:  # noqa: BLE001 - raised below, in the state's thread
                outcome.append((error, None))

        try:
            if seconds is None:
                work()
            else:
                worker = threading.Thread(target=work, name="TestState work", daemon=True)
                worker.start()
                worker.join(seconds)
                if not outcome:
                    raise EvalTimeoutError()
        finally:
            del env.stack[depth:]
        error, result = outcome[0]
        if error is not None:
            raise error
        lambda_service.process_task_result(state, env, result)

    state._evaluate_with_timeout = _evaluate_with_timeout


def task_execution(state, inspection: Inspection, mock, jsonpath: bool) -> None:
    """A Task records its effective parameters (``afterParameters``, or ``afterArguments`` in
    JSONata) and its ``result``; with a mock, the parameters are evaluated and the mock's result
    or error takes the place of the service's answer."""
    key = "afterParameters" if jsonpath else "afterArguments"
    if state.parargs is not None:
        _record_after(state.parargs, inspection, key)
    original = state._eval_execution

    def _eval_execution(env):
        if state.parargs is None and jsonpath:
            inspection.record(key, env.stack[-1])
        if mock is None:
            original(env)
        else:
            context = env.states.context_object
            if getattr(state.resource, "condition", None) and "Task" not in (
                context.context_object_data
            ):
                context.update_task_token()
            if state.parargs is not None:
                state.parargs.eval(env=env)
                env.stack.pop()
            _mocked_response(env, mock)
        inspection.record("result", env.stack[-1])

    state._eval_execution = _eval_execution


def _mocked_response(env, mock) -> None:
    """The mock's result on the stack, or its error raised, as moto's mocked responses are
    (an error named ``States.…`` is that predefined error, as a catcher of it sees it)."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.mock_eval_utils import (
        eval_mocked_response,
    )
    from moto.stepfunctions.parser.mocking.mock_config import (
        MockedResponseReturn,
        MockedResponseThrow,
    )

    if mock.fails and mock.error.startswith("States."):
        raise _predefined_error(env, mock.error, mock.cause)
    if mock.fails:
        response = MockedResponseThrow(0, 0, error=mock.error, cause=mock.cause)
    else:
        response = MockedResponseReturn(0, 0, payload=mock.result)
    eval_mocked_response(env=env, mocked_response=response)


def mocked_map(state, state_json: dict, inspection: Inspection, mock, configuration) -> None:
    """A Map state evaluates its items (``ItemsPath``/``Items``, or ``mapItemReaderData`` for an
    ``ItemReader``), ``MaxConcurrency`` and its tolerated failures, then takes its result from
    the mock. With ``mapIterationFailureCount`` failed iterations beyond its
    ``ToleratedFailureCount``/``ToleratedFailurePercentage`` it fails with
    ``States.ExceedToleratedFailureThreshold``; a mocked error is the Map's error."""
    count_given = any(key.startswith("ToleratedFailureCount") for key in state_json)
    percentage_given = any(key.startswith("ToleratedFailurePercentage") for key in state_json)

    def _eval_execution(env):
        items = _map_items(state, state_json, env, inspection, configuration)
        if isinstance(items, list):
            items = _selected_and_batched(state, state_json, env, inspection, items)
        state.max_concurrency_decl.eval(env=env)
        inspection.record("maxConcurrency", env.stack.pop())
        count = percentage = None
        if count_given:
            state.tolerated_failure_count_decl.eval(env=env)
            count = env.stack.pop()
            inspection.record("toleratedFailureCount", count)
        if percentage_given:
            state.tolerated_failure_percentage_decl.eval(env=env)
            percentage = float(env.stack.pop())
            inspection.record("toleratedFailurePercentage", percentage)
        if not mock.fails:
            failed = configuration.get("mapIterationFailureCount") or 0
            if not isinstance(items, list):
                items = mock.result if isinstance(mock.result, list) else []
            total = len(items)
            exceeded = count is not None and failed > count
            if percentage is not None and total:
                exceeded = exceeded or failed * 100 / total > percentage
            if exceeded:
                raise _tolerance_exceeded(env)
        _mocked_response(env, mock)

    state._eval_execution = _eval_execution


def _selected_and_batched(state, state_json: dict, env, inspection: Inspection, items: list):
    """Each iteration's input: ``ItemSelector`` (or a JSONPath Map's ``Parameters``) applied to
    each item, as moto's iterations apply it (``$`` the Map's input, ``$$.Map.Item`` the item),
    then grouped by ``ItemBatcher``. AWS's inspectionData: ``afterItemSelector``, "an array
    containing the inputs for each Map iteration, transformed by the ItemSelector", and
    ``afterItemBatcher``, "the effective input after the ItemBatcher filter is applied"."""
    selector = state.item_selector or state.parameters
    if selector is not None:
        effective_input = env.stack[-1] if env.stack else env.states.get_input()
        data = env.states.context_object.context_object_data
        selected = []
        for index, item in enumerate(items):
            data["Map"] = {"Item": {"Index": index, "Value": item}}
            depth = len(env.stack)
            env.stack.append(effective_input)
            try:
                selector.eval(env=env)
                selected.append(env.stack[-1])
            finally:
                del env.stack[depth:]
                data.pop("Map", None)
        items = selected
        inspection.record("afterItemSelector", items)
    if isinstance(state_json.get("ItemBatcher"), dict):
        state_input = env.stack[-1] if env.stack else env.states.get_input()
        items = map_state.batches(items, state_json["ItemBatcher"], state_input)
        inspection.record("afterItemBatcher", items)
    return items


def _map_items(state, state_json: dict, env, inspection: Inspection, configuration: dict):
    """The items a mocked Map would iterate over (``None`` when unknown)."""
    if state.item_reader is not None:
        reader = state_json.get("ItemReader") or {}
        return reader_items(configuration.get("mapItemReaderData"), reader.get("ReaderConfig"))
    if state.items is not None:
        state.items.eval(env=env)
        return env.stack.pop()
    if state.items_path is None:
        return None
    state.items_path.eval(env=env)
    items = env.stack.pop()
    if not isinstance(items, list):
        path = str(state_json.get("ItemsPath", "$"))
        path = path[1:] if path.startswith("$$") else path  # $$ is the context object's $
        raise interpreter.runtime_error(env, f'Reference path "{path}" must point to array.')
    inspection.record("afterItemsPath", items)
    return items


def reader_items(data, reader_config) -> list | None:
    """The items in ``mapItemReaderData``, "the data read by ItemReader ... as found in its
    original source" (AWS): per the ReaderConfig's ``InputType``, a JSON array, JSON lines, or
    CSV rows (after the header row, unless ``CSVHeaderLocation`` is GIVEN); ``None`` when there
    is none or it cannot be read (the items are then not counted)."""
    if not isinstance(data, str):
        return None
    config = reader_config if isinstance(reader_config, dict) else {}
    kind = config.get("InputType", "JSON")
    try:
        if kind == "JSONL":
            return [json.loads(line) for line in data.splitlines() if line.strip()]
        if kind == "CSV":
            rows = [row for row in csv.reader(io.StringIO(data)) if row]
            return rows if config.get("CSVHeaderLocation") == "GIVEN" else rows[1:]
        items = json.loads(data)
    except ValueError:
        return None
    return items if isinstance(items, list) else None


def _predefined_error(env, error: str, cause: str):
    """A Task failure with a ``States.…`` error (``States.TaskFailed``, ``States.Timeout``...)."""
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    try:
        error_name = StatesErrorName.from_name(error)
    except ValueError:
        error_name = ErrorName(error_name=error)
    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=error_name,
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(
                taskFailedEventDetails=TaskFailedEventDetails(error=error, cause=cause)
            ),
        )
    )


def _tolerance_exceeded(env):
    from moto.stepfunctions.parser.api import HistoryEventType, MapRunFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=StatesErrorName(
                typ=StatesErrorNameType.StatesExceedToleratedFailureThreshold
            ),
            event_type=HistoryEventType.MapRunFailed,
            event_details=EventDetails(
                mapRunFailedEventDetails=MapRunFailedEventDetails(
                    error=map_state.TOLERANCE_EXCEEDED_ERROR,
                    cause=map_state.TOLERANCE_EXCEEDED_CAUSE,
                )
            ),
        )
    )
