"""A stack's resources created, updated and deleted as CloudFormation does it.

* **Order**: a resource is made after everything it refers to (``Ref``, ``Fn::GetAtt``,
  ``Fn::Sub``) and everything in its ``DependsOn``; deleted in the reverse order. A circle is
  refused: ``Circular dependency between resources: [...]``.
* **Events**: each resource goes ``CREATE_IN_PROGRESS`` → ``CREATE_COMPLETE`` (or
  ``CREATE_FAILED`` with the service's message in the words of CloudFormation's handlers:
  ``Resource handler returned message: "..." (RequestToken: ..., HandlerErrorCode: ...)``).
* **Rollback**: a failed create deletes what was made, newest first
  (``ROLLBACK_IN_PROGRESS`` "The following resource(s) failed to create: [X]. Rollback
  requested by user." → ``ROLLBACK_COMPLETE``), unless rollback is disabled
  (``CREATE_FAILED``). A failed update puts back what it changed (``UPDATE_ROLLBACK_COMPLETE``).
* **Updates**: a resource whose resolved properties changed is updated in place, or replaced
  when a create-only property (the type's schema says which) changed: the new one is made
  first, the old one deleted in the clean-up phase (``UPDATE_COMPLETE_CLEANUP_IN_PROGRESS``).
  A custom-named resource cannot be replaced (CloudFormation's message says to rename it).
* **Deletion**: ``DeletionPolicy: Retain`` keeps a resource (``DELETE_SKIPPED``).
* A type the emulator cannot make fails the stack, naming the type.

Stack operations run when their call arrives and are complete when it answers (on AWS they go
on after the call answers; a waiter, as the notebooks use, sees no difference).
"""

from __future__ import annotations

import uuid

from sfn_tutorial.emulator.cloudformation import handlers, intrinsics, schemas, stacks
from sfn_tutorial.emulator.cloudformation.handlers import HandlerError, Made, Request
from sfn_tutorial.emulator.cloudformation.templates import TemplateError

SDK_SERVICE_NAMES = {  # how CloudFormation's handlers (AWS SDK for Java 2) name services
    "lambda": "Lambda",
    "states": "Sfn",
    "iam": "Iam",
    "s3": "S3",
    "sqs": "Sqs",
    "sns": "Sns",
    "dynamodb": "DynamoDb",
    "events": "EventBridge",
    "logs": "CloudWatchLogs",
    "scheduler": "Scheduler",
    "apigateway": "ApiGateway",
    "ssm": "Ssm",
    "kms": "Kms",
}
HANDLER_ERROR_CODES = {  # the service's error code -> CloudFormation's HandlerErrorCode
    "ResourceConflictException": "AlreadyExists",
    "EntityAlreadyExists": "AlreadyExists",
    "ResourceAlreadyExistsException": "AlreadyExists",
    "StateMachineAlreadyExists": "AlreadyExists",
    "ResourceInUseException": "AlreadyExists",
    "BucketAlreadyExists": "AlreadyExists",
    "BucketAlreadyOwnedByYou": "AlreadyExists",
    "QueueAlreadyExists": "AlreadyExists",
    "ResourceNotFoundException": "NotFound",
    "NoSuchEntity": "NotFound",
    "NotFoundException": "NotFound",
    "NoSuchBucket": "NotFound",
    "AccessDeniedException": "AccessDenied",
    "AccessDenied": "AccessDenied",
    "ThrottlingException": "Throttling",
    "Throttling": "Throttling",
    "TooManyRequestsException": "Throttling",
    "LimitExceededException": "ServiceLimitExceeded",
}
# GetAtt attributes that change when a resource is updated in place (a change set cannot know
# them before it is executed); others (an ARN, a name) stay the same.
CHANGING_ATTRIBUTES = {"StateMachineRevisionId", "Version"}


class Failed(Exception):
    """A resource could not be made (``action`` ``create``) or changed (``update``);
    ``reason`` is what its event says."""

    def __init__(self, logical_id: str, reason: str, action: str = "create") -> None:
        super().__init__(reason)
        self.logical_id = logical_id
        self.reason = reason
        self.action = action


# ---------------------------------------------------------------- order


def dependencies(template: dict) -> dict[str, set[str]]:
    """For each resource, the resources it must come after."""
    resources = template["Resources"]
    found = {}
    for logical_id, entry in resources.items():
        body = {key: value for key, value in entry.items() if key not in ("Type", "DependsOn")}
        needs = intrinsics.references(body) & set(resources)
        depends = entry.get("DependsOn") or []
        needs |= set(depends if isinstance(depends, list) else [depends])
        found[logical_id] = needs - {logical_id}
    return found


def creation_order(template: dict) -> list[str]:
    """The resources in an order that makes each after what it needs (template order where
    free), or ``TemplateError`` naming the resources in a circle."""
    needs = dependencies(template)
    order, done, visiting = [], set(), []

    def visit(logical_id: str) -> None:
        if logical_id in done:
            return
        if logical_id in visiting:
            circle = visiting[visiting.index(logical_id) :]
            raise TemplateError(
                f"Circular dependency between resources: [{', '.join(sorted(circle))}]"
            )
        visiting.append(logical_id)
        for other in sorted(needs[logical_id], key=list(needs).index):
            visit(other)
        visiting.pop()
        done.add(logical_id)
        order.append(logical_id)

    for logical_id in needs:
        visit(logical_id)
    return order


# ---------------------------------------------------------------- evaluating a template


def pseudo_parameters(stack: stacks.Stack) -> dict:
    """``AWS::Region``, ``AWS::StackName``... for this stack."""
    return {
        "AWS::AccountId": stack.account_id,
        "AWS::NotificationARNs": stack.notification_arns,
        "AWS::Partition": "aws",
        "AWS::Region": stack.region_name,
        "AWS::StackId": stack.stack_id,
        "AWS::StackName": stack.name,
        "AWS::URLSuffix": "amazonaws.com",
    }


def evaluator(stack, template, parameters, exports, known=None, language_extensions=False):
    """An ``Evaluator`` whose ``Ref`` and ``Fn::GetAtt`` read the stack's resources (``known``
    overrides them: ``UNKNOWN`` for what a change set cannot know yet)."""
    known = known or {}

    def ref(logical_id: str):
        if logical_id in known:
            return known[logical_id]
        record = stack.resources.get(logical_id)
        if record is None or record.made is None:
            return intrinsics.UNKNOWN
        return record.made.ref_value

    def get_att(logical_id: str, attribute: str):
        if logical_id in known:
            return intrinsics.UNKNOWN
        record = stack.resources.get(logical_id)
        if record is None or record.made is None:
            return intrinsics.UNKNOWN
        if attribute in record.made.attributes:
            return record.made.attributes[attribute]
        if record.type_name in schemas.ALL_PROPERTIES_ARE_ATTRIBUTES and attribute in (
            record.properties or {}
        ):
            return record.properties[attribute]
        raise intrinsics.IntrinsicError(
            f"Template error: resource {logical_id} does not support attribute type "
            f"{attribute} in Fn::GetAtt"
        )

    return intrinsics.Evaluator(
        template,
        parameters,
        pseudo_parameters(stack),
        ref,
        get_att,
        exports,
        language_extensions=language_extensions,
    )


def resolve_outputs(stack: stacks.Stack, template: dict, values: intrinsics.Evaluator) -> list:
    """The template's outputs, evaluated."""
    outputs = []
    for key, output in (template.get("Outputs") or {}).items():
        if not values.included(output):
            continue
        value = values.resolve(output.get("Value"))
        entry = {"OutputKey": key, "OutputValue": _output_text(value)}
        if "Description" in output:
            entry["Description"] = values.resolve(output["Description"])
        if "Export" in output:
            entry["ExportName"] = values.resolve(output["Export"]["Name"])
        outputs.append(entry)
    return outputs


def _output_text(value) -> str:
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---------------------------------------------------------------- one resource


def _request(stack, logical_id, type_name, properties, record=None) -> Request:
    """What a handler is given, the properties read as the type's schema types them."""
    previous = record.properties if record else None
    return Request(
        logical_id=logical_id,
        type_name=type_name,
        properties=schemas.typed(type_name, properties, stack.region_name),
        stack_name=stack.name,
        stack_id=stack.stack_id,
        region=stack.region_name,
        account_id=stack.account_id,
        stack_tags=dict(stack.tags),
        previous_properties=(
            schemas.typed(type_name, previous, stack.region_name) if previous else previous
        ),
        previous=record.made if record else None,
    )


def failure_reason(error: Exception, type_name: str = "") -> str:
    """What a failed resource's event says, in the words of CloudFormation's handlers."""
    token = uuid.uuid4()
    if isinstance(error, HandlerError):
        return (
            f'Resource handler returned message: "{error.message}" '
            f"(RequestToken: {token}, HandlerErrorCode: {error.code})"
        )
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:
        details = response["Error"]
        code = details.get("Code", "")
        metadata = response.get("ResponseMetadata", {})
        status = metadata.get("HTTPStatusCode", 400)
        fallback = "InvalidRequest" if status < 500 else "GeneralServiceException"
        return (
            f'Resource handler returned message: "{details.get("Message") or code} (Service: '
            f"{_sdk_service_name(type_name)}, Status Code: {status}, Request ID: "
            f'{metadata.get("RequestId") or uuid.uuid4()})" (RequestToken: {token}, '
            f"HandlerErrorCode: {HANDLER_ERROR_CODES.get(code, fallback)})"
        )
    if isinstance(error, (intrinsics.IntrinsicError, TemplateError)):
        return str(error)
    return (
        f'Resource handler returned message: "{error}" (RequestToken: {token}, '
        "HandlerErrorCode: InternalFailure)"
    )


def _sdk_service_name(type_name: str) -> str:
    """``AWS::StepFunctions::StateMachine`` -> ``Sfn``: the service as the handler names it."""
    service = type_name.split("::")[1].lower() if type_name.count("::") == 2 else ""
    service = {"stepfunctions": "states", "apigatewayv2": "apigateway"}.get(service, service)
    return SDK_SERVICE_NAMES.get(service, service.title())


def unsupported_reason(type_name: str) -> str:
    """The reason a resource of a type the emulator cannot make fails with."""
    return (
        f"The local emulator cannot create resources of type {type_name}: it is not one of the "
        "types it makes (see the README, 'How the local target differs from AWS'). Deploy this "
        "template to AWS, or leave this resource out locally."
    )


def _call(handler, method: str, request: Request, *extra):
    """``handler.method(request)`` (the handler's own errors pass through)."""
    return getattr(handler, method)(request, *extra)


# ---------------------------------------------------------------- create


class Operation:
    """One stack operation (create, update, delete) and the rollback it may need."""

    def __init__(self, stack: stacks.Stack, exports: dict, language_extensions: bool = False):
        self.stack = stack
        self.exports = exports
        self.language_extensions = language_extensions

    def values(self, template: dict, parameters: dict, known=None) -> intrinsics.Evaluator:
        return evaluator(
            self.stack, template, parameters, self.exports, known, self.language_extensions
        )

    def create(self, template: dict, parameters: dict, on_failure: str = "ROLLBACK") -> None:
        """Make every resource of ``template``; on failure roll back, keep (``DO_NOTHING``)
        or roll back and delete the stack (``DELETE``)."""
        stack = self.stack
        stack.processed, stack.parameters = template, parameters
        values = self.values(template, parameters)
        made: list[str] = []
        try:
            for logical_id in creation_order(template):
                entry = template["Resources"][logical_id]
                if not values.included(entry):
                    continue
                self._create_one(logical_id, entry, values, "CREATE")
                made.append(logical_id)
            stack.stack_outputs = resolve_outputs(stack, template, values)
        except Failed as failure:
            reason = f"The following resource(s) failed to create: [{failure.logical_id}]. "
            if on_failure == "DO_NOTHING":
                stack.stack_event("CREATE_FAILED", reason)
                return
            stack.stack_event("ROLLBACK_IN_PROGRESS", reason + "Rollback requested by user.")
            failed = self._delete_all([*made, failure.logical_id])
            if failed:
                stack.stack_event(
                    "ROLLBACK_FAILED",
                    f"The following resource(s) failed to delete: [{', '.join(failed)}]. ",
                )
                return
            stack.stack_event("ROLLBACK_COMPLETE")
            if on_failure == "DELETE":
                stack.stack_event("DELETE_IN_PROGRESS", "User Initiated")
                stack.stack_event("DELETE_COMPLETE")
            return
        stack.stack_event("CREATE_COMPLETE")

    def _create_one(self, logical_id, entry, values, action: str) -> None:
        stack = self.stack
        type_name = entry["Type"]
        record = stacks.StackResource(logical_id, type_name, entry=entry)
        stack.resources[logical_id] = record
        self._status(record, f"{action}_IN_PROGRESS")
        handler = handlers.handler_for(type_name)
        try:
            if handler is None:
                raise Failed(logical_id, unsupported_reason(type_name))
            properties = values.resolve(entry.get("Properties") or {})
            request = _request(stack, logical_id, type_name, properties)
            record.made = _call(handler, "create", request)
            record.properties = properties
        except Failed as failure:
            self._status(record, f"{action}_FAILED", failure.reason)
            raise
        except Exception as error:  # a service's refusal, a bad value
            reason = failure_reason(error, type_name)
            self._status(record, f"{action}_FAILED", reason)
            raise Failed(logical_id, reason) from error
        self._status(record, f"{action}_IN_PROGRESS", "Resource creation Initiated")
        self._status(record, f"{action}_COMPLETE")

    def _status(self, record: stacks.StackResource, status: str, reason: str | None = None):
        record.status, record.status_reason, record.timestamp = status, reason, stacks.now()
        self.stack.add_event(
            record.logical_id, record.physical_id, record.type_name, status, reason
        )

    # ------------------------------------------------------------ delete

    def delete(self) -> list[str]:
        """Delete every resource of the stack, newest first; the ones that failed."""
        order = creation_order(self.stack.processed) if self.stack.processed else []
        present = [
            logical_id
            for logical_id in order
            if logical_id in self.stack.resources
            and self.stack.resources[logical_id].made is not None
            and not self.stack.resources[logical_id].status.startswith("DELETE")
        ]
        return self._delete_all(present, honour_retain=True)

    def _delete_all(self, logical_ids: list[str], honour_retain: bool = False) -> list[str]:
        failed = []
        for logical_id in reversed(logical_ids):
            record = self.stack.resources.get(logical_id)
            if record is None:
                continue
            if honour_retain and record.entry.get("DeletionPolicy") == "Retain":
                self._status(record, "DELETE_SKIPPED")
                continue
            if not self._delete_one(record):
                failed.append(logical_id)
        return failed

    def _delete_one(self, record: stacks.StackResource, made: Made | None = None) -> bool:
        made = made or record.made
        if made is None:
            self._status(record, "DELETE_COMPLETE")
            return True
        self._status(record, "DELETE_IN_PROGRESS")
        handler = handlers.handler_for(record.type_name)
        request = _request(self.stack, record.logical_id, record.type_name, record.properties or {})
        try:
            _call(handler, "delete", request, made)
        except Exception as error:
            self._status(record, "DELETE_FAILED", failure_reason(error, record.type_name))
            return False
        self._status(record, "DELETE_COMPLETE")
        return True

    # ------------------------------------------------------------ update

    def update(self, template: dict, parameters: dict) -> None:
        """Bring the stack to ``template`` with ``parameters``: create, update in place,
        replace; then delete what is gone. A failure puts everything back."""
        stack = self.stack
        old_template, old_parameters = stack.processed, stack.parameters
        old_records = dict(stack.resources)
        old_outputs = stack.stack_outputs
        stack.processed, stack.parameters = template, parameters
        values = self.values(template, parameters)
        done: list[tuple[str, str, stacks.StackResource | None]] = []  # (id, what, old record)
        cleanup: list[stacks.StackResource] = []
        try:
            for logical_id in creation_order(template):
                entry = template["Resources"][logical_id]
                if not values.included(entry):
                    continue
                record = old_records.get(logical_id)
                if record is None or record.made is None or record.type_name != entry["Type"]:
                    self._create_one(logical_id, entry, values, "CREATE")
                    done.append((logical_id, "created", record))
                    if record is not None and record.made is not None:
                        cleanup.append(record)
                    continue
                outcome = self._update_one(record, entry, values)
                if outcome == "replaced":
                    cleanup.append(record)
                if outcome != "unchanged":
                    done.append((logical_id, outcome, record))
            stack.stack_outputs = resolve_outputs(stack, template, values)
        except Failed as failure:
            stack.stack_event(
                "UPDATE_ROLLBACK_IN_PROGRESS",
                f"The following resource(s) failed to {failure.action}: [{failure.logical_id}]. ",
            )
            self._roll_back_update(done, old_records, old_template, old_parameters)
            stack.processed, stack.parameters = old_template, old_parameters
            stack.stack_outputs = old_outputs
            stack.stack_event("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
            stack.stack_event("UPDATE_ROLLBACK_COMPLETE")
            raise
        stack.stack_event("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
        gone = [
            logical_id
            for logical_id in reversed(creation_order(old_template))
            if logical_id in old_records
            and (
                logical_id not in template["Resources"]
                or not values.included(template["Resources"][logical_id])
            )
        ]
        for record in reversed(cleanup):
            if record.entry.get("UpdateReplacePolicy") != "Retain":
                self._delete_replaced(record)
        for logical_id in gone:
            record = old_records[logical_id]
            if record.entry.get("DeletionPolicy") == "Retain":
                self._status(record, "DELETE_SKIPPED")
            else:
                self._delete_one(record)
            stack.resources.pop(logical_id, None)
        stack.stack_event("UPDATE_COMPLETE")

    def _update_one(self, record: stacks.StackResource, entry: dict, values) -> str:
        """Update one resource if its resolved properties changed: ``unchanged``, ``updated``
        (in place) or ``replaced``."""
        stack = self.stack
        try:
            properties = values.resolve(entry.get("Properties") or {})
        except Exception as error:
            reason = failure_reason(error, record.type_name)
            self._status(record, "UPDATE_FAILED", reason)
            raise Failed(record.logical_id, reason, "update") from error
        if properties == record.properties and entry.get("Metadata") == record.entry.get(
            "Metadata"
        ):
            record.entry = entry
            return "unchanged"
        replace = requires_replacement(
            record.type_name, record.properties or {}, properties, stack.region_name
        )
        handler = handlers.handler_for(record.type_name)
        new = stacks.StackResource(record.logical_id, record.type_name, entry=entry)
        new.made, new.properties = record.made, record.properties
        stack.resources[record.logical_id] = new
        if replace:
            name_property = _custom_name(record.type_name, properties)
            if name_property and properties[name_property] == (record.properties or {}).get(
                name_property
            ):
                reason = (
                    "CloudFormation cannot update a stack when a custom-named resource requires "
                    f"replacing. Rename {properties[name_property]} and update the stack again."
                )
                self._status(new, "UPDATE_FAILED", reason)
                raise Failed(record.logical_id, reason, "update")
            self._status(
                new,
                "UPDATE_IN_PROGRESS",
                "Requested update requires the creation of a new physical resource; hence "
                "creating one.",
            )
            method, request = (
                "create",
                _request(stack, record.logical_id, record.type_name, properties),
            )
        else:
            self._status(new, "UPDATE_IN_PROGRESS")
            method, request = (
                "update",
                _request(stack, record.logical_id, record.type_name, properties, record),
            )
        try:
            made = _call(handler, method, request)
        except Exception as error:
            reason = failure_reason(error, record.type_name)
            self._status(new, "UPDATE_FAILED", reason)
            raise Failed(record.logical_id, reason, "update") from error
        new.made, new.properties = made, properties
        if replace:
            self._status(new, "UPDATE_IN_PROGRESS", "Resource creation Initiated")
        self._status(new, "UPDATE_COMPLETE")
        return "replaced" if made.physical_id != record.physical_id else "updated"

    def _delete_replaced(self, record: stacks.StackResource) -> None:
        """The clean-up phase deletes the old resource a replacement left behind."""
        handler = handlers.handler_for(record.type_name)
        current = self.stack.resources.get(record.logical_id)
        self.stack.add_event(
            record.logical_id, record.physical_id, record.type_name, "DELETE_IN_PROGRESS"
        )
        request = _request(self.stack, record.logical_id, record.type_name, record.properties or {})
        try:
            _call(handler, "delete", request, record.made)
        except Exception as error:
            self.stack.add_event(
                record.logical_id,
                record.physical_id,
                record.type_name,
                "DELETE_FAILED",
                failure_reason(error, record.type_name),
            )
            return
        self.stack.add_event(
            record.logical_id, record.physical_id, record.type_name, "DELETE_COMPLETE"
        )
        if current is not None and current.physical_id == record.physical_id:
            self.stack.resources.pop(record.logical_id, None)

    def _roll_back_update(self, done, old_records, old_template, old_parameters) -> None:
        stack = self.stack
        old_values = self.values(old_template, old_parameters)
        for logical_id, outcome, old in reversed(done):
            current = stack.resources.get(logical_id)
            if outcome == "created":
                if current is not None:
                    self._delete_one(current)
                if old is not None:
                    stack.resources[logical_id] = old
                else:
                    stack.resources.pop(logical_id, None)
            elif outcome == "replaced":
                if current is not None:
                    self._delete_one(current)
                stack.resources[logical_id] = old
                self._status(old, "UPDATE_COMPLETE")
            elif outcome == "updated" and current is not None:
                handler = handlers.handler_for(current.type_name)
                self._status(current, "UPDATE_IN_PROGRESS")
                request = _request(
                    stack,
                    logical_id,
                    current.type_name,
                    old_values.resolve(old.entry.get("Properties") or {}),
                    current,
                )
                try:
                    current.made = _call(handler, "update", request)
                    current.properties, current.entry = request.properties, old.entry
                    self._status(current, "UPDATE_COMPLETE")
                except Exception as error:
                    self._status(current, "UPDATE_FAILED", failure_reason(error, current.type_name))
        for logical_id, record in list(stack.resources.items()):
            if logical_id not in old_records and record.made is None:
                stack.resources.pop(logical_id)
            elif record.status.endswith("_FAILED") and logical_id in old_records:
                stack.resources[logical_id] = old_records[logical_id]


def _custom_name(type_name: str, properties: dict) -> str | None:
    """The property that names a resource, when the template gave the name itself (a
    replacement keeping that name would clash with the resource it replaces)."""
    for path in schemas.create_only(type_name):
        if len(path) == 1 and path[0].endswith("Name") and properties.get(path[0]):
            return path[0]
    return None


def requires_replacement(type_name: str, old: dict, new: dict, region: str) -> bool:
    """Does a change from ``old`` to ``new`` properties touch a create-only property?"""
    return any(_at(old, path) != _at(new, path) for path in schemas.create_only(type_name, region))


def _at(properties: dict, path: tuple[str, ...]):
    value = properties
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
