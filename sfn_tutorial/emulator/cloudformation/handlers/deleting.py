"""The ``delete`` of a resource that one call deletes by its physical id.

Most handlers delete that way: one call of the resource's service, naming it by its physical
id, where the service's not-found error means it is gone already (as CloudFormation has it, a
delete of what is gone succeeds). Such a handler says only which call, as a row of a table:

    delete = delete_by_id("sqs", "delete_queue", "QueueUrl", missing="QueueDoesNotExist")
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress

from sfn_tutorial.emulator.cloudformation.handlers import Handler, Made, Request


def delete_by_id(
    service: str, call: str, id_argument: str, missing: str | None = "ResourceNotFoundException"
) -> Callable[[Handler, Request, Made], None]:
    """A handler's ``delete`` method: ``call`` of ``service`` with the resource's physical id
    as ``id_argument``; the service's ``missing`` error (an error class of its client) means
    the resource is gone already (``None``: the service itself answers such a delete with
    success)."""

    def delete(handler: Handler, request: Request, made: Made) -> None:
        client = request.client(service)
        errors = (getattr(client.exceptions, missing),) if missing else ()
        with suppress(*errors):
            getattr(client, call)(**{id_argument: made.physical_id})

    delete.__doc__ = f"``{call}`` with the physical id as ``{id_argument}``."
    return delete
