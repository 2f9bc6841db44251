"""Activities as AWS runs them: a Task whose ``Resource`` is an activity's ARN waits until a
worker takes its task with ``GetActivityTask`` and answers with ``SendTaskSuccess`` or
``SendTaskFailure``.

AWS (API reference, ``GetActivityTask``): a worker's poll returns a task scheduled by a running
state machine, its ``taskToken`` and ``input``. "The maximum time the service holds on to the
request before responding is 60 seconds. If no task is available within 60 seconds, the poll
returns a taskToken with a null string"; AWS advises a client socket timeout of at least 65
seconds. The Task's history reads ``ActivityScheduled``, ``ActivityStarted`` (with the
``workerName`` the poll gave) once a worker takes it, then ``ActivitySucceeded`` or
``ActivityFailed``.

moto's server has no ``GetActivityTask``, and it gave each execution an empty store of
activities, so every activity Task failed with ``States.Runtime`` ("The activity activity_arn
does not exist."). Here every execution sees the activities ``CreateActivity`` made, and a
poll waits on the emulator's clock (``clock``), which a test can move forward.
"""

from __future__ import annotations

import json
import time

from sfn_tutorial.emulator import clock
from sfn_tutorial.emulator.stepfunctions import task_tokens

POLL_S = 60  # how long AWS holds a poll that finds no task
CHECK_S = 0.05  # how often a waiting poll looks again
QUEUE_ATTRIBUTE = "tutorial_tasks"  # on moto's Activity: its scheduled tasks


def apply() -> None:
    """Install the activity fixes."""
    executions_see_the_accounts_activities()
    workers_get_activity_tasks()
    create_activity_is_idempotent()
    activity_input_is_compact_json()


class AccountActivities:
    """What moto's interpreter asks of an execution's activity store: ``get(arn)``, the queue of
    tasks of an activity that ``CreateActivity`` made (``None`` if there is no such activity)."""

    def get(self, activity_arn, default=None):
        return queue_of(activity_arn) or default


def queue_of(activity_arn: str):
    """The scheduled tasks of activity ``activity_arn`` (moto's interpreter's ``Activity``), made
    on first use and gone with the activity; ``None`` if it does not exist."""
    from moto.stepfunctions.parser.backend.activity import Activity
    from moto.stepfunctions.responses import get_backend

    parts = str(activity_arn).split(":")
    if len(parts) < 7 or parts[5] != "activity":
        return None
    activity = get_backend(parts[4], parts[3]).activities.get(activity_arn)
    if activity is None:
        return None
    if not hasattr(activity, QUEUE_ATTRIBUTE):
        setattr(activity, QUEUE_ATTRIBUTE, Activity(activity.arn, activity.name))
    return getattr(activity, QUEUE_ATTRIBUTE)


def executions_see_the_accounts_activities() -> None:
    """An execution's activity Tasks find the activities of its account and region."""
    from moto.stepfunctions.parser.backend.execution import Execution

    original = Execution.__init__

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self._activity_store = AccountActivities()

    Execution.__init__ = __init__


def workers_get_activity_tasks() -> None:
    """``GetActivityTask``: the next task of the activity, as ``taskToken`` and ``input``, its
    Task told which worker took it; ``{}`` (no token) after ``POLL_S`` seconds without one."""
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def get_activity_task(self):
        activity_arn = self._get_param("activityArn")
        # answers InvalidArn or ActivityDoesNotExist as moto does
        self.stepfunction_backend.describe_activity(activity_arn)
        worker_name = self._get_param("workerName")
        deadline = clock.CLOCK.timestamp() + POLL_S
        while True:
            task = take_task(activity_arn, worker_name)
            if task is not None:
                return ActionResult({"taskToken": task.task_token, "input": task.task_input})
            if clock.CLOCK.timestamp() >= deadline or queue_of(activity_arn) is None:
                return ActionResult({})
            time.sleep(CHECK_S)

    StepFunctionResponse.get_activity_task = get_activity_task


def take_task(activity_arn: str, worker_name: str | None):
    """The oldest task of the activity whose execution still waits for it, its Task told that
    ``worker_name`` took it; ``None`` when there is none. A task whose execution has ended (or
    whose Task timed out) is dropped, as AWS hands out only live tasks."""
    queue = queue_of(activity_arn)
    parts = activity_arn.split(":")
    while queue is not None:
        try:
            task = queue.get_task()
        except IndexError:
            return None
        endpoint = task_tokens.endpoint_of(task.task_token, parts[3], parts[4])
        if endpoint is not None and hasattr(endpoint, "notify_activity_task_start"):
            endpoint.notify_activity_task_start(worker_name)
            return task
    return None


def create_activity_is_idempotent() -> None:
    """``CreateActivity`` with the name of an activity that exists answers that activity (AWS's
    API reference: "CreateActivity is an idempotent API ... based on the activity name"; tags
    given again are ignored, not updated).

    moto answered ``ActivityAlreadyExists``.
    """
    from moto.stepfunctions.models import StepFunctionBackend
    from moto.utilities.utils import get_partition

    original = StepFunctionBackend.create_activity

    def create_activity(self, name, tags=None, encryption_configuration=None):
        partition = get_partition(self.region_name)
        arn = f"arn:{partition}:states:{self.region_name}:{self.account_id}:activity:{name}"
        existing = self.activities.get(arn)
        return existing or original(self, name, tags, encryption_configuration)

    StepFunctionBackend.create_activity = create_activity


def activity_input_is_compact_json() -> None:
    """The task's input (``ActivityScheduled``'s, and what ``GetActivityTask`` answers) is JSON
    without spaces, as Step Functions writes every state's data; moto wrote ``", "``."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_activitiy import (
        StateTaskActivity,
    )

    original = StateTaskActivity._eval_parameters

    def _eval_parameters(self, env):
        value = original(self, env)
        return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))

    StateTaskActivity._eval_parameters = _eval_parameters
