"""Which state machine a task token belongs to.

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
    from moto.stepfunctions.responses import get_backend

    for machine in get_backend(account, region).state_machines:
        for execution in machine.executions:
            worker = getattr(execution, "exec_worker", None)
            if worker is None or getattr(execution, "status", None) != "RUNNING":
                continue
            if worker.env.callback_pool_manager.get(task_token) is not None:
                return machine.arn
    return None
