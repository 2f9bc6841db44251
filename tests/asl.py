"""State machine definitions for tests, put together from their parts where several tests
would otherwise write out the same frame around them."""

from __future__ import annotations


def machine(**states: dict) -> dict:
    """A machine of ``states`` that starts at the first of them."""
    return {"StartAt": next(iter(states)), "States": states}


branch = machine  # a Parallel state's branch (or a Map's processor) has the same two fields


def in_parallel(*branches: dict, then: dict | None = None) -> dict:
    """A machine that starts with the Parallel state ``Both`` running ``branches``: it ends
    there, or goes on to ``then``, the state ``After``."""
    both = {"Type": "Parallel", "Branches": list(branches)}
    if then is None:
        return {"StartAt": "Both", "States": {"Both": {**both, "End": True}}}
    return {"StartAt": "Both", "States": {"Both": {**both, "Next": "After"}, "After": then}}


def map_over_items(name: str, state: dict, **map_fields) -> dict:
    """A machine whose Map state ``Each``, with ``map_fields``, runs each of ``$.items``
    through the one state ``name`` (``state``, ended there), inline."""
    processor = {"ProcessorConfig": {"Mode": "INLINE"}, **machine(**{name: {**state, "End": True}})}
    each = {"Type": "Map", "ItemsPath": "$.items", **map_fields, "ItemProcessor": processor}
    return machine(Each={**each, "End": True})
