"""Draw Amazon States Language state machines, and their executions, with graphviz.

``draw(definition)`` returns a ``graphviz.Digraph`` that looks like the Step Functions console's
graph: a Start and an End marker, one node per state whose shape tells its type, labelled edges
for Choice rules and Catchers, and Parallel branches and Map item processors drawn as nested boxes.
Give it an execution's history too, ``draw(definition, history)``, and each state is coloured by
what happened to it (as in the console), with the transitions taken drawn thicker.

A Jupyter cell whose last line is a ``Digraph`` shows it as SVG.

One module per job, in the order a drawing is made; each imports only modules above it:

- ``definition``: read and check a definition (``load_definition``, ``DefinitionError``).
- ``nodes``: each state's path and DOT node id, and an index of states and scopes.
- ``labels``: the words on nodes and edges (Choice rules, Retry lines, Task resources).
- ``trace``: an execution's history -> how each state went, and the transitions taken.
- ``render``: the graphviz drawing, in the console's colours (``draw``).

Import the names below from ``sfn_tutorial.graph``; the modules are how it is built.
"""

from sfn_tutorial.graph.definition import STATE_TYPES, DefinitionError, load_definition
from sfn_tutorial.graph.labels import choice_rule_text
from sfn_tutorial.graph.nodes import node_id
from sfn_tutorial.graph.render import STATUS_COLOURS, StateMachineGraph, draw
from sfn_tutorial.graph.trace import END, START, state_statuses, transitions_taken

__all__ = [
    "END",
    "START",
    "STATE_TYPES",
    "STATUS_COLOURS",
    "DefinitionError",
    "StateMachineGraph",
    "choice_rule_text",
    "draw",
    "load_definition",
    "node_id",
    "state_statuses",
    "transitions_taken",
]

# The notebooks' stored outputs show a drawing as "<sfn_tutorial.graph.StateMachineGraph at ...>"
# (compared by nbval) and tracebacks name "sfn_tutorial.graph.DefinitionError": keep the public
# address as these names' home.
StateMachineGraph.__module__ = __name__
DefinitionError.__module__ = __name__
