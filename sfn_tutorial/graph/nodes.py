"""Where each state of a checked definition sits in the drawing: paths, node ids, an index.

Node ids are paths, so that nested states with the same name stay apart: ``Check`` at the top
level, ``Fan out/b0/Check`` in the first branch of Parallel ``Fan out``, ``Each item/map/Check``
in the item processor of Map ``Each item`` (see ``node_id``). Each scope (the top level, a branch,
an item processor) has a start marker and an end, a Parallel or Map an exit node its edges leave
from (``start_id``, ``end_id``, ``exit_id``), and ``Index`` lists every state and scope by path.
"""

from __future__ import annotations

import functools
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field

from sfn_tutorial.graph.definition import item_processor


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


def start_id(scope: tuple) -> str:
    """Id of the start marker of the top level (``()``) or of a branch/item processor."""
    return f"{node_id(scope)}/#start" if scope else "#start"


def exit_id(path: tuple) -> str:
    """Id of the small node Parallel or Map ``path`` is left from (its edges out start there)."""
    return f"{node_id(path)}/#exit"


def end_id(scope: tuple) -> str:
    """Where the terminal states of ``scope`` go: End, or the exit of the enclosing state."""
    return exit_id(scope[:-1]) if scope else "#end"


def child_scopes(path: tuple, state: dict) -> list[tuple[tuple, dict]]:
    """(scope path, machine) of each branch of a Parallel / the processor of a Map."""
    if state["Type"] == "Parallel":
        return [((*path, f"b{i}"), branch) for i, branch in enumerate(state["Branches"])]
    if state["Type"] == "Map":
        return [((*path, "map"), item_processor(state))]
    return []


@dataclass
class Index:
    """Every state and every scope (top level, branch, item processor) of a definition."""

    states: dict = field(default_factory=dict)  # path -> state
    scopes: dict = field(default_factory=dict)  # scope path -> machine
    by_name: dict = field(default_factory=dict)  # name -> [paths]

    @classmethod
    def of(cls, machine: dict) -> Index:
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
            for child_scope, child in child_scopes(path, state):
                self._add(child, child_scope)

    def is_container(self, path: tuple) -> bool:
        """Is the state at ``path`` a Parallel or a Map (edges leave from its exit node)?"""
        return self.states[path]["Type"] in ("Parallel", "Map")

    def out_id(self, path: tuple) -> str:
        """The node id edges leaving the state at ``path`` start from."""
        return exit_id(path) if self.is_container(path) else node_id(path)

    def is_terminal(self, path: tuple) -> bool:
        """Does the state at ``path`` end its (branch of the) state machine?"""
        state = self.states[path]
        return state["Type"] in ("Succeed", "Fail") or state.get("End") is True
