"""Shared by tests/test_graph_*.py: reading a drawing's DOT source back, and what it must hold.

The DOT source is checked for structure (which nodes, edges, clusters, labels and colours),
never byte for byte: graphviz's SVG embeds its version and float coordinates.
"""

from __future__ import annotations

import re
import shutil

import pytest

from sfn_tutorial.graph import node_id
from sfn_tutorial.resources import blog_definition

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


def attr(attributes: str, name: str) -> str | None:
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
            attr(attributes, "label").replace("\n", " ")
            for found_tail, _, attributes in self.edges
            if found_tail == tail and attr(attributes, "label") is not None
        }

    def fill(self, node: str) -> str | None:
        return attr(self.nodes[node], "fillcolor")


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

    Written from the ASL, independently of sfn_tutorial/graph/: Next, every Choice rule, Default,
    every Catch, End (terminal states go to End, or to the exit of their Parallel/Map), the start
    of every branch; edges leave a Parallel/Map from its exit node.
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
