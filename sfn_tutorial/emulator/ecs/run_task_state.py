"""Step Functions' ``arn:aws:states:::ecs:runTask`` and ``runTask.sync`` Task states, as on AWS.

AWS (developer guide, "Run Amazon ECS or Fargate tasks with Step Functions"): the state's
parameters are ``RunTask``'s, named as in ECS's API reference (``Cluster``, ``TaskDefinition``,
``LaunchType``, ``NetworkConfiguration``, ``Overrides.ContainerOverrides``...). Plain
``runTask`` ends once ECS has accepted the task, with ``RunTask``'s answer. ``runTask.sync``
waits until the task has stopped; its result is the stopped task as ``DescribeTasks`` shows it
(``Containers`` with their ``ExitCode``, ``StopCode``, ``StoppedReason``...). A task that stopped
with an essential container's exit code other than 0, or that never started, fails the state
with ``States.TaskFailed`` and that same task description, as JSON, for its cause.

moto passed the parameters to boto3 unrenamed (``States.Runtime``, cause ``'Cluster'``); the
renaming, the answer's metadata and the SDK's error names come from
``stepfunctions.service_integrations``, which lists ECS among its integrations. This module adds
what is ECS's own: a ``.sync`` task that did not succeed fails the state. ``apply()`` is called
once, in the emulator process, after ``service_integrations.apply()``.
"""

from __future__ import annotations

import json

from sfn_tutorial.emulator.stepfunctions import service_integrations

TASK_FAILED = "States.TaskFailed"


class TaskDidNotSucceed(Exception):
    """The ECS task of a ``.sync`` state stopped without success; ``task`` is its description."""

    def __init__(self, task: dict) -> None:
        super().__init__(task.get("StoppedReason", "the task failed"))
        self.task = task


def apply() -> None:
    """A ``runTask.sync`` state fails when its task does."""
    failed_tasks_fail_the_state()


def succeeded(task: dict) -> bool:
    """Whether a stopped task (as ``.sync`` describes it) succeeded: it started, and every
    container that exited did so with 0."""
    if task.get("StopCode") == "TaskFailedToStart":
        return False
    codes = [container.get("ExitCode") for container in task.get("Containers") or []]
    return all(code == 0 for code in codes if code is not None) and any(
        code is not None for code in codes
    )


def failed_tasks_fail_the_state() -> None:
    """``runTask.sync``: a task that stopped without success fails the state with
    ``States.TaskFailed``, its description as the cause."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_ecs,
    )

    task_class = state_task_service_ecs.StateTaskServiceEcs
    original_resolver = task_class._build_sync_resolver

    def _build_sync_resolver(self, env, *args, **kwargs):
        resolve = original_resolver(self, env, *args, **kwargs)

        def resolve_or_fail():
            task = resolve()
            if isinstance(task, dict):
                task = service_integrations.in_milliseconds(task)
                if not succeeded(task):
                    raise TaskDidNotSucceed(task)
            return task

        return resolve_or_fail

    task_class._build_sync_resolver = _build_sync_resolver

    original_error = task_class._from_error

    def _from_error(self, env, ex):
        if isinstance(ex, TaskDidNotSucceed):
            cause = json.dumps(ex.task, separators=(",", ":"))
            return service_integrations.task_failure(self, env, TASK_FAILED, cause)
        return original_error(self, env, ex)

    task_class._from_error = _from_error
