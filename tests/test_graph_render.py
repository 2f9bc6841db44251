"""Drawing state machines with graphviz: sfn_tutorial/graph/render.py (and the whole of draw).

Every state, transition and box of every corpus definition, each state type's look, edge labels,
nested boxes, odd names, and what Jupyter shows.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from graph_checks import BLOG, Dot, assert_draws_completely, attr, needs_dot

from sfn_tutorial.graph import DefinitionError, draw, node_id

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "asl-corpus"
# Valid JSON, but not a state machine AWS (or moto) accepts: "QueryLanguage" sits inside
# "States", where every value must be a state.
INVALID_IN_CORPUS = {"0124__": '"QueryLanguage" belongs next to "StartAt"'}


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
    label = attr(dot.edge("ProcessTransaction", "ProcessPurchase"), "label")
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
        name: tuple(attr(dot.nodes[name], key) for key in ("shape", "style", "peripheries"))
        for name in "TCWPSF"
    }
    assert len(set(looks.values())) == 6
    assert looks["C"][0] == "diamond"
    assert "Lambda: Invoke" in attr(dot.nodes["T"], "label")
    assert "Wait 3 s" in attr(dot.nodes["W"], "label")
    assert attr(dot.nodes["#start"], "label") == "Start"
    assert attr(dot.nodes["#end"], "label") == "End"
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
    assert attr(catch, "style") == "dashed"
    assert attr(catch, "label") == "States.Timeout, Custom.Error"
    assert attr(dot.edge("Call", "Done"), "style") is None
    label = attr(dot.nodes["Call"], "label")
    assert "↻ Retry: States.ALL ×3" in label
    assert "S3 (SDK): GetObject" in label


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
    assert all(attr(dot.nodes[node], "label").startswith("<<B>Work</B>") for node in work)
    assert "cluster_Outer/b0/Each/map/Inner/b1" in dot.subgraphs
    assert "Distributed map" in attr(dot.nodes["Outer/b0/Each"], "label")
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


def test_a_missing_dot_program_shows_one_line_in_jupyter_not_a_traceback(monkeypatch):
    digraph = draw(BLOG)
    monkeypatch.setenv("PATH", "/nonexistent")
    bundle = digraph._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert "`dot` program is not installed" in bundle["text/plain"]
