"""Amazon ECS on the local target: tasks of official Python images run as local processes.

- ``tasks``: ``RunTask`` / ``StopTask`` / ``DescribeTasks`` for tasks run on this machine.
- ``run_task_state``: Step Functions' ``ecs:runTask`` and ``ecs:runTask.sync`` Task states.
"""
