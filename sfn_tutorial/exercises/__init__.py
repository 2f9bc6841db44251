"""The notebooks' exercises, checked on the target: one small function per exercise.

A check looks at what the learner built *on the target*: a state machine's definition
(``DescribeStateMachine``), its newest execution (``ListExecutions``, ``DescribeExecution``,
``GetExecutionHistory``), a role's policies, a function's configuration or log, a rule, a route.
Notebook 14's checks also run the test the learner wrote, the function itself (found where pytest
in the notebook finds it, in the kernel's ``__main__``), on definitions of their own.
It never reads the text of a notebook cell, so any correct answer passes. It answers with one
line: ``✅`` and what is right, or ``❌``, what is wrong and a hint. It never raises: a missing
resource, a wrong answer and an unexpected error are all ``❌`` lines, so a learner who skips an
exercise goes on.

Where an exercise creates something, the task fixes its name; where it runs something, the check
reads the newest execution (or invocation), so running a cell again never confuses it.

``CHECKS`` maps an exercise's id (notebook number and a word, e.g. ``03-default``) to its check;
``check(exercise_id)`` runs one.

One module a notebook, named after it (``n04_executions`` holds notebook 04's checks), read as
the notebooks are; ``checking`` holds what they share: the registry (``exercise``, ``check``,
``CHECKS``), ``Wrong``, and the functions that read the target. Importing this package imports
every notebook's module, in the notebooks' order, which registers their checks.
"""

from __future__ import annotations

from sfn_tutorial.exercises import (  # noqa: F401  (each registers its notebook's checks)
    n01_lambda_functions,
    n02_step_functions_role,
    n03_state_machine,
    n04_executions,
    n05_triggers,
    n06_state_types_and_data_flow,
    n07_error_handling,
    n08_more_than_fifteen_minutes,
    n09_jsonpath_and_jsonata,
    n10_service_integrations,
    n11_standard_vs_express,
    n12_stack_as_code,
    n13_operate_and_evolve,
    n14_testing_workflows,
)
from sfn_tutorial.exercises.checking import (
    CHECKS,
    LAMBDA_TRANSIENT_ERRORS,
    LOG_PATIENCE_S,
    WAIT_S,
    Wrong,
    check,
    exercise,
)
from sfn_tutorial.exercises.n14_testing_workflows import RETRY_TEST, THROTTLED, WITH_RETRY

__all__ = [
    "CHECKS",
    "LAMBDA_TRANSIENT_ERRORS",
    "LOG_PATIENCE_S",
    "RETRY_TEST",
    "THROTTLED",
    "WAIT_S",
    "WITH_RETRY",
    "Wrong",
    "check",
    "exercise",
]
