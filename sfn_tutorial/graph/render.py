"""Drawing with graphviz, in the Step Functions console's shapes and colours.

``draw(definition)`` returns a ``StateMachineGraph`` (a ``graphviz.Digraph``): a Start and an End
marker, one node per state whose shape tells its type, labelled edges for Choice rules and
Catchers, and Parallel branches and Map item processors drawn as nested boxes. With a history,
``draw(definition, history)`` colours each state by what happened to it (``STATUS_COLOURS``),
draws the transitions taken thicker and adds a legend. The words come from ``labels`` and the
statuses from ``trace``; this module turns them into DOT: wrapped, escaped and styled.
"""

from __future__ import annotations

import html
import textwrap
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import graphviz

from sfn_tutorial.graph.definition import load_definition, shorten
from sfn_tutorial.graph.labels import (
    LABEL_WIDTH,
    choice_rule_text,
    errors_text,
    retry_lines,
    type_line,
)
from sfn_tutorial.graph.nodes import Index, child_scopes, end_id, exit_id, node_id, start_id
from sfn_tutorial.graph.trace import Paint, Trace
from sfn_tutorial.i18n import t

#: status -> (fill colour, border colour, legend text), as in the console (the text in English;
#: ``i18n.t`` shows it in the notebook's language).
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
_LABEL_LINES = 3  # lines of an edge label before it is cut with "…"


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


# ------------------------------------------------------------------ labels as DOT


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
    if len(text) > LABEL_WIDTH:
        lines = textwrap.wrap(text, LABEL_WIDTH, break_on_hyphens=False) or [""]
    if len(lines) > _LABEL_LINES:
        lines = lines[:_LABEL_LINES]
        lines[-1] = shorten(lines[-1] + " …", LABEL_WIDTH + 2)
    return graphviz.nohtml("\\n".join(graphviz.escape(line) for line in lines))


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
        self.index = Index.of(machine)
        self.paint = Paint(self.index, Trace(history)) if history is not None else None
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
        self._marker("#start", t("Start"))
        self._scope(self.graph, (), self.index.scopes[()])
        self._marker("#end", t("End"))
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
        self.edges.append(_Edge(start_id(scope), node_id((*scope, machine["StartAt"]))))
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
            for number, (scope, machine) in enumerate(child_scopes(path, state), 1):
                self._branch(box, path, state, number, scope, machine)
            self._dot(box, exit_id(path), final=True)

    def _branch(self, box, path: tuple, state: dict, number: int, scope: tuple, machine) -> None:
        """One branch of a Parallel, or a Map's item processor, as a cluster with a start dot."""
        title = t("Branch {number}", number=number)
        if state["Type"] == "Map":
            distributed = type_line(state) == "Distributed map"
            title = t("Item processor (distributed)") if distributed else t("Item processor")
        with box.subgraph(name=f"cluster_{node_id(scope)}") as inner:
            inner.attr(
                style="rounded,dotted",
                color=_MUTED,
                label=title,
                labeljust="l",
                fontcolor=_MUTED,
                fontsize="9",
            )
            self._dot(inner, start_id(scope))
            self._scope(inner, scope, machine)
        self.edges.append(_Edge(node_id(path), start_id(scope)))

    def _label(self, path: tuple, state: dict) -> str:
        """Name, type line, branch/iteration counts (with a history) and retriers."""
        lines = [type_line(state)]
        counts = self.paint.counts.get(node_id(path)) if self.paint else None
        if counts:
            lines.append(_counts_line(state["Type"], counts, self.paint.runs[node_id(path)]))
        return _html_label(path[-1], lines + retry_lines(state))

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
            errors = errors_text(catcher.get("ErrorEquals"))
            self.edges.append(_Edge(tail, node_id((*scope, catcher["Next"])), errors, True))
        if self.index.is_terminal(path):
            self.edges.append(_Edge(tail, end_id(scope)))

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
            f'<TD ALIGN="LEFT">{t(text)}</TD>'
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
