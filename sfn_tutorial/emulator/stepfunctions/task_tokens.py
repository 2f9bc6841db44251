"""Which state machine, and which waiting Task, a task token belongs to.

The request names only the token, but IAM checks ``SendTaskSuccess``, ``SendTaskFailure`` and
``SendTaskHeartbeat`` against the state machine whose execution waits on it: AWS's refusal says
``... on resource: arn:aws:states:REGION:ACCOUNT:stateMachine:NAME``, and a policy may grant
them on that ARN (as the CDK's ``grantTaskResponse`` does) or on ``*``.
"""

from __future__ import annotations

TOKEN_ACTIONS = ("SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat")


def state_machine_of(task_token: str, region: str, account: str) -> str | None:
    """The ARN of the state machine whose running execution waits on ``task_token``; ``None``
    when no execution does (Step Functions then answers ``InvalidToken`` or
    ``TaskTimedOut``, after IAM has checked the call against ``*``)."""
    machine, _ = _waiting_on(task_token, region, account)
    return machine.arn if machine is not None else None


def endpoint_of(task_token: str, region: str, account: str):
    """The interpreter's endpoint that a running execution waits on for ``task_token``
    (``None`` when no execution does)."""
    return _waiting_on(task_token, region, account)[1]


def _waiting_on(task_token: str, region: str, account: str) -> tuple:
    from moto.stepfunctions.responses import get_backend

    for machine in get_backend(account, region).state_machines:
        for execution in machine.executions:
            worker = getattr(execution, "exec_worker", None)
            if worker is None or getattr(execution, "status", None) != "RUNNING":
                continue
            endpoint = worker.env.callback_pool_manager.get(task_token)
            if endpoint is not None:
                return machine, endpoint
    return None, None
