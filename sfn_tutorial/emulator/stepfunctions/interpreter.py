"""Where moto's Step Functions interpreter runs a state machine differently from AWS.

Found by running the AWS-recorded conformance cases in ``../shared/conformance/`` (see
``tests/test_conformance.py``). ``apply()`` is called once, in the emulator process, before the
server starts. Each fix is a small function with a docstring saying what AWS does;
``tests/test_stepfunctions_interpreter.py`` checks each one against a running emulator.
"""

from __future__ import annotations

import datetime
import json
import re

# A Wait may last at most 2**31 - 1 seconds (about 68 years); AWS fails longer ones.
MAX_WAIT_SECONDS = 2**31 - 1
# "In this mode, the Map state supports up to 40 concurrent iterations." (AWS, Inline Map)
INLINE_MAP_CONCURRENCY = 40
# What makes a JSONPath "indefinite" (it may name many places): *, .., a filter ?(...), a slice
# [a:b] or a union [a,b]. Quoted names are taken out first: $['a:b'] names one place.
_INDEFINITE_PATH = re.compile(r"\*|\.\.|\?\(|\[[^\]]*[:,][^\]]*\]")
_QUOTED_NAME = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
# A JSONPath made of names only: $.a.b or $['a']['b'] (what Jayway's path messages spell out).
_NAMES_PATH = re.compile(r"\$(?:\.[A-Za-z_$][\w$-]*|\['[^']*'\])+")
_PATH_NAME = re.compile(r"\.([A-Za-z_$][\w$-]*)|\['([^']*)'\]")
# How Step Functions places a States.Runtime or States.QueryEvaluationError cause in its state.
_PLACED_CAUSE = re.compile(
    r"An error occurred while executing the state '.*' \(entered at the event id #\d+\)\. ", re.S
)


def apply() -> None:
    """Make moto's interpreter run state machines as AWS does where the conformance cases differ."""
    unmatched_choice_fails_with_no_choice_matched()
    choice_rules_on_a_missing_path_fail()
    each_parse_starts_with_no_query_language()
    assigned_string_literals_are_json_strings()
    context_object_times_are_iso_strings()
    assign_takes_effect_after_the_state_output()
    wait_longer_than_the_limit_fails()
    unparsable_jsonata_timestamps_are_query_evaluation_errors()
    map_input_that_is_not_an_array_is_shown_as_json()
    string_outputs_are_json_text()
    inline_map_runs_at_most_40_iterations_at_once()
    definite_json_paths_give_one_value()
    map_workers_take_any_number_of_items()
    failures_name_the_event_where_the_state_was_entered()
    missing_properties_in_paths_are_named()
    errors_leaving_a_map_or_parallel_keep_their_names()
    a_cause_is_placed_in_its_state_once()
    jsonata_parallel_states_write_no_parallel_state_failed()


def unmatched_choice_fails_with_no_choice_matched() -> None:
    """A Choice state whose rules all fail and that has no ``Default`` fails the execution with
    the error ``States.NoChoiceMatched`` (ASL specification, "Predefined error codes").

    moto raises a plain ``RuntimeError``, which surfaces as ``States.Runtime``.
    """
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.choice.state_choice import StateChoice

    original = StateChoice._eval_state

    def _eval_state(self, env):
        try:
            return original(self, env)
        except RuntimeError:
            if self.default_state is not None:
                raise
        cause = f"No Choice Rule matched the input of state '{self.name}', which has no Default."
        raise execution_failure(env, StatesErrorNameType.StatesNoChoiceMatched, cause)

    StateChoice._eval_state = _eval_state


def invalid_path(path: str) -> str:
    """AWS's cause for a Choice Rule whose path is not in the input."""
    return f"Invalid path '{path}': The choice state's condition path references an invalid value."


def choice_rules_on_a_missing_path_fail() -> None:
    """A JSONPath Choice Rule whose ``Variable`` names a path that is not in the state's input
    fails the execution with ``States.Runtime``, "Invalid path '$.x': The choice state's
    condition path references an invalid value." (placed in its state, as every
    ``States.Runtime`` cause); ``Default`` is not taken. So does a ``...Path`` comparison
    (``NumericEqualsPath``) whose path is missing. Only ``IsPresent`` tests whether the
    path is there, which is why AWS's docs pair it with the other tests in an ``And``.

    moto reads the missing value as one that matches nothing, so the Choice goes on to the next
    rule or its ``Default``.
    """
    from moto.stepfunctions.parser.asl.component.state.choice.comparison.comparison_func import (
        ComparisonFuncValue,
    )
    from moto.stepfunctions.parser.asl.component.state.choice.comparison.comparison_operator_type import (  # noqa: E501
        ComparisonOperatorType,
    )
    from moto.stepfunctions.parser.asl.component.state.choice.comparison.comparison_variable import (  # noqa: E501
        ComparisonVariable,
    )
    from moto.stepfunctions.parser.asl.component.state.choice.comparison.variable import (
        NoSuchVariable,
    )
    from moto.stepfunctions.parser.asl.utils.json_path import NoSuchJsonPathError

    def _eval_body(self, env):
        self.variable.eval(env)
        operator = self.comparison_function.operator_type
        if (
            isinstance(env.stack[-1], NoSuchVariable)
            and operator != ComparisonOperatorType.IsPresent
        ):
            env.stack.pop()
            raise runtime_error(env, invalid_path(self.variable.string_sampler.literal_value))
        self.comparison_function.eval(env)

    ComparisonVariable._eval_body = _eval_body

    original_value = ComparisonFuncValue._eval_body

    def _eval_value(self, env):  # NumericEqualsPath and the like: their path is missing too
        if not self.operator_type.name.endswith("Path"):
            return original_value(self, env)
        try:
            return original_value(self, env)
        except NoSuchJsonPathError:
            pass
        raise runtime_error(env, invalid_path(self.value))

    ComparisonFuncValue._eval_body = _eval_value


def aws_timestamp(moment: datetime.datetime) -> str:
    """``moment`` as Step Functions writes times in the context object: ISO-8601, UTC,
    milliseconds, ``Z`` (e.g. ``2024-11-26T09:30:00.123Z``)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    utc = moment.astimezone(datetime.timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def each_parse_starts_with_no_query_language() -> None:
    """Every definition is read on its own: its ``QueryLanguage`` (JSONPath by default) decides
    which fields its states may use, whatever definitions came before it.

    moto keeps the stack of query languages of the scopes being parsed in a list shared by every
    parse, and a definition that fails to parse leaves its scopes on it (so does a parse running
    at the same time in another thread). A later JSONPath definition is then read as JSONata and
    rejected, e.g. ``Unsupported declaration in QueryLanguage=JSONPath block: "Parameters"``.
    Here each parse gets its own stack.
    """
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    original_init = Preprocessor.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self._query_language_per_scope = []

    Preprocessor.__init__ = __init__


def assigned_string_literals_are_json_strings() -> None:
    """``"Assign": {"quote": "\\"", "doc": "{\\"key\\":\\"value\\"}"}`` stores the strings that
    the JSON definition spells: escape sequences such as ``\\"`` and ``\\n`` are read as JSON reads
    them, as for every other string of the definition.

    moto keeps a string literal of ``Assign`` as written, backslashes included, so ``$quote``
    holds two characters and ``States.StringToJson($doc)`` fails.
    """
    from moto.stepfunctions.parser.asl.component.common.assign import (
        assign_template_value_terminal as terminal,
    )
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    original = Preprocessor.visitAssign_template_value_terminal_string_literal

    def visit_string_literal(self, ctx):
        try:
            value = json.loads(ctx.string_literal().getText())
        except ValueError:
            return original(self, ctx)
        return terminal.AssignTemplateValueTerminalLit(value=value)

    Preprocessor.visitAssign_template_value_terminal_string_literal = visit_string_literal


def context_object_times_are_iso_strings() -> None:
    """``$$.Execution.StartTime`` and ``$$.State.EnteredTime`` (``$states.context`` in JSONata)
    are ISO-8601 strings such as ``2024-11-26T09:30:00.123Z``; a STANDARD execution's
    ``$$.Execution`` also has ``RedriveCount`` (0 until the execution is redriven).

    moto puts the execution's start time in the context object as a Python ``datetime``; an
    output that holds it cannot be serialised and ``DescribeExecution`` answers with HTTP 500.
    """
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    original_environment = ExecutionWorker._get_evaluation_environment

    def _get_evaluation_environment(self):
        env = original_environment(self)
        execution = env.states.context_object.context_object_data["Execution"]
        if isinstance(execution.get("StartTime"), datetime.datetime):
            execution["StartTime"] = aws_timestamp(execution["StartTime"])
        if env.is_standard_workflow():
            execution.setdefault("RedriveCount", 0)
        return env

    ExecutionWorker._get_evaluation_environment = _get_evaluation_environment

    # moto sets State.EnteredTime with isoformat() just before it evaluates the state's input.
    original_input = CommonStateField._eval_state_input

    def _eval_state_input(self, env):
        state = env.states.context_object.context_object_data.get("State") or {}
        if isinstance(state.get("EnteredTime"), str) and "+" in state["EnteredTime"]:
            entered = datetime.datetime.fromisoformat(state["EnteredTime"])
            state["EnteredTime"] = aws_timestamp(entered)
        return original_input(self, env)

    CommonStateField._eval_state_input = _eval_state_input


def assign_takes_effect_after_the_state_output() -> None:
    """A state's ``Assign`` takes effect when the state completes: every expression of the state,
    ``OutputPath`` and ``Output`` included, still sees the variables' values from before it.

    moto stores the assigned values at once, so the state's ``OutputPath``/``Output`` reads the
    new values. Here assignments are kept aside until the state's output is computed.
    """
    from moto.stepfunctions.parser.asl.component.common.assign.assign_decl import AssignDecl
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
    from moto.stepfunctions.parser.asl.eval.variable_store import VariableStore

    original_set = VariableStore.set

    def set_or_collect(self, variable_identifier, variable_value):
        collecting = getattr(self, "_tutorial_collecting", None)
        if collecting is None:
            return original_set(self, variable_identifier, variable_value)
        collecting[variable_identifier] = variable_value

    VariableStore.set = set_or_collect

    original_assign = AssignDecl._eval_body

    def _eval_body(self, env):
        pending = getattr(env, "_tutorial_pending_assignments", None)
        if pending is None:
            return original_assign(self, env)
        env.variable_store._tutorial_collecting = pending
        try:
            original_assign(self, env)
        finally:
            env.variable_store._tutorial_collecting = None

    AssignDecl._eval_body = _eval_body

    original_input = CommonStateField._eval_state_input

    def _eval_state_input(self, env):
        env._tutorial_pending_assignments = {}
        return original_input(self, env)

    CommonStateField._eval_state_input = _eval_state_input

    for state_class in _subclasses(CommonStateField):
        if "_eval_state_output" in vars(state_class):
            _assign_after_output(state_class)


def _assign_after_output(state_class) -> None:
    """Store the state's pending assignments once ``state_class`` has computed its output."""
    original = vars(state_class)["_eval_state_output"]

    def _eval_state_output(self, env):
        original(self, env)
        pending = getattr(env, "_tutorial_pending_assignments", None)
        env._tutorial_pending_assignments = None
        for identifier, value in (pending or {}).items():
            env.variable_store.set(variable_identifier=identifier, variable_value=value)

    state_class._eval_state_output = _eval_state_output


def _subclasses(cls) -> list[type]:
    """``cls`` and every class below it, once each."""
    import moto.stepfunctions.parser.asl.parse.preprocessor  # noqa: F401 - imports every state

    found, todo = [], [cls]
    while todo:
        current = todo.pop()
        if current not in found:
            found.append(current)
            todo.extend(current.__subclasses__())
    return found


def wait_longer_than_the_limit_fails() -> None:
    """A Wait state whose delay is longer than 2**31 - 1 seconds (``Seconds``, ``SecondsPath``,
    or a ``Timestamp``/``TimestampPath`` about 68 years ahead) fails the execution with
    ``States.Runtime``, cause ``Wait state delay is too long.``

    moto starts waiting, and the execution stays RUNNING.
    """
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
        WaitFunction,
    )

    def _eval_body(self, env):
        seconds = self._get_wait_seconds(env=env)
        if seconds > MAX_WAIT_SECONDS:
            raise runtime_error(env, "Wait state delay is too long.")
        self._wait_interval(env=env, wait_seconds=seconds)

    WaitFunction._eval_body = _eval_body


def runtime_error(env, cause: str):
    """A ``States.Runtime`` failure of the current state with ``cause``."""
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )

    return execution_failure(env, StatesErrorNameType.StatesRuntime, cause)


def execution_failure(env, error, cause: str):
    """A failure of the current state with the predefined ``error`` (a ``StatesErrorNameType``)
    and ``cause``, as the interpreter raises its own errors."""
    from moto.stepfunctions.parser.api import ExecutionFailedEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    return FailureEventException(
        FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=error),
            event_type=HistoryEventType.ExecutionFailed,
            event_details=EventDetails(
                executionFailedEventDetails=ExecutionFailedEventDetails(
                    error=error.to_name(), cause=cause
                )
            ),
        )
    )


def unparsable_jsonata_timestamps_are_query_evaluation_errors() -> None:
    """A JSONata ``Timestamp`` whose value is not an ISO-8601 date-time fails with
    ``States.QueryEvaluationError``, cause ``The Timestamp field cannot be parsed as an ISO-8601
    extended offset date-time format string: VALUE``.

    moto reports it as ``States.Runtime`` with the JSONPath wording, quoting the expression.
    """
    from moto.stepfunctions.parser.asl.component.common.string.string_expression import (
        StringJSONata,
    )
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import (
        Timestamp,
    )

    from sfn_tutorial.emulator.stepfunctions import jsonata_support

    original = Timestamp._create_failure_event

    def _create_failure_event(self, env, timestamp_str):
        if not isinstance(self.string, StringJSONata):
            return original(self, env, timestamp_str)
        cause = (
            "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time "
            f"format string: {timestamp_str}"
        )
        return jsonata_support.query_evaluation_error(env, cause).failure_event

    Timestamp._create_failure_event = _create_failure_event


def map_input_that_is_not_an_array_is_shown_as_json() -> None:
    """A JSONata Map state without ``Items`` whose input is not an array fails with
    ``States.QueryEvaluationError``, cause ``Map state input must be an array but was: VALUE``,
    the value written as JSON (``1``, ``"string"``, ``{"foo":"bar"}``, ``null``).

    moto writes the Python type instead, e.g. ``<class 'int'>``.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap

    from sfn_tutorial.emulator.stepfunctions import jsonata_support

    original = StateMap._eval_execution

    def _eval_execution(self, env):
        jsonata_state_input = not (
            self.items or self.item_reader or self._is_language_query_jsonpath()
        )
        if jsonata_state_input and env.stack and not isinstance(env.stack[-1], list):
            value = json.dumps(env.stack[-1], separators=(",", ":"))
            cause = f"Map state input must be an array but was: {value}"
            raise jsonata_support.query_evaluation_error(env, cause, record=False)
        return original(self, env)

    StateMap._eval_execution = _eval_execution


def string_outputs_are_json_text() -> None:
    """An execution's ``output`` is JSON text: an execution whose result is the string
    ``Hello`` returns ``"Hello"`` (quoted), so ``json.loads(output)`` gives the string back.

    moto's interpreter keeps the result as a Python value, and moto's ``DescribeExecution``
    sends a string result as it is, unquoted; ``json.loads`` then fails.
    """
    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.responses import StepFunctionResponse

    original = StepFunctionResponse.describe_execution

    def describe_execution(self):
        result = original(self)
        answer = result.result
        execution = self.stepfunction_backend.describe_execution(answer["executionArn"])
        if isinstance(execution, Execution) and isinstance(execution.output, str):
            answer["output"] = json.dumps(execution.output)
        return result

    StepFunctionResponse.describe_execution = describe_execution


def inline_map_runs_at_most_40_iterations_at_once() -> None:
    """An Inline Map state runs at most 40 iterations at the same time, whatever its
    ``MaxConcurrency``: 0 (no limit of its own) and values over 40 both mean 40.

    moto starts one thread per item when ``MaxConcurrency`` is 0: a Map over 1,000 items ran
    1,000 threads at once, all competing for one interpreter lock. Distributed Maps keep their
    own limits (``map_state``).
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
        distributed_iteration_component,
        inline_iteration_component,
    )

    inline = inline_iteration_component.InlineIterationComponent
    distributed = distributed_iteration_component.DistributedIterationComponent
    original = inline._eval_body

    def _eval_body(self, env):
        eval_input = env.stack[-1] if env.stack else None
        limit = getattr(eval_input, "max_concurrency", None)
        if not isinstance(self, distributed) and limit is not None:
            if limit == 0 or limit > INLINE_MAP_CONCURRENCY:
                eval_input.max_concurrency = INLINE_MAP_CONCURRENCY
        return original(self, env)

    inline._eval_body = _eval_body


def is_definite(path: str) -> bool:
    """Whether a JSONPath names at most one place (``$.Items[0].quantity``), as opposed to an
    indefinite one (``$.Items[*].quantity``, ``$..quantity``, ``$.Items[?(@.n > 1)]``)."""
    return not _INDEFINITE_PATH.search(_QUOTED_NAME.sub("''", path))


def definite_json_paths_give_one_value() -> None:
    """A JSONPath that names one place gives the value there; an indefinite one gives a list,
    even of a single match: ``$.Items[0].quantity`` is ``3``, ``$.Items[*].quantity`` is ``[3]``
    (Step Functions evaluates paths as Jayway JsonPath does).

    moto returns a list whenever the value's parent is an array item, so ``$.Items[0].quantity``
    gave ``[3]``; and a single value for some indefinite paths (``$..quantity``, ``$.a.*``). A
    path that matches nothing still fails, or gives ``[]``, as moto decides.
    """
    from moto.stepfunctions.parser.asl.utils import json_path

    from sfn_tutorial.emulator.patching import replace_everywhere

    original = json_path.extract_json

    def extract_json(path: str, data):
        matches = json_path.parse(path).find(data)
        if not matches:
            return original(path, data)
        if is_definite(path):
            return matches[0].value
        return [match.value for match in matches]

    replace_everywhere(json_path, "extract_json", extract_json)


def map_workers_take_any_number_of_items() -> None:
    """A Map state processes any number of items, whatever its ``MaxConcurrency``: with
    ``MaxConcurrency`` 1, one worker runs all of them, one after the other.

    moto's Map worker calls itself once per item it has run (its last statement), so a worker
    that ran about 950 items stopped with Python's ``RecursionError``, failing the execution:
    a Map of 1,000 items with ``MaxConcurrency`` 1 could not finish. Here that last call is made
    after the one before it returned, in a loop: the same calls, in the same order.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
        iteration_worker,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor import (  # noqa: E501
        distributed_item_processor_worker,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.iterator import (
        distributed_iterator_worker,
    )

    for worker_class in (
        iteration_worker.IterationWorker,
        distributed_item_processor_worker.DistributedItemProcessorWorker,
        distributed_iterator_worker.DistributedIteratorWorker,
    ):
        _tail_call_in_a_loop(worker_class)


def _tail_call_in_a_loop(worker_class) -> None:
    original = worker_class.__dict__["_eval_pool"]

    def _eval_pool(self, job, worker_frame):
        if getattr(self, "_tutorial_pool_running", False):
            self._tutorial_next_pool_call = (job, worker_frame)  # the tail call: run it next
            return
        self._tutorial_pool_running = True
        try:
            call = (job, worker_frame)
            while call is not None:
                self._tutorial_next_pool_call = None
                original(self, *call)
                call = self._tutorial_next_pool_call
        finally:
            self._tutorial_pool_running = False

    worker_class._eval_pool = _eval_pool


def failures_name_the_event_where_the_state_was_entered() -> None:
    """A ``States.Runtime`` or ``States.QueryEvaluationError`` cause says which state failed and
    the id of the event that entered it: ``An error occurred while executing the state 'Call'
    (entered at the event id #2). ...``, also when the state wrote events after that one (a Task's
    ``LambdaFunctionScheduled``, ``...Started``, ``...Succeeded`` before its ``OutputPath``
    failed).

    moto names the last event the state wrote (#5 in that example).
    """
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
    )
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    original_input = CommonStateField._eval_state_input

    def _eval_state_input(self, env):
        # moto calls this right after it wrote the state's Entered event on this context.
        context = env.event_history_context
        context.tutorial_entered_event_id = context.last_published_event_id
        return original_input(self, env)

    CommonStateField._eval_state_input = _eval_state_input

    original_init = FailureEvent.__init__

    def __init__(self, env, *args, **kwargs):
        original_init(self, env, *args, **kwargs)
        entered = getattr(env.event_history_context, "tutorial_entered_event_id", None)
        if entered is not None:
            self.source_event_id = entered

    FailureEvent.__init__ = __init__

    original_frame = Environment.as_inner_frame_of.__func__

    def as_inner_frame_of(cls, env, *args, **kwargs):
        frame = original_frame(cls, env, *args, **kwargs)
        entered = getattr(env.event_history_context, "tutorial_entered_event_id", None)
        if entered is not None and frame.event_history_context is not env.event_history_context:
            frame.event_history_context.tutorial_entered_event_id = entered
        return frame

    Environment.as_inner_frame_of = classmethod(as_inner_frame_of)


def missing_path_cause(json_path: str, data) -> str | None:
    """How Step Functions (Jayway JsonPath) says that ``json_path`` finds nothing in ``data``:
    ``No results for path: $['a']['b']`` when only the last name is missing, ``Missing property
    in path $['a']`` when a name before it is. ``None`` for paths that are not names only."""
    if not _NAMES_PATH.fullmatch(json_path):
        return None
    names = [dotted or quoted for dotted, quoted in _PATH_NAME.findall(json_path)]
    current = data
    for position, name in enumerate(names):
        if isinstance(current, dict) and name in current:
            current = current[name]
            continue
        spelled = "$" + "".join(f"['{part}']" for part in names[: position + 1])
        if position == len(names) - 1:
            return f"No results for path: {spelled}"
        return f"Missing property in path {spelled}"
    return None


def missing_properties_in_paths_are_named() -> None:
    """An ``InputPath`` or ``OutputPath`` that finds nothing fails with ``States.Runtime``,
    cause ``Invalid path '$.no.such.path' : Missing property in path $['no']`` when a name on
    the way is missing, and ``... : No results for path: $['a']['b']`` when only the last one is.

    moto quotes the whole path as one name: ``No results for path: $['no.such.path']``.
    """
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.path.input_path import InputPath
    from moto.stepfunctions.parser.asl.component.common.path.output_path import OutputPath
    from moto.stepfunctions.parser.asl.utils.json_path import NoSuchJsonPathError

    for path_class in (InputPath, OutputPath):
        original = path_class._eval_body

        def _eval_body(self, env, original=original):
            try:
                return original(self, env)
            except FailureEventException as failure:
                missing = failure.__context__
                if isinstance(missing, NoSuchJsonPathError):
                    cause = missing_path_cause(missing.json_path, missing.data)
                    details = next(iter(failure.failure_event.event_details.values()))
                    if cause is not None:
                        details["cause"] = f"Invalid path '{missing.json_path}' : {cause}"
                raise

        path_class._eval_body = _eval_body


def error_name_object(name: str | None):
    """The interpreter's error name object for ``name``: a predefined ``States.*`` error or a
    custom one."""
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
        CustomErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )

    if name is not None and name.startswith("States."):
        try:
            return StatesErrorName.from_name(name)
        except ValueError:
            pass
        custom = CustomErrorName(error_name=None)
        custom.error_name = name
        return custom
    return CustomErrorName(error_name=name)


def errors_leaving_a_map_or_parallel_keep_their_names() -> None:
    """An error that ends an inline Map iteration or a Parallel branch fails the Map or Parallel
    state with the same error, ``States.*`` errors included: ``States.Timeout`` from a Task
    that timed out, ``States.QueryEvaluationError`` from a JSONata expression.

    moto re-creates the error as a custom error name, which may not begin with ``States.``: the
    state failed with ``States.Runtime``, "Custom Error Names MUST NOT begin with the prefix
    'States.'".
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
        iteration_worker,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branches_decl

    def custom_error_name(error_name: str | None):
        return error_name_object(error_name)

    for module in (iteration_worker, branches_decl):
        module.CustomErrorName = custom_error_name


def a_cause_is_placed_in_its_state_once() -> None:
    """When a Map or Parallel state fails because an iteration or branch failed with
    ``States.Runtime`` or ``States.QueryEvaluationError``, the execution's cause is the inner
    one, which names the inner state: ``An error occurred while executing the state 'Fallback'
    (entered at the event id #13). The JSONata expression ...``.

    moto places the already placed cause in the Map or Parallel state once more.
    """
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEventException,
    )

    original = FailureEventException.get_execution_failed_event_details

    def get_execution_failed_event_details(self):
        details = next(iter((self.failure_event.event_details or {}).values()), None)
        cause = details.get("cause") if isinstance(details, dict) else None
        if isinstance(cause, str) and _PLACED_CAUSE.match(cause):
            answer = {"error": details.get("error"), "cause": cause}
            return {key: value for key, value in answer.items() if value}
        return original(self)

    FailureEventException.get_execution_failed_event_details = get_execution_failed_event_details


def jsonata_parallel_states_write_no_parallel_state_failed() -> None:
    """A JSONata Parallel state whose branch failed records no ``ParallelStateFailed`` event:
    after its last attempt it is caught (``ParallelStateExited``) or the execution fails.
    JSONPath Parallel states write ``ParallelStateFailed`` first, as moto does for both.
    """
    from moto.stepfunctions.parser.api import HistoryEventType
    from moto.stepfunctions.parser.asl.component.state.exec.state_parallel.state_parallel import (
        StateParallel,
    )

    original = StateParallel._eval_state

    def _eval_state(self, env):
        if self._is_language_query_jsonpath():
            return original(self, env)
        manager = env.event_manager
        env.event_manager = _WithoutEvent(
            manager, HistoryEventType.ParallelStateFailed, env.event_history_context
        )
        try:
            return original(self, env)
        finally:
            env.event_manager = manager

    StateParallel._eval_state = _eval_state


class _WithoutEvent:
    """An event manager that leaves out one type of event written on one context."""

    def __init__(self, manager, event_type, context) -> None:
        self._manager, self._event_type, self._context = manager, event_type, context

    def __getattr__(self, name: str):
        return getattr(self._manager, name)

    def add_event(self, context, event_type, *args, **kwargs):
        if event_type == self._event_type and context is self._context:
            return context.last_published_event_id
        return self._manager.add_event(context, event_type, *args, **kwargs)
