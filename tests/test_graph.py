"""Drawing state machines and executions: sfn_tutorial/graph/.

The DOT source is checked for structure (which nodes, edges, clusters, labels and colours),
never byte for byte: graphviz's SVG embeds its version and float coordinates.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import boto3
import pytest

from sfn_tutorial.graph import (
    END,
    START,
    STATUS_COLOURS,
    DefinitionError,
    choice_rule_text,
    draw,
    node_id,
    state_statuses,
    transitions_taken,
)
from sfn_tutorial.graph.trace import Trace
from sfn_tutorial.resources import blog_definition

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "asl-corpus"
# Valid JSON, but not a state machine AWS (or moto) accepts: "QueryLanguage" sits inside
# "States", where every value must be a state.
INVALID_IN_CORPUS = {"0124__": '"QueryLanguage" belongs next to "StartAt"'}

BLOG = blog_definition(
    purchase_arn="arn:aws:lambda:ap-northeast-2:123456789012:function:ProcessPurchase",
    refund_arn="arn:aws:lambda:ap-northeast-2:123456789012:function:ProcessRefund",
)

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz `dot` not installed")


# ------------------------------------------------------------------ reading DOT back

_ID = r'"(?:[^"\\]|\\.)*"|[^\s\[\]{};"=]+'
_EDGE = re.compile(rf"^\s*({_ID}) -> ({_ID})\s*(?:\[(.*)\])?\s*$")
_NODE = re.compile(rf"^\s*({_ID}) \[(.*)\]\s*$")
_SUBGRAPH = re.compile(rf"^\s*subgraph ({_ID}) \{{")


def _unquote(token: str) -> str:
    """A DOT ID or attribute value as text; DOT's line breaks (backslash n, l, r) become "\\n"."""
    if not token.startswith('"'):
        return token
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) in "nlr" else m.group(1), token[1:-1])


def _attr(attributes: str, name: str) -> str | None:
    """The value of ``name`` in a DOT attribute list (quoted, HTML or bare)."""
    match = re.search(rf'(?:^|\s){name}=("(?:[^"\\]|\\.)*"|<|[^\s\]]+)', attributes)
    if match is None:
        return None
    if match.group(1) != "<":
        return _unquote(match.group(1))
    start, depth = match.end(1) - 1, 0
    for position in range(start, len(attributes)):
        depth += {"<": 1, ">": -1}.get(attributes[position], 0)
        if depth == 0:
            return attributes[start : position + 1]
    raise AssertionError(f"unbalanced HTML label in {attributes!r}")


class Dot:
    """Nodes (id -> attributes), edges (tail, head, attributes) and subgraph names of a Digraph."""

    def __init__(self, digraph) -> None:
        self.source = digraph.source
        self.nodes: dict[str, str] = {}
        self.edges: list[tuple[str, str, str]] = []
        self.subgraphs: list[str] = []
        for line in self.source.splitlines():
            if match := _EDGE.match(line):
                tail, head, attributes = match.groups()
                self.edges.append((_unquote(tail), _unquote(head), attributes or ""))
            elif match := _SUBGRAPH.match(line):
                self.subgraphs.append(_unquote(match.group(1)))
            elif (match := _NODE.match(line)) and match.group(1) not in ("graph", "node", "edge"):
                self.nodes[_unquote(match.group(1))] = match.group(2)

    def edge_set(self) -> set[tuple[str, str]]:
        return {(tail, head) for tail, head, _ in self.edges}

    def edge(self, tail: str, head: str) -> str:
        """The attributes of the (first) edge tail -> head."""
        for found_tail, found_head, attributes in self.edges:
            if (found_tail, found_head) == (tail, head):
                return attributes
        raise AssertionError(f"no edge {tail} -> {head}")

    def labels(self, tail: str) -> set[str]:
        """The labels of the edges leaving ``tail``, with DOT's line breaks removed."""
        return {
            _attr(attributes, "label").replace("\n", " ")
            for found_tail, _, attributes in self.edges
            if found_tail == tail and _attr(attributes, "label") is not None
        }

    def fill(self, node: str) -> str | None:
        return _attr(self.nodes[node], "fillcolor")


# ------------------------------------------------------------------ what a definition must give


def _terminal(state: dict) -> bool:
    return state["Type"] in ("Succeed", "Fail") or state.get("End") is True


def _children(path: tuple, state: dict) -> list[tuple[tuple, dict]]:
    if state["Type"] == "Parallel":
        return [((*path, f"b{i}"), branch) for i, branch in enumerate(state["Branches"])]
    if state["Type"] == "Map":
        return [((*path, "map"), state.get("ItemProcessor", state.get("Iterator")))]
    return []


def expected_structure(machine: dict, scope: tuple = ()) -> tuple[set, set, set]:
    """(state node ids, (tail, head) edges, cluster names) the drawing must have.

    Written from the ASL, independently of graph.py: Next, every Choice rule, Default, every
    Catch, End (terminal states go to End, or to the exit of their Parallel/Map), the start of
    every branch; edges leave a Parallel/Map from its exit node.
    """
    start = f"{node_id(scope)}/#start" if scope else "#start"
    end = f"{node_id(scope[:-1])}/#exit" if scope else "#end"
    nodes, edges, clusters = set(), {(start, node_id((*scope, machine["StartAt"])))}, set()
    for name, state in machine["States"].items():
        path = (*scope, name)
        nodes.add(node_id(path))
        container = state["Type"] in ("Parallel", "Map")
        tail = f"{node_id(path)}/#exit" if container else node_id(path)
        targets = [state["Next"]] if "Next" in state else []
        targets += [catcher["Next"] for catcher in state.get("Catch", [])]
        edges.update((tail, node_id((*scope, target))) for target in targets)
        choices = [rule["Next"] for rule in state.get("Choices", [])]
        choices += [state["Default"]] if "Default" in state else []
        edges.update((node_id(path), node_id((*scope, target))) for target in choices)
        if _terminal(state):
            edges.add((tail, end))
        if container:
            clusters.add(f"cluster_{node_id(path)}")
        for child_scope, child in _children(path, state):
            clusters.add(f"cluster_{node_id(child_scope)}")
            edges.add((node_id(path), f"{node_id(child_scope)}/#start"))
            child_nodes, child_edges, child_clusters = expected_structure(child, child_scope)
            nodes |= child_nodes
            edges |= child_edges
            clusters |= child_clusters
    return nodes, edges, clusters


def assert_draws_completely(machine: dict, digraph) -> Dot:
    """Every state is a node, every transition an edge, every Parallel/Map a cluster."""
    dot = Dot(digraph)
    nodes, edges, clusters = expected_structure(machine)
    assert nodes <= set(dot.nodes), sorted(nodes - set(dot.nodes))[:5]
    assert edges <= dot.edge_set(), sorted(edges - dot.edge_set())[:5]
    assert clusters <= set(dot.subgraphs), sorted(clusters - set(dot.subgraphs))[:5]
    assert all(name.startswith("cluster_") for name in dot.subgraphs)
    return dot


# ------------------------------------------------------------------ the corpus


def _corpus_files() -> list:
    if not CORPUS.is_dir():
        reason = (
            "../shared/asl-corpus not found: these corpus tests run only in the project's workspace"
        )
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="no-corpus")]
    return [pytest.param(path, id=path.name) for path in sorted(CORPUS.glob("*.json"))]


@needs_dot
@pytest.mark.parametrize("path", _corpus_files())
def test_every_corpus_definition_draws_every_state_and_transition(path):
    text = path.read_text(encoding="utf-8")
    try:
        machine = json.loads(text)
    except json.JSONDecodeError:
        with pytest.raises(DefinitionError, match="not valid JSON: .* at line \\d+, column \\d+"):
            draw(text)
        return
    known_invalid = [
        hint for prefix, hint in INVALID_IN_CORPUS.items() if path.name.startswith(prefix)
    ]
    if known_invalid:
        with pytest.raises(DefinitionError, match=re.escape(known_invalid[0])):
            draw(text)
        return
    digraph = draw(text)
    assert_draws_completely(machine, digraph)
    assert b"</svg>" in digraph.pipe(format="svg")


def test_the_corpus_has_what_these_tests_are_for():
    if not CORPUS.is_dir():
        pytest.skip(
            "../shared/asl-corpus not found: these corpus tests run only in the project's workspace"
        )
    files = sorted(CORPUS.glob("*.json"))
    text = "".join(path.read_text(encoding="utf-8") for path in files)
    assert len(files) > 200
    assert len(list(CORPUS.glob("*.sub.json"))) > 50
    for feature in ('"Parallel"', '"ItemProcessor"', '"Iterator"', '"DISTRIBUTED"', '"JSONata"'):
        assert feature in text


# ------------------------------------------------------------------ the picture itself


def test_blog_choice_edges_carry_readable_conditions():
    dot = assert_draws_completely(BLOG, draw(BLOG))
    assert dot.labels("ProcessTransaction") == {
        '$.TransactionType == "PURCHASE"',
        '$.TransactionType == "REFUND"',
    }
    label = _attr(dot.edge("ProcessTransaction", "ProcessPurchase"), "label")
    assert label == '$.TransactionType == "PURCHASE"'
    assert ("#start", "ProcessTransaction") in dot.edge_set()
    assert {("ProcessRefund", "#end"), ("ProcessPurchase", "#end")} <= dot.edge_set()


def test_each_state_type_has_its_own_look():
    definition = {
        "StartAt": "T",
        "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "C"},
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "W"}],
                "Default": "P",
            },
            "W": {"Type": "Wait", "Seconds": 3, "Next": "S"},
            "P": {"Type": "Pass", "Next": "F"},
            "S": {"Type": "Succeed"},
            "F": {"Type": "Fail", "Error": "Oops"},
        },
    }
    dot = Dot(draw(definition))
    looks = {
        name: tuple(_attr(dot.nodes[name], key) for key in ("shape", "style", "peripheries"))
        for name in "TCWPSF"
    }
    assert len(set(looks.values())) == 6
    assert looks["C"][0] == "diamond"
    assert "Lambda: Invoke" in _attr(dot.nodes["T"], "label")
    assert "Wait 3 s" in _attr(dot.nodes["W"], "label")
    assert _attr(dot.nodes["#start"], "label") == "Start"
    assert _attr(dot.nodes["#end"], "label") == "End"
    assert {("S", "#end"), ("F", "#end")} <= dot.edge_set()
    assert dot.labels("C") == {"$.x is present", "Default"}


def test_catch_edges_are_dashed_and_name_their_errors_and_retries_show_on_the_state():
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 3}],
                "Catch": [
                    {"ErrorEquals": ["States.Timeout", "Custom.Error"], "Next": "Handle"},
                ],
                "Next": "Done",
            },
            "Handle": {"Type": "Pass", "End": True},
            "Done": {"Type": "Succeed"},
        },
    }
    dot = Dot(draw(definition))
    catch = dot.edge("Call", "Handle")
    assert _attr(catch, "style") == "dashed"
    assert _attr(catch, "label") == "States.Timeout, Custom.Error"
    assert _attr(dot.edge("Call", "Done"), "style") is None
    label = _attr(dot.nodes["Call"], "label")
    assert "↻ Retry: States.ALL ×3" in label
    assert "S3: GetObject" in label


def _nested_definition() -> dict:
    """Parallel > Map > Parallel, and a Map with the older Iterator, all reusing one name."""
    leaf = {"StartAt": "Work", "States": {"Work": {"Type": "Pass", "End": True}}}
    inner = {
        "Type": "Parallel",
        "Branches": [leaf, {"StartAt": "Work", "States": {"Work": {"Type": "Succeed"}}}],
        "End": True,
    }
    processor = {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "Inner",
        "States": {"Inner": inner},
    }
    return {
        "StartAt": "Outer",
        "States": {
            "Outer": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "Each",
                        "States": {
                            "Each": {"Type": "Map", "ItemProcessor": processor, "End": True}
                        },
                    },
                    {
                        "StartAt": "Old",
                        "States": {"Old": {"Type": "Map", "Iterator": leaf, "End": True}},
                    },
                ],
                "Next": "Work",
            },
            "Work": {"Type": "Pass", "End": True},
        },
    }


def test_nested_branches_are_clusters_with_unique_ids_at_any_depth():
    definition = _nested_definition()
    dot = assert_draws_completely(definition, draw(definition))
    work = [node for node in dot.nodes if node.endswith("Work") and "#" not in node]
    assert sorted(work) == [
        "Outer/b0/Each/map/Inner/b0/Work",
        "Outer/b0/Each/map/Inner/b1/Work",
        "Outer/b1/Old/map/Work",
        "Work",
    ]
    assert all(_attr(dot.nodes[node], "label").startswith("<<B>Work</B>") for node in work)
    assert "cluster_Outer/b0/Each/map/Inner/b1" in dot.subgraphs
    assert "Distributed map" in _attr(dot.nodes["Outer/b0/Each"], "label")
    assert ("Outer/#exit", "Work") in dot.edge_set()


def test_jsonata_definitions_draw_like_jsonpath_ones():
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Route",
        "States": {
            "Route": {
                "Type": "Choice",
                "Choices": [
                    {"Condition": "{% $states.input.amount > 100 %}", "Next": "Review"},
                    {
                        "Condition": "{% " + " and ".join(["$exists($states.input.x)"] * 8) + " %}",
                        "Next": "Review",
                    },
                ],
                "Default": "Approve",
            },
            "Review": {
                "Type": "Task",
                "QueryLanguage": "JSONata",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"Payload": "{% $states.input %}"},
                "Next": "Approve",
            },
            "Approve": {"Type": "Wait", "Seconds": "{% $states.input.delay %}", "End": True},
        },
    }
    dot = assert_draws_completely(definition, draw(definition))
    labels = dot.labels("Route")
    assert "{% $states.input.amount > 100 %}" in labels
    long_label = next(label for label in labels if "$exists" in label)
    assert long_label.endswith("…") and len(long_label) < 140


@needs_dot
def test_weird_state_names_are_escaped_and_render():
    names = [
        'say "hi"',
        "back\\slash",
        "ends with backslash\\",
        "<b>not html</b>",
        "{brace}|pipe",
        "colon: name",
        "slash/name",
        "#start",
        "node",
        "ünïcødé ✓",
        "percent %2F",
    ]
    states = {
        name: {"Type": "Pass", "Next": following}
        for name, following in zip(names, names[1:], strict=False)
    }
    states[names[-1]] = {
        "Type": "Choice",
        "Choices": [{"Variable": "$.a", "StringEquals": 'x"y\\z<w>', "Next": names[0]}],
        "Default": "End",
    }
    states["End"] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Catch": [{"ErrorEquals": ["<Err>"], "Next": names[0]}],
        "End": True,
    }
    definition = {"StartAt": names[0], "States": states}
    digraph = draw(definition)
    dot = assert_draws_completely(definition, digraph)
    assert len({node for node in dot.nodes if "#" not in node.split("/")[-1]}) == len(names) + 1
    assert dot.labels(node_id([names[-1]])) >= {'$.a == "x\\"y\\\\z<w>"'}
    svg = digraph.pipe(format="svg").decode()
    assert "say &quot;hi&quot;" in svg or 'say "hi"' in svg
    assert "&lt;b&gt;not html&lt;/b&gt;" in svg
    assert "ends with backslash\\" in svg
    assert "colon: name" in svg


def test_same_definition_gives_the_same_dot_source():
    text = json.dumps(_nested_definition())
    assert draw(text).source == draw(json.loads(text)).source == draw(text).source


def test_draw_returns_a_digraph_jupyter_shows_as_svg():
    digraph = draw(BLOG)
    assert hasattr(digraph, "_repr_mimebundle_")
    assert digraph.name == "state_machine"


# ------------------------------------------------------------------ choice rule text


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        ({"Variable": "$.t", "StringEquals": "PURCHASE"}, '$.t == "PURCHASE"'),
        ({"Variable": "$.n", "NumericGreaterThanEquals": 2.5}, "$.n >= 2.5"),
        ({"Variable": "$.n", "NumericLessThan": 0}, "$.n < 0"),
        ({"Variable": "$.n", "NumericEqualsPath": "$.m"}, "$.n == $.m"),
        ({"Variable": "$.s", "StringLessThanEqualsPath": "$.u"}, "$.s <= $.u"),
        ({"Variable": "$.b", "BooleanEquals": False}, "$.b == false"),
        ({"Variable": "$.b", "BooleanEqualsPath": "$.c"}, "$.b == $.c"),
        (
            {"Variable": "$.when", "TimestampGreaterThan": "2016-03-14T01:59:00Z"},
            "$.when > 2016-03-14T01:59:00Z",
        ),
        ({"Variable": "$.when", "TimestampLessThanPath": "$.limit"}, "$.when < $.limit"),
        ({"Variable": "$.x", "IsPresent": True}, "$.x is present"),
        ({"Variable": "$.x", "IsPresent": False}, "$.x is not present"),
        ({"Variable": "$.x", "IsNull": True}, "$.x is null"),
        ({"Variable": "$.x", "IsNumeric": False}, "$.x is not a number"),
        ({"Variable": "$.f", "StringMatches": "*.log"}, '$.f matches "*.log"'),
        (
            {
                "And": [
                    {"Not": {"Variable": "$.a", "NumericEquals": 1}},
                    {"Variable": "$.b", "NumericGreaterThan": 2},
                ]
            },
            "not ($.a == 1) and ($.b > 2)",
        ),
        (
            {
                "Or": [
                    {"Variable": "$.a", "StringEquals": "x"},
                    {
                        "And": [
                            {"Variable": "$.b", "IsString": True},
                            {"Variable": "$.c", "IsBoolean": True},
                        ]
                    },
                ]
            },
            '($.a == "x") or (($.b is a string) and ($.c is a boolean))',
        ),
        ({"Condition": "{% $states.input.n > 3 %}"}, "{% $states.input.n > 3 %}"),
    ],
)
def test_choice_rule_text(rule, text):
    assert choice_rule_text({**rule, "Next": "X"}) == text


# ------------------------------------------------------------------ clear errors


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ('{"StartAt": "A",\n  "States": {,}\n}', r"not valid JSON: .* at line 2, column 14"),
        ("", r"not valid JSON: Expecting value at line 1, column 1"),
        ("[1, 2]", r"must be a JSON object \{\.\.\.\}, not a list"),
        (42, r"must be a dict or a JSON string \(got int\)"),
        ({"States": {"A": {"Type": "Pass", "End": True}}}, r'has no "StartAt"'),
        ({"StartAt": "A"}, r'has no "States"'),
        (
            {"StartAt": "Frist", "States": {"First": {"Type": "Pass", "End": True}}},
            r'"StartAt" names "Frist", but there is no state called that \(did you mean "First"',
        ),
        (
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}},
            r'State "A": "Next" names "Nowhere", but there is no state called that',
        ),
        ({"StartAt": "A", "States": {"A": {"End": True}}}, r'State "A" has no "Type"'),
        (
            {"StartAt": "A", "States": {"A": {"Type": "Taks", "End": True}}},
            r'State "A" has an unknown "Type" "Taks" \(did you mean "Task"\?\)',
        ),
        (
            {"StartAt": "A", "States": {"A": {"Type": "Pass"}}},
            r'State "A" needs "Next": "<state name>" or "End": true',
        ),
        (
            {
                "StartAt": "C",
                "States": {
                    "C": {
                        "Type": "Choice",
                        "Choices": [{"Variable": "$.a", "IsNull": True, "Next": "C"}],
                        "Default": "Missing",
                    }
                },
            },
            r'State "C": "Default" names "Missing"',
        ),
        (
            {
                "StartAt": "T",
                "States": {
                    "T": {
                        "Type": "Task",
                        "Resource": "arn:aws:states:::lambda:invoke",
                        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handler"}],
                        "End": True,
                    },
                    "Handle": {"Type": "Pass", "End": True},
                },
            },
            r'State "T": catcher 1 in "Catch" names "Handler".*did you mean "Handle"',
        ),
        (
            {
                "StartAt": "P",
                "States": {
                    "P": {
                        "Type": "Parallel",
                        "Branches": [
                            {"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Y"}}}
                        ],
                        "End": True,
                    }
                },
            },
            r'State "X" in branch 1 of "P": "Next" names "Y"',
        ),
        (
            {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True}}},
            r'Map state "M" needs an "ItemProcessor"',
        ),
        (
            {
                "StartAt": "A",
                "States": {"QueryLanguage": "JSONata", "A": {"Type": "Pass", "End": True}},
            },
            r'State "QueryLanguage" must be an object .* belongs next to "StartAt"',
        ),
    ],
)
def test_bad_definitions_raise_one_clear_line(definition, message):
    with pytest.raises(DefinitionError, match=message) as raised:
        draw(definition)
    assert isinstance(raised.value, ValueError)
    assert "\n" not in str(raised.value)
    # no "During handling of the above exception..." second traceback
    assert raised.value.__context__ is None or raised.value.__suppress_context__


# ------------------------------------------------------------------ real executions, emulator

ROLE = "arn:aws:iam::123456789012:role/sfn-tutorial-tests"


@pytest.fixture
def sfn(emulator):
    """A Step Functions client on the tutorial's local emulator, which really runs executions."""
    return boto3.client("stepfunctions")


def _history(sfn, arn: str) -> list[dict]:
    pages = sfn.get_paginator("get_execution_history").paginate(executionArn=arn)
    return [event for page in pages for event in page["events"]]


def run(sfn, definition: dict, execution_input=None, stop_when=None) -> tuple[str, list[dict]]:
    """Run ``definition`` to its end; ``stop_when(events)`` True -> stop the execution."""
    name = f"m{len(sfn.list_state_machines()['stateMachines'])}"
    machine = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)
    arn = sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"], input=json.dumps(execution_input or {})
    )["executionArn"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = sfn.describe_execution(executionArn=arn)["status"]
        if status != "RUNNING":
            return status, _history(sfn, arn)
        if stop_when is not None and stop_when(_history(sfn, arn)):
            sfn.stop_execution(executionArn=arn, error="Tutorial.Stop", cause="stopped by a test")
        time.sleep(0.05)
    raise AssertionError("the execution did not end within 30 s")


def assert_colours(dot: Dot, expected: dict[str, str]) -> None:
    for node, status in expected.items():
        assert dot.fill(node) == STATUS_COLOURS[status][0], (node, status, dot.fill(node))


def assert_taken(dot: Dot, tail: str, head: str, taken: bool = True) -> None:
    attributes = dot.edge(tail, head)
    assert (_attr(attributes, "penwidth") is not None) == taken, (tail, head, attributes)


def test_a_succeeded_execution_is_green_along_its_path(sfn):
    definition = {
        "StartAt": "Receive",
        "States": {
            "Receive": {"Type": "Pass", "Next": "Check"},
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "Ship"}],
                "Default": "Hold",
            },
            "Ship": {"Type": "Pass", "End": True},
            "Hold": {"Type": "Pass", "End": True},
        },
    }
    status, events = run(sfn, definition, {"ok": True})
    assert status == "SUCCEEDED"
    assert state_statuses(events) == {
        "Receive": "succeeded",
        "Check": "succeeded",
        "Ship": "succeeded",
    }
    assert transitions_taken(events) == {
        (START, "Receive"),
        ("Receive", "Check"),
        ("Check", "Ship"),
        ("Ship", END),
    }
    dot = assert_draws_completely(definition, draw(definition, events))
    assert_colours(
        dot,
        {"Receive": "succeeded", "Check": "succeeded", "Ship": "succeeded", "Hold": "not_reached"},
    )
    for tail, head in [
        ("#start", "Receive"),
        ("Receive", "Check"),
        ("Check", "Ship"),
        ("Ship", "#end"),
    ]:
        assert_taken(dot, tail, head)
    assert_taken(dot, "Check", "Hold", taken=False)
    assert "cluster_legend" in dot.subgraphs
    for _, _, text in STATUS_COLOURS.values():
        assert text in dot.source


def test_a_failed_execution_is_red_at_its_fail_state(sfn):
    definition = {
        "StartAt": "Validate",
        "States": {
            "Validate": {"Type": "Pass", "Next": "Reject"},
            "Reject": {"Type": "Fail", "Error": "Order.Invalid", "Cause": "no items"},
        },
    }
    status, events = run(sfn, definition)
    assert status == "FAILED"
    assert state_statuses(events) == {"Validate": "succeeded", "Reject": "failed"}
    dot = Dot(draw(definition, events))
    assert_colours(dot, {"Validate": "succeeded", "Reject": "failed"})
    assert_taken(dot, "Reject", "#end")
    assert "Fail: Order.Invalid" in _attr(dot.nodes["Reject"], "label")


def test_a_caught_error_in_a_parallel_is_orange_and_leads_to_the_fallback(sfn):
    definition = {
        "StartAt": "Fan out",
        "States": {
            "Fan out": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Work", "States": {"Work": {"Type": "Pass", "End": True}}},
                    {
                        "StartAt": "Explode",
                        "States": {"Explode": {"Type": "Fail", "Error": "Boom"}},
                    },
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Fallback"}],
                "Next": "Done",
            },
            "Fallback": {"Type": "Pass", "End": True},
            "Done": {"Type": "Succeed"},
        },
    }
    status, events = run(sfn, definition)
    assert status == "SUCCEEDED"
    statuses = state_statuses(events)
    assert statuses["Fan out"] == "caught_error"
    assert statuses["Explode"] == "failed"
    assert statuses["Fallback"] == "succeeded"
    assert "Done" not in statuses
    dot = assert_draws_completely(definition, draw(definition, events))
    assert_colours(
        dot,
        {
            "Fan out": "caught_error",
            "Fan out/b1/Explode": "failed",
            "Fallback": "succeeded",
            "Done": "not_reached",
        },
    )
    assert_taken(dot, "Fan out/#exit", "Fallback")
    assert_taken(dot, "Fan out/#exit", "Done", taken=False)
    assert_taken(dot, "Fan out", "Fan out/b1/#start")
    label = _attr(dot.nodes["Fan out"], "label")
    assert "2 branches: " in label and "1 failed" in label


def test_a_map_with_failed_items_counts_its_iterations(sfn):
    definition = {
        "StartAt": "Check items",
        "States": {
            "Check items": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 1,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Is it ok?",
                    "States": {
                        "Is it ok?": {
                            "Type": "Choice",
                            "Choices": [
                                {"Variable": "$.ok", "BooleanEquals": True, "Next": "Accept"}
                            ],
                            "Default": "Reject",
                        },
                        "Accept": {"Type": "Pass", "End": True},
                        "Reject": {"Type": "Fail", "Error": "Item.Bad"},
                    },
                },
                "Catch": [{"ErrorEquals": ["Item.Bad"], "Next": "Report failure"}],
                "Next": "All good",
            },
            "Report failure": {"Type": "Pass", "End": True},
            "All good": {"Type": "Succeed"},
        },
    }
    items = [{"ok": True}, {"ok": True}, {"ok": False}]
    status, events = run(sfn, definition, {"items": items})
    assert status == "SUCCEEDED"
    assert state_statuses(events) == {
        "Check items": "caught_error",
        "Is it ok?": "succeeded",
        "Accept": "succeeded",
        "Reject": "failed",
        "Report failure": "succeeded",
    }
    dot = assert_draws_completely(definition, draw(definition, events))
    assert_colours(
        dot,
        {
            "Check items": "caught_error",
            "Check items/map/Is it ok?": "succeeded",
            "Check items/map/Accept": "succeeded",
            "Check items/map/Reject": "failed",
            "Report failure": "succeeded",
            "All good": "not_reached",
        },
    )
    assert "3 iterations: 2 succeeded, 1 failed" in _attr(dot.nodes["Check items"], "label")
    assert_taken(dot, "Check items/map/Is it ok?", "Check items/map/Reject")
    assert_taken(dot, "Check items/map/Accept", "Check items/#exit")
    assert_taken(dot, "Check items/#exit", "Report failure")
    assert (
        _attr(dot.source.split("cluster_Check items")[1], "color")
        == STATUS_COLOURS["caught_error"][1]
    )


def test_a_stopped_execution_shows_the_waiting_state_cancelled(sfn):
    definition = {
        "StartAt": "Hold",
        "States": {
            "Hold": {"Type": "Wait", "Seconds": 60, "Next": "After"},
            "After": {"Type": "Pass", "End": True},
        },
    }

    def waiting(events):
        return any(event["type"] == "WaitStateEntered" for event in events)

    status, events = run(sfn, definition, stop_when=waiting)
    assert status == "ABORTED"
    assert state_statuses(events) == {"Hold": "cancelled"}
    dot = Dot(draw(definition, events))
    assert_colours(dot, {"Hold": "cancelled", "After": "not_reached"})
    assert_taken(dot, "#start", "Hold")
    assert_taken(dot, "Hold", "After", taken=False)


# ------------------------------------------------------------------ hand-written histories


def _events(*rows) -> list[dict]:
    """Events from (type, previous id, state name or details dict) rows, ids from 1."""
    events = []
    for number, (kind, previous, extra) in enumerate(rows, 1):
        event = {"id": number, "previousEventId": previous, "type": kind}
        if isinstance(extra, str):
            key = (
                "stateExitedEventDetails" if kind.endswith("Exited") else "stateEnteredEventDetails"
            )
            event[key] = {"name": extra}
        elif extra:
            event.update(extra)
        events.append(event)
    return events


def test_a_running_task_is_blue_and_a_retry_keeps_it_running():
    definition = {
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Pass", "Next": "Charge"},
            "Charge": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Retry": [{"ErrorEquals": ["States.ALL"]}],
                "End": True,
            },
        },
    }
    events = _events(
        ("ExecutionStarted", 0, None),
        ("PassStateEntered", 1, "Prepare"),
        ("PassStateExited", 2, "Prepare"),
        ("TaskStateEntered", 3, "Charge"),
        ("TaskScheduled", 4, None),
        ("TaskStarted", 5, None),
        ("TaskFailed", 6, None),  # a retry is coming
    )
    assert state_statuses(events) == {"Prepare": "succeeded", "Charge": "in_progress"}
    dot = Dot(draw(definition, events))
    assert_colours(dot, {"Prepare": "succeeded", "Charge": "in_progress"})
    assert_taken(dot, "Charge", "#end", taken=False)
    timed_out = [*events, {"id": 8, "previousEventId": 7, "type": "ExecutionTimedOut"}]
    assert state_statuses(timed_out)["Charge"] == "failed"


def test_an_aborted_execution_cancels_what_was_running_in_every_branch():
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "Step",
                        "States": {"Step": {"Type": "Wait", "Seconds": 9, "End": True}},
                    },
                    {
                        "StartAt": "Step",
                        "States": {
                            "Step": {"Type": "Pass", "Next": "Slow"},
                            "Slow": {"Type": "Wait", "Seconds": 9, "End": True},
                        },
                    },
                ],
                "End": True,
            }
        },
    }
    events = _events(
        ("ExecutionStarted", 0, None),
        ("ParallelStateEntered", 1, "Both"),
        ("ParallelStateStarted", 2, None),
        ("PassStateEntered", 3, "Step"),  # branch 2 first: told apart by its type
        ("WaitStateEntered", 3, "Step"),
        ("PassStateExited", 4, "Step"),
        ("WaitStateEntered", 6, "Slow"),
        ("ExecutionAborted", 7, None),
    )
    assert state_statuses(events) == {"Both": "cancelled", "Step": "cancelled", "Slow": "cancelled"}
    dot = Dot(draw(definition, events))
    assert_colours(
        dot,
        {
            "Both": "cancelled",
            "Both/b0/Step": "cancelled",
            "Both/b1/Step": "succeeded",
            "Both/b1/Slow": "cancelled",
        },
    )
    assert "2 branches cancelled" in _attr(dot.nodes["Both"], "label")


def test_a_failing_branch_cancels_its_sibling_and_fails_the_execution():
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "Call",
                        "States": {
                            "Call": {
                                "Type": "Task",
                                "Resource": "arn:aws:states:::lambda:invoke",
                                "End": True,
                            }
                        },
                    },
                    {
                        "StartAt": "Sleep",
                        "States": {"Sleep": {"Type": "Wait", "Seconds": 9, "End": True}},
                    },
                    {  # never started: the Parallel failed first
                        "StartAt": "Late",
                        "States": {"Late": {"Type": "Pass", "End": True}},
                    },
                ],
                "End": True,
            }
        },
    }
    events = _events(
        ("ExecutionStarted", 0, None),
        ("ParallelStateEntered", 1, "Both"),
        ("ParallelStateStarted", 2, None),
        ("TaskStateEntered", 3, "Call"),
        ("WaitStateEntered", 3, "Sleep"),
        ("TaskScheduled", 4, None),
        ("TaskFailed", 6, None),
        ("ParallelStateFailed", 7, None),
        ("ExecutionFailed", 8, None),
    )
    assert state_statuses(events) == {"Both": "failed", "Call": "failed", "Sleep": "cancelled"}
    label = _attr(Dot(draw(definition, events)).nodes["Both"], "label")
    assert "3 branches: 1 failed, 2 cancelled" in label


def test_history_accepts_the_whole_response_and_ignores_unknown_states():
    response = {
        "events": _events(
            ("ExecutionStarted", 0, None),
            ("ChoiceStateEntered", 1, "ProcessTransaction"),
            ("ChoiceStateExited", 2, "ProcessTransaction"),
            ("TaskStateEntered", 3, "Renamed since"),
        )
    }
    dot = Dot(draw(BLOG, response))
    assert_colours(dot, {"ProcessTransaction": "succeeded", "ProcessPurchase": "not_reached"})
    assert draw(BLOG, []).source.count("penwidth") == 0


def test_a_redriven_execution_keeps_what_failed_before_the_redrive():
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True}
        },
    }
    first = _events(
        ("ExecutionStarted", 0, None),
        ("TaskStateEntered", 1, "Call"),
        ("TaskFailed", 2, None),
        ("ExecutionFailed", 3, None),
        ("ExecutionRedriven", 4, None),
        ("TaskStateEntered", 5, "Call"),
    )
    trace = Trace(first)
    assert [visit.status for visit in trace.visits] == ["failed", "in_progress"]
    assert state_statuses(first) == {"Call": "in_progress"}
    assert_colours(Dot(draw(definition, first)), {"Call": "in_progress"})


def test_a_missing_dot_program_shows_one_line_in_jupyter_not_a_traceback(monkeypatch):
    digraph = draw(BLOG)
    monkeypatch.setenv("PATH", "/nonexistent")
    bundle = digraph._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert "`dot` program is not installed" in bundle["text/plain"]
