"""ECS ``RunTask`` on the local target: a Python container's command runs as a local process.

There is no container runtime behind the tutorial's emulator. A task whose essential container's
image is an official Python image (``python:3.12-slim``, ``python``,
``public.ecr.aws/docker/library/python:3.12``, ``docker.io/library/python:...``) runs that
container's command on this machine with the emulator's own Python (``python`` / ``python3`` in
the command mean it), with:

* the container definition's ``environment``, then the ``ContainerOverrides`` of ``RunTask``'s
  ``overrides`` (``command`` replaces the command, ``environment`` adds or replaces variables),
  plus ``AWS_REGION`` / ``AWS_DEFAULT_REGION`` as on Fargate, the emulator's endpoint, and, as
  on AWS, the *task role*'s credentials (``taskRoleArn`` of ``RunTask``'s ``overrides``, else of
  the task definition): temporary credentials of that role, so boto3 in the command may do what
  the role allows and nothing more (``iam.authorization``); a task without a task role gets no
  credentials at all, as on Fargate;
* its output (stdout and stderr, line by line) in CloudWatch Logs as the ``awslogs`` log driver
  writes it: group ``awslogs-group``, stream ``PREFIX/CONTAINER/TASK_ID``; a group that does not
  exist stops the task (``ResourceInitializationError``) unless ``awslogs-create-group`` is
  ``"true"``;
* its exit code ending the task as ECS ends one (``DescribeTasks``): ``lastStatus`` and
  ``desiredStatus`` ``STOPPED``, ``stopCode`` ``EssentialContainerExited``, ``stoppedReason``
  ``Essential container in task exited``, the container's ``exitCode``; ``StopTask`` ends the
  process (``stopCode`` ``UserInitiated``, the caller's reason).

Any other image stops the task at once, as an image ECS cannot pull does (``stopCode``
``TaskFailedToStart``, ``stoppedReason`` ``CannotPullContainerError: ...``), saying what the local
target can run. moto created tasks that moved to ``STOPPED`` after a few ``DescribeTasks`` calls
and never ran anything. ``apply()`` is called once, in the emulator process;
``tests/test_ecs_tasks.py`` checks it.
"""

from __future__ import annotations

import atexit
import datetime
import inspect
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

from sfn_tutorial.emulator import auth, patching
from sfn_tutorial.emulator.awslambda import logs
from sfn_tutorial.emulator.iam import authorization

PYTHON_IMAGE = re.compile(
    r"^(?:(?:docker\.io/|registry-1\.docker\.io/)?(?:library/)?|public\.ecr\.aws/docker/library/)"
    r"python(?::[A-Za-z0-9_.-]+)?(?:@sha256:[0-9a-f]{64})?$"
)
PYTHON_COMMANDS = re.compile(r"^(?:/usr/(?:local/)?bin/)?python(?:3(?:\.\d+)?)?$")
WHAT_RUNS_LOCALLY = (
    "the local target runs only official Python images (python:<tag>, "
    "public.ecr.aws/docker/library/python:<tag>), as local processes"
)
MEMORY_KEYS = ("memory", "memoryReservation", "Memory", "MemoryReservation")
ECS_TASKS_PRINCIPAL = "ecs-tasks.amazonaws.com"  # who must be trusted to assume a task role
_processes: dict[str, subprocess.Popen] = {}  # task ARN -> its running command
_lock = threading.Lock()
_endpoint = ""  # this emulator's address, for the commands' boto3 calls


class CannotRun(Exception):
    """The task cannot start on the local target; the message says why."""


def apply(endpoint: str) -> None:
    """Make moto's ``RunTask`` run Python containers and ``StopTask`` stop them; the commands'
    boto3 calls go to ``endpoint``. Running commands end with the emulator."""
    global _endpoint
    _endpoint = endpoint
    atexit.register(stop_all)
    # ECS's backend imports EC2's, the largest of moto's: both load with the first ECS request.
    patching.when_imported("moto.ecs.models", _fix_moto_ecs)


def _fix_moto_ecs() -> None:
    fargate_containers_need_no_memory()
    run_task_runs_python_containers()
    stop_task_ends_the_process()
    tasks_report_their_own_status()


def stop_all() -> None:
    """End every command still running (the emulator is stopping)."""
    with _lock:
        running = list(_processes.values())
    for process in running:
        process.terminate()


def is_python_image(image: str | None) -> bool:
    """Whether ``image`` names an official Python image the local target can run."""
    return bool(image) and PYTHON_IMAGE.match(image.strip()) is not None


def now() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.timezone.utc)


def essential_container(task_definition) -> dict:
    """The container definition the task's life depends on (the first essential one)."""
    definitions = task_definition.container_definitions
    return next((d for d in definitions if d.get("essential", True)), definitions[0])


def container_override(overrides: dict, name: str) -> dict:
    """``RunTask``'s ``containerOverrides`` entry for container ``name`` (or ``{}``)."""
    for entry in (overrides or {}).get("containerOverrides") or []:
        if entry.get("name") == name:
            return entry
    return {}


def command_of(definition: dict, override: dict) -> list[str]:
    """The command the container runs: entry point, then the overriding or defined command."""
    command = override.get("command") or definition.get("command") or []
    arguments = list(definition.get("entryPoint") or []) + list(command)
    if not arguments:
        raise CannotRun(
            f"container {definition.get('name')!r} has no command: "
            "give it one in the task definition or in ContainerOverrides"
        )
    if PYTHON_COMMANDS.match(arguments[0]):
        arguments[0] = sys.executable
    return arguments


def task_role_of(task, task_definition) -> str | None:
    """The task's role: ``RunTask``'s ``overrides.taskRoleArn``, else the task definition's."""
    return (getattr(task, "overrides", None) or {}).get("taskRoleArn") or getattr(
        task_definition, "task_role_arn", None
    )


def role_credentials(role_arn: str | None, session_name: str) -> dict[str, str]:
    """The task role's temporary credentials as variables; none without a task role."""
    if not role_arn or auth.served() is None:
        return {}
    session = authorization.session_for(role_arn, session_name)
    return {
        "AWS_ACCESS_KEY_ID": session.access_key_id,
        "AWS_SECRET_ACCESS_KEY": session.secret_access_key,
        "AWS_SESSION_TOKEN": session.session_token,
    }


def environment_of(
    definition: dict, override: dict, region: str, credentials: dict[str, str] | None = None
) -> dict[str, str]:
    """The process's environment: the task definition's, then the override's, on top of a
    minimal one (``PATH``, ``HOME``, the region, the task role's ``credentials``)."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": tempfile.gettempdir(),
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "PYTHONUNBUFFERED": "1",
        **(credentials or {}),
        "AWS_ENDPOINT_URL": _endpoint,
    }
    for source in (definition.get("environment"), override.get("environment")):
        for pair in source or []:
            environment[str(pair["name"])] = str(pair.get("value", ""))
    return environment


def log_destination(definition: dict, task) -> tuple[object, str, str] | None:
    """Where the ``awslogs`` driver writes: ``(logs backend, group, stream)``, or ``None``
    without an ``awslogs`` configuration. Raises ``CannotRun`` for a missing group."""
    from moto.logs.models import logs_backends

    configuration = definition.get("logConfiguration") or {}
    if configuration.get("logDriver") != "awslogs":
        return None
    options = configuration.get("options") or {}
    group = options.get("awslogs-group")
    if not group:
        raise CannotRun("ResourceInitializationError: awslogs-group is required by awslogs")
    region = options.get("awslogs-region") or task.region_name
    backend = logs_backends[task._account_id][region]
    if group not in backend.groups:
        if str(options.get("awslogs-create-group", "")).lower() != "true":
            raise CannotRun(
                "ResourceInitializationError: failed to validate logger args: "
                f"The specified log group does not exist: {group}"
            )
        backend.ensure_log_group(group)
    prefix = options.get("awslogs-stream-prefix")
    task_id = task.task_arn.split("/")[-1]
    stream = f"{prefix}/{definition.get('name')}/{task_id}" if prefix else task_id
    return backend, group, stream


def start(task, task_definition) -> None:
    """Run ``task``'s essential container as a process, or stop it if it cannot run."""
    definition = essential_container(task_definition)
    image = definition.get("image")
    task.local = True
    task_id = task.task_arn.split("/")[-1]
    for container in task.containers:  # moto wrote the task definition's ARNs
        container.task_arn = task.task_arn
        container.container_arn = task.task_arn.replace(":task/", ":container/").replace(
            task_id, f"{task_id}/{container.container_arn.split('/')[-1]}"
        )
    task.created_at = task.created_at if getattr(task, "created_at", None) else now()
    try:
        if not is_python_image(image):
            raise CannotRun(
                f"CannotPullContainerError: image {image!r} cannot run here: {WHAT_RUNS_LOCALLY}"
            )
        override = container_override(task.overrides, definition.get("name"))
        command = command_of(definition, override)
        credentials = role_credentials(task_role_of(task, task_definition), task_id)
        environment = environment_of(definition, override, task.region_name, credentials)
        destination = log_destination(definition, task)
    except CannotRun as reason:
        finish(task, "TaskFailedToStart", str(reason), exit_code=None)
        return
    workdir = tempfile.mkdtemp(prefix="sfn-tutorial-ecs-")
    try:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
        )
    except OSError as error:
        shutil.rmtree(workdir, ignore_errors=True)
        finish(task, "TaskFailedToStart", f"CannotStartContainerError: {error}", exit_code=None)
        return
    task.started_at = now()
    task.last_status = "RUNNING"
    for container in task.containers:
        container.last_status = "RUNNING"
    with _lock:
        _processes[task.task_arn] = process
    threading.Thread(target=follow, args=(task, process, destination, workdir), daemon=True).start()


def follow(task, process: subprocess.Popen, destination, workdir: str) -> None:
    """Copy the process's lines to CloudWatch Logs while it runs; stop the task when it ends."""
    try:
        for line in process.stdout:
            if destination is not None:
                backend, group, stream = destination
                logs.QUEUE.add(backend, group, stream, [line.rstrip("\n")])
        exit_code = process.wait()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        with _lock:
            _processes.pop(task.task_arn, None)
    logs.QUEUE.flush()
    if task.desired_status != "STOPPED" or task.stop_code is None:
        finish(task, "EssentialContainerExited", "Essential container in task exited", exit_code)
    else:  # StopTask ended it: keep its reason, record the exit code
        for container in task.containers:
            container.exitCode = exit_code
            container.last_status = "STOPPED"


def finish(task, stop_code: str, reason: str, exit_code: int | None) -> None:
    """Mark ``task`` stopped as ECS describes a stopped task."""
    moment = now()
    task.stop_code = stop_code
    task.stopped_reason = reason
    task.stopping_at = moment
    task.execution_stopped_at = moment
    task.stopped_at = moment
    task.desired_status = "STOPPED"
    task.last_status = "STOPPED"
    for container in task.containers:
        container.last_status = "STOPPED"
        container.exitCode = exit_code
        if stop_code == "TaskFailedToStart":
            container.reason = reason


def fargate_containers_need_no_memory() -> None:
    """A Fargate task definition may give memory for the task only (``memory: "512"``), none
    per container; ``RunTask`` runs it. moto failed with a TypeError (HTTP 500)."""
    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend._calculate_task_resource_requirements

    def _calculate_task_resource_requirements(task_definition):
        definitions = task_definition.container_definitions
        missing = [d for d in definitions if not any(k in d for k in MEMORY_KEYS)]
        for definition in missing:
            definition["memory"] = 0
        try:
            return original(task_definition)
        finally:
            for definition in missing:
                definition.pop("memory", None)

    EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(
        _calculate_task_resource_requirements
    )


def check_task_role(role_arn: str) -> None:
    """AWS: ``RunTask`` with a task role ECS cannot assume (it does not exist, or its trust policy
    does not name ``ecs-tasks.amazonaws.com``) answers ``ClientException``, "ECS was unable to
    assume the role '...' that was provided for this task. ...", and starts nothing."""
    from moto.ecs.exceptions import ECSException

    from sfn_tutorial.emulator.iam import service_roles

    role = service_roles.find_role(role_arn)
    if role is None or not service_roles.trusts(role, ECS_TASKS_PRINCIPAL):
        raise ECSException(
            "ClientException",
            f"ECS was unable to assume the role '{role_arn}' that was provided for this task. "
            "Please verify that the role being passed has the proper trust relationship and "
            "permissions and that your IAM user has permissions to pass this role.",
        )


def run_task_runs_python_containers() -> None:
    """``RunTask``: each task's essential container starts as a local process, or the task
    stops with ``TaskFailedToStart`` naming what the local target can run. Without
    ``securityGroups`` a Fargate task gets the VPC's default one (moto failed: KeyError). A
    task role that does not exist or does not trust ``ecs-tasks.amazonaws.com`` is refused
    (``check_task_role``)."""
    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend.run_task
    signature = inspect.signature(original)

    def run_task(self, cluster_str, task_definition_str, *args, **kwargs):
        arguments = signature.bind(self, cluster_str, task_definition_str, *args, **kwargs)
        network = arguments.arguments.get("networking_configuration") or {}
        awsvpc = network.get("awsvpcConfiguration")
        if isinstance(awsvpc, dict):  # optional on AWS: the VPC's default security group
            awsvpc.setdefault("securityGroups", [])
        task_definition = self.describe_task_definition(task_definition_str)
        role_arn = (arguments.arguments.get("overrides") or {}).get("taskRoleArn") or getattr(
            task_definition, "task_role_arn", None
        )
        if role_arn:
            check_task_role(role_arn)
        tasks = original(*arguments.args, **arguments.kwargs)
        for task in tasks:
            task.stop_code = None
            start(task, task_definition)
        return tasks

    EC2ContainerServiceBackend.run_task = run_task


def stop_task_ends_the_process() -> None:
    """``StopTask``: the task's process is ended (``stopCode`` ``UserInitiated``)."""
    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend.stop_task

    def stop_task(self, cluster_str, task_str, reason):
        task = original(self, cluster_str, task_str, reason)
        if getattr(task, "local", False):
            if task.stop_code is None:
                task.stop_code = "UserInitiated"
                task.stopped_at = task.execution_stopped_at = now()
            with _lock:
                process = _processes.get(task.task_arn)
            if process is not None:
                process.terminate()
        return task

    EC2ContainerServiceBackend.stop_task = stop_task


def tasks_report_their_own_status() -> None:
    """A task run here is ``RUNNING`` until its process ends; moto moved every task to
    ``STOPPED`` after a few ``DescribeTasks`` calls."""
    from moto.ecs.models import Task

    managed = Task.status

    def status_get(self):
        if getattr(self, "local", False):
            return self._status
        return managed.fget(self)

    Task.status = property(status_get, managed.fset)
