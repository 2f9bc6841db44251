"""CloudFormation's actions on the local target, as AWS answers them, in moto's CloudFormation.

moto keeps the stacks and answers most of the API; it provisions a stack by calling its
backends' own CloudFormation models, which fall short: a type it has no model for (every
``AWS::Serverless::*`` one among them) is skipped and the stack still ends ``CREATE_COMPLETE``,
a ``Ref`` to such a resource is an HTTP 500, state machines are made where the Step Functions
API cannot see them, nothing is rolled back, and there are no transforms. Here these actions
are CloudFormation's:

* ``CreateStack``, ``UpdateStack``, ``DeleteStack``: the template is read, transformed
  (``transforms``: SAM with ``aws-sam-translator``), checked (``templates``), its capabilities
  checked (``CAPABILITY_IAM``, ``CAPABILITY_NAMED_IAM``, ``CAPABILITY_AUTO_EXPAND``), then
  provisioned (``provisioning``);
* ``CreateChangeSet`` (``CREATE`` and ``UPDATE``), ``DescribeChangeSet`` (with AWS's
  ``Changes``, ``change_sets``), ``ExecuteChangeSet``, ``DeleteChangeSet``, ``ListChangeSets``;
* ``DescribeStackEvents``, ``ListStackResources``, ``DescribeStackResource(s)`` and
  ``GetTemplate`` (``Original`` or ``Processed``) from the stack's own records.

moto's CloudFormation is loaded on the first CloudFormation request (``install``), not when
the emulator starts.
"""

from __future__ import annotations

from sfn_tutorial.emulator.cloudformation import (
    change_sets,
    provisioning,
    schemas,
    services,
    stacks,
    templates,
    transforms,
)
from sfn_tutorial.emulator.cloudformation.templates import TemplateError
from sfn_tutorial.emulator.patching import before_first_served

UPDATABLE = {
    "CREATE_COMPLETE",
    "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",
    "IMPORT_COMPLETE",
    "IMPORT_ROLLBACK_COMPLETE",
}
IAM_TYPES = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::Policy": None,
    "AWS::IAM::AccessKey": None,
    "AWS::IAM::UserToGroupAddition": None,
}
NO_CHANGES = (
    "The submitted information didn't contain changes. Submit different information to create "
    "a change set."
)


def apply(port: int) -> None:
    """Answer CloudFormation's actions as AWS does once moto's CloudFormation is first served
    (importing it imports every moto backend); resources are made through this emulator's
    ``port``."""
    services.serve_on(port)
    before_first_served(("cloudformation",), install)


def install() -> None:
    """Put CloudFormation's actions into moto's CloudFormation."""
    from moto.cloudformation.responses import CloudFormationResponse

    for name, action in ACTIONS.items():
        setattr(CloudFormationResponse, name, action)
    # These actions answer in the API's own shapes: moto's reshaping is not needed.
    CloudFormationResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER = {
        path: transformer
        for path, transformer in CloudFormationResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER.items()
        if not path.startswith("DescribeChangeSetOutput.")
    }


# ---------------------------------------------------------------- errors


def _errors():
    from moto.cloudformation import exceptions

    return exceptions


def validation_error(message: str):
    """CloudFormation's ``ValidationError`` (HTTP 400)."""
    return _errors().ValidationError(message=message)


def _error(code: str, message: str):
    class Refusal(_errors().CloudFormationError):
        pass

    Refusal.code = code
    return Refusal(message)


# ---------------------------------------------------------------- the request


def _request_of(response) -> dict:
    """What a CreateStack / UpdateStack / CreateChangeSet request asks for."""
    get = response._get_param
    return {
        "template_body": get("TemplateBody"),
        "template_url": get("TemplateURL"),
        "use_previous_template": str(get("UsePreviousTemplate", "false")).lower() == "true",
        "parameters": get("Parameters", []) or [],
        "capabilities": get("Capabilities", []) or [],
        "tags": {tag["Key"]: tag["Value"] for tag in get("Tags", []) or []},
        "notification_arns": get("NotificationARNs", []) or [],
        "role_arn": get("RoleARN"),
        "disable_rollback": str(get("DisableRollback", "false")).lower() == "true",
        "on_failure": get("OnFailure"),
        "timeout_in_minutes": get("TimeoutInMinutes"),
        "enable_termination_protection": str(get("EnableTerminationProtection", "false")).lower()
        == "true",
        "description": get("Description"),
    }


def _template_text(response, request: dict, stack: stacks.Stack | None) -> str:
    if request["use_previous_template"]:
        if stack is None:
            raise validation_error("UsePreviousTemplate needs an existing stack")
        return stack.template
    if request["template_body"]:
        return request["template_body"]
    if request["template_url"]:
        return response._get_stack_from_s3_url(request["template_url"])
    raise validation_error("Either Template URL or Template Body must be specified.")


def _given_parameters(request: dict) -> dict:
    given = {}
    for parameter in request["parameters"]:
        use_previous = str(parameter.get("UsePreviousValue", "false")).lower() == "true"
        given[parameter["ParameterKey"]] = None if use_previous else parameter.get("ParameterValue")
    return given


def _find(backend, name_or_id: str) -> stacks.Stack | None:
    """A stack that is not deleted, by name or id (or a deleted one, by id)."""
    for stack in backend.stacks.values():
        if name_or_id in (stack.name, stack.stack_id):
            return stack
    return backend.deleted_stacks.get(name_or_id)


def _existing(backend, name_or_id: str) -> stacks.Stack:
    stack = _find(backend, name_or_id)
    if stack is None:
        raise validation_error(f"Stack with id {name_or_id} does not exist")
    return stack


# ---------------------------------------------------------------- preparing a template


class Prepared:
    """A template read, transformed and checked, with its parameters resolved."""

    def __init__(self, text, original, processed, parameters, language_extensions):
        self.text = text
        self.original = original
        self.processed = processed
        self.parameters = parameters
        self.language_extensions = language_extensions


def prepare(stack: stacks.Stack, text: str, given: dict) -> Prepared:
    """Read ``text``, resolve its parameters, apply its transforms and check the result, as
    CloudFormation does before it changes anything (``TemplateError`` otherwise)."""
    original = templates.parse(text)
    parameters = templates.resolve_parameters(original, given, stack.parameters)
    parameters = _resolve_ssm_parameters(original, parameters, stack.region_name)
    pseudo = provisioning.pseudo_parameters(stack)
    processed = transforms.apply(original, parameters, pseudo)
    templates.check_format(processed, lambda name: schemas.known_type(name, stack.region_name))
    provisioning.creation_order(processed)  # refuses a circle
    names = templates.transforms_of(original)
    return Prepared(text, original, processed, parameters, transforms.LANGUAGE_EXTENSIONS in names)


def _resolve_ssm_parameters(template: dict, parameters: dict, region: str) -> dict:
    """Parameters of type ``AWS::SSM::Parameter::Value<...>`` get the SSM parameter's value."""
    declared = template.get("Parameters") or {}
    resolved = dict(parameters)
    for name, value in parameters.items():
        kind = declared.get(name, {}).get("Type", "")
        if kind.startswith("AWS::SSM::Parameter::Value<"):
            ssm = services.client("ssm", region)
            try:
                found = ssm.get_parameter(Name=value)["Parameter"]["Value"]
            except ssm.exceptions.ParameterNotFound:
                raise TemplateError(
                    f"Parameters: [{value}] referenced by template have types "
                    "not supported by CloudFormation."
                ) from None
            resolved[name] = found.split(",") if "List<" in kind else found
    return resolved


def required_capabilities(original: dict, processed: dict, direct: bool) -> list[str]:
    """The capabilities a template needs: ``CAPABILITY_NAMED_IAM`` for named IAM resources,
    else ``CAPABILITY_IAM`` for any IAM resource; ``CAPABILITY_AUTO_EXPAND`` for transforms
    when the stack is created or updated directly (a change set shows their result first)."""
    needed = []
    iam = [r for r in processed["Resources"].values() if r["Type"] in IAM_TYPES]
    named = any(
        IAM_TYPES[r["Type"]] and (r.get("Properties") or {}).get(IAM_TYPES[r["Type"]]) for r in iam
    )
    if named:
        needed.append("CAPABILITY_NAMED_IAM")
    elif iam:
        needed.append("CAPABILITY_IAM")
    if direct and templates.transforms_of(original):
        needed.append("CAPABILITY_AUTO_EXPAND")
    return needed


def check_capabilities(prepared: Prepared, given: list[str], direct: bool) -> None:
    """Refuse as CloudFormation does when an acknowledgement is missing. Transforms come
    first: until they are acknowledged, CloudFormation cannot know what they would make."""
    if direct and templates.transforms_of(prepared.original):
        if "CAPABILITY_AUTO_EXPAND" not in given:
            raise _error(
                "InsufficientCapabilitiesException",
                "Requires capabilities : [CAPABILITY_AUTO_EXPAND]",
            )
    needed = required_capabilities(prepared.original, prepared.processed, direct)
    missing = [
        capability
        for capability in needed
        if capability not in given
        and not (capability == "CAPABILITY_IAM" and "CAPABILITY_NAMED_IAM" in given)
    ]
    if missing:
        raise _error(
            "InsufficientCapabilitiesException",
            f"Requires capabilities : [{', '.join(missing)}]",
        )


def _exports(backend) -> dict:
    return {name: export.value for name, export in backend.exports.items()}


def _record_exports(backend, stack: stacks.Stack) -> None:
    from moto.cloudformation.parsing import Export

    for name in [n for n, e in backend.exports.items() if e.exporting_stack_id == stack.stack_id]:
        backend.exports.pop(name)
    for output in stack.stack_outputs:
        if "ExportName" in output:
            backend.exports[output["ExportName"]] = Export(
                stack.stack_id, output["ExportName"], output["OutputValue"]
            )


def _adopt(stack: stacks.Stack, prepared: Prepared) -> None:
    stack.template = prepared.text
    stack.template_dict = prepared.original


# ---------------------------------------------------------------- the stack actions


def create_stack(self):
    backend = self.cloudformation_backend
    name = self._get_param("StackName")
    request = _request_of(self)
    existing = _find(backend, name)
    if existing is not None and existing.status != "REVIEW_IN_PROGRESS":
        raise _error("AlreadyExistsException", f"Stack [{name}] already exists")
    stack = stacks.Stack(backend, name, request)
    try:
        prepared = prepare(stack, _template_text(self, request, None), _given_parameters(request))
    except TemplateError as error:
        raise validation_error(str(error)) from None
    check_capabilities(prepared, request["capabilities"], direct=True)
    if existing is not None:  # a stack still in review is replaced by this one
        backend.stacks.pop(existing.stack_id, None)
    backend.stacks[stack.stack_id] = stack
    _adopt(stack, prepared)
    on_failure = request["on_failure"] or (
        "DO_NOTHING" if request["disable_rollback"] else "ROLLBACK"
    )
    with stack.lock:
        stack.stack_event("CREATE_IN_PROGRESS", "User Initiated")
        operation = provisioning.Operation(stack, _exports(backend), prepared.language_extensions)
        operation.create(prepared.processed, prepared.parameters, on_failure)
        _settle(backend, stack)
    return _result({"StackId": stack.stack_id})


def _settle(backend, stack: stacks.Stack) -> None:
    """After an operation: a deleted stack moves to the deleted ones; exports follow."""
    if stack.status == "DELETE_COMPLETE":
        stack.deletion_time = stacks.now()
        backend.stacks.pop(stack.stack_id, None)
        backend.deleted_stacks[stack.stack_id] = stack
        for name in [
            n for n, e in backend.exports.items() if e.exporting_stack_id == stack.stack_id
        ]:
            backend.exports.pop(name)
    elif stack.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        _record_exports(backend, stack)


def update_stack(self):
    backend = self.cloudformation_backend
    name = self._get_param("StackName")
    request = _request_of(self)
    stack = _find(backend, name)
    if stack is None or stack.status == "DELETE_COMPLETE":
        raise validation_error(f"Stack [{name}] does not exist")
    _check_updatable(stack)
    try:
        prepared = prepare(stack, _template_text(self, request, stack), _given_parameters(request))
    except TemplateError as error:
        raise validation_error(str(error)) from None
    check_capabilities(prepared, request["capabilities"], direct=True)
    tags_given = bool(self._get_param("Tags"))
    if (
        prepared.original == stack.template_dict
        and prepared.parameters == stack.parameters
        and (not tags_given or request["tags"] == stack.tags)
    ):
        raise validation_error("No updates are to be performed.")
    _run_update(backend, stack, prepared, request, tags_given)
    return _result({"StackId": stack.stack_id})


def _check_updatable(stack: stacks.Stack) -> None:
    if stack.status not in UPDATABLE:
        raise validation_error(
            f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated."
        )


def _run_update(backend, stack, prepared: Prepared, request: dict, tags_given: bool) -> None:
    with stack.lock:
        old_text, old_dict = stack.template, stack.template_dict
        if tags_given:
            stack.tags = request["tags"]
        stack.capabilities = request["capabilities"] or stack.capabilities
        stack.last_updated_time = stacks.now()
        stack.stack_event("UPDATE_IN_PROGRESS", "User Initiated")
        operation = provisioning.Operation(stack, _exports(backend), prepared.language_extensions)
        try:
            operation.update(prepared.processed, prepared.parameters)
        except provisioning.Failed:
            stack.template, stack.template_dict = old_text, old_dict
            return
        _adopt(stack, prepared)
        _settle(backend, stack)


def delete_stack(self):
    backend = self.cloudformation_backend
    stack = _find(backend, self._get_param("StackName"))
    if stack is None or stack.status == "DELETE_COMPLETE":
        return _result({})  # AWS answers success for a stack that does not exist
    if stack.enable_termination_protection:
        raise validation_error(
            f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled"
        )
    with stack.lock:
        stack.stack_event("DELETE_IN_PROGRESS", "User Initiated")
        failed = provisioning.Operation(stack, _exports(backend)).delete()
        if failed:
            stack.stack_event(
                "DELETE_FAILED",
                f"The following resource(s) failed to delete: [{', '.join(failed)}]. ",
            )
            return _result({})
        stack.stack_event("DELETE_COMPLETE")
        for change_set_id in [
            key for key, value in backend.change_sets.items() if value.stack is stack
        ]:
            backend.change_sets.pop(change_set_id)
        _settle(backend, stack)
    return _result({})


def describe_stack_events(self):
    stack = _existing(self.cloudformation_backend, self._get_param("StackName"))
    return _result({"StackEvents": stack.events[::-1]})


def list_stack_resources(self):
    stack = _existing(self.cloudformation_backend, self._get_param("StackName"))
    return _result(
        {"StackResourceSummaries": [record.summary() for record in stack.resources.values()]}
    )


def describe_stack_resources(self):
    backend = self.cloudformation_backend
    name = self._get_param("StackName")
    physical_id = self._get_param("PhysicalResourceId")
    logical_id = self._get_param("LogicalResourceId")
    if name:
        candidates = [_existing(backend, name)]
    elif physical_id:
        candidates = [
            stack
            for stack in backend.stacks.values()
            if any(r.physical_id == physical_id for r in stack.resources.values())
        ]
        if not candidates:
            raise validation_error(f"Stack for {physical_id} does not exist")
    else:
        raise validation_error("Either StackName or PhysicalResourceId must be specified.")
    found = [
        record.description(stack)
        for stack in candidates
        for record in stack.resources.values()
        if (logical_id is None or record.logical_id == logical_id)
        and (physical_id is None or record.physical_id == physical_id or name)
    ]
    return _result({"StackResources": found})


def describe_stack_resource(self):
    stack = _existing(self.cloudformation_backend, self._get_param("StackName"))
    logical_id = self._get_param("LogicalResourceId")
    record = stack.resources.get(logical_id)
    if record is None:
        raise validation_error(f"Resource {logical_id} does not exist for stack {stack.name}")
    return _result({"StackResourceDetail": record.description(stack)})


def get_template(self):
    backend = self.cloudformation_backend
    change_set_name = self._get_param("ChangeSetName")
    stage = self._get_param("TemplateStage") or "Original"
    if change_set_name:
        source = _change_set(backend, change_set_name, self._get_param("StackName"))
    else:
        source = _existing(backend, self._get_param("StackName"))
    if stage == "Processed":
        import json

        body = json.dumps(source.processed or source.template_dict)
    else:
        body = source.template
    stages = ["Original", "Processed"] if source.processed else ["Original"]
    return _result({"TemplateBody": body, "StagesAvailable": stages})


# ---------------------------------------------------------------- change sets


def create_change_set(self):
    backend = self.cloudformation_backend
    stack_name = self._get_param("StackName")
    name = self._get_param("ChangeSetName")
    change_set_type = self._get_param("ChangeSetType") or "UPDATE"
    request = _request_of(self)
    stack = _find(backend, stack_name)
    if stack is not None and stack.status == "DELETE_COMPLETE":
        stack = None
    if change_set_type == "UPDATE":
        if stack is None or stack.status == "REVIEW_IN_PROGRESS":
            raise validation_error(f"Stack [{stack_name}] does not exist")
        _check_updatable(stack)
    elif change_set_type == "CREATE":
        if stack is not None and stack.status != "REVIEW_IN_PROGRESS":
            raise validation_error(
                f"Stack [{stack_name}] already exists and cannot be created again with the "
                f"changeSet [{name}]."
            )
    else:
        raise validation_error(f"ChangeSetType {change_set_type} is not supported locally")
    if any(
        c.change_set_name == name and c.stack_name == stack_name
        for c in backend.change_sets.values()
    ):
        raise _error("AlreadyExistsException", f"ChangeSet [{name}] already exists")
    new_stack = stack is None
    if new_stack:
        stack = stacks.Stack(backend, stack_name, request)
    text = _template_text(self, request, None if new_stack else stack)
    try:
        original = templates.parse(text)
    except TemplateError as error:
        raise validation_error(str(error)) from None
    change_set = stacks.ChangeSet(backend, stack, name, change_set_type, request)
    change_set.template, change_set.template_dict = text, original
    try:
        prepared = prepare(stack, text, _given_parameters(request))
    except TemplateError as error:
        if not str(error).startswith("Transform "):
            raise validation_error(str(error)) from None
        prepared = None
        change_set.status, change_set.status_reason = "FAILED", str(error)
    if prepared is not None:
        check_capabilities(prepared, request["capabilities"], direct=False)
        change_set.processed, change_set.parameters = prepared.processed, prepared.parameters
        change_set.language_extensions = prepared.language_extensions
        _preview(backend, stack, change_set, prepared, request)
    if new_stack:
        backend.stacks[stack.stack_id] = stack
        stack.template, stack.template_dict = text, original
        stack.stack_event("REVIEW_IN_PROGRESS", "User Initiated")
    backend.change_sets[change_set.change_set_id] = change_set
    return _result({"Id": change_set.change_set_id, "StackId": stack.stack_id})


def _preview(backend, stack, change_set, prepared: Prepared, request: dict) -> None:
    try:
        change_set.changes = change_sets.changes(
            stack,
            prepared.processed,
            prepared.parameters,
            _exports(backend),
            prepared.language_extensions,
        )
    except Exception as error:  # a value the template cannot evaluate
        change_set.status, change_set.status_reason = "FAILED", str(error)
        return
    unchanged = (
        change_set.change_set_type == "UPDATE"
        and not change_set.changes
        and prepared.parameters == stack.parameters
        and (not request["tags"] or request["tags"] == stack.tags)
    )
    if unchanged:
        change_set.status, change_set.status_reason = "FAILED", NO_CHANGES
        return
    change_set.status, change_set.execution_status = "CREATE_COMPLETE", "AVAILABLE"


def _change_set(backend, name_or_id: str, stack_name: str | None) -> stacks.ChangeSet:
    found = backend.change_sets.get(name_or_id)
    if found is None:
        for change_set in backend.change_sets.values():
            if change_set.change_set_name == name_or_id and stack_name in (
                change_set.stack_name,
                change_set.stack_id,
            ):
                found = change_set
    if found is None:
        raise _error("ChangeSetNotFoundException", f"ChangeSet [{name_or_id}] does not exist")
    return found


def describe_change_set(self):
    backend = self.cloudformation_backend
    change_set = _change_set(
        backend, self._get_param("ChangeSetName"), self._get_param("StackName")
    )
    return _result(change_set.answer())


def list_change_sets(self):
    backend = self.cloudformation_backend
    stack = _existing(backend, self._get_param("StackName"))
    summaries = [c.summary() for c in backend.change_sets.values() if c.stack is stack]
    return _result({"Summaries": summaries})


def delete_change_set(self):
    backend = self.cloudformation_backend
    change_set = _change_set(
        backend, self._get_param("ChangeSetName"), self._get_param("StackName")
    )
    backend.change_sets.pop(change_set.change_set_id, None)
    stack = change_set.stack
    if stack.status == "REVIEW_IN_PROGRESS" and not any(
        c.stack is stack for c in backend.change_sets.values()
    ):
        pass  # AWS keeps a stack in review even without change sets
    return _result({})


def execute_change_set(self):
    backend = self.cloudformation_backend
    change_set = _change_set(
        backend, self._get_param("ChangeSetName"), self._get_param("StackName")
    )
    if change_set.execution_status != "AVAILABLE":
        raise _error(
            "InvalidChangeSetStatus",
            f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current execution "
            f"status of [{change_set.execution_status}]",
        )
    stack = change_set.stack
    request = change_set.request
    prepared = Prepared(
        change_set.template,
        change_set.template_dict,
        change_set.processed,
        change_set.parameters,
        getattr(change_set, "language_extensions", False),
    )
    change_set.execution_status = "EXECUTE_IN_PROGRESS"
    for other in [c for c in backend.change_sets.values() if c.stack is stack]:
        if other is not change_set:
            backend.change_sets.pop(other.change_set_id, None)
    if change_set.change_set_type == "CREATE":
        with stack.lock:
            _adopt(stack, prepared)
            stack.stack_event("CREATE_IN_PROGRESS", "User Initiated")
            operation = provisioning.Operation(
                stack, _exports(backend), prepared.language_extensions
            )
            disable = str(self._get_param("DisableRollback", "false")).lower() == "true"
            operation.create(
                prepared.processed, prepared.parameters, "DO_NOTHING" if disable else "ROLLBACK"
            )
            _settle(backend, stack)
        succeeded = stack.status == "CREATE_COMPLETE"
    else:
        _run_update(backend, stack, prepared, request, bool(request["tags"]))
        succeeded = stack.status == "UPDATE_COMPLETE"
    change_set.execution_status = "EXECUTE_COMPLETE" if succeeded else "EXECUTE_FAILED"
    return _result({})


def _result(value: dict):
    from moto.core.responses import ActionResult

    return ActionResult(value)


ACTIONS = {
    "create_stack": create_stack,
    "update_stack": update_stack,
    "delete_stack": delete_stack,
    "describe_stack_events": describe_stack_events,
    "list_stack_resources": list_stack_resources,
    "describe_stack_resources": describe_stack_resources,
    "describe_stack_resource": describe_stack_resource,
    "get_template": get_template,
    "create_change_set": create_change_set,
    "describe_change_set": describe_change_set,
    "list_change_sets": list_change_sets,
    "delete_change_set": delete_change_set,
    "execute_change_set": execute_change_set,
}
