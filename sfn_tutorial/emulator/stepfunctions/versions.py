"""State machine versions and aliases, as AWS publishes, routes and reports them.

AWS (Step Functions developer guide, "Versions" and "Aliases"; API reference):

- Every ``UpdateStateMachine`` that changes the definition, role, logging, tracing or encryption
  makes a new *revision*, named by the ``revisionId`` the update answers (a machine never updated
  has none to report). ``PublishStateMachineVersion`` (or ``publish: true`` on create or update)
  makes an immutable *version* of the current revision, numbered 1, 2, 3... (numbers are never
  reused); publishing a revision that already has a version answers that version again. A stale
  ``revisionId`` is refused with ``ConflictException``.
- ``ListStateMachineVersions`` lists them newest first; ``DescribeStateMachine`` describes one by
  its ARN (``...:stateMachine:NAME:3``); ``DeleteStateMachineVersion`` deletes one, unless an
  alias routes to it (``ConflictException``), and deleting one that is gone succeeds.
- An *alias* (``...:stateMachine:NAME:PROD``) routes ``StartExecution`` to one version, or splits
  it between two by weight (percentages summing to 100). Its name, routing and versions are
  checked as AWS checks them, with AWS's messages.
- ``StartExecution`` (and ``StartSyncExecution``) on a version ARN runs that version; on an
  alias ARN it runs a version chosen at random by the weights. ``DescribeExecution`` and
  ``ListExecutions`` report ``stateMachineVersionArn`` and ``stateMachineAliasArn``;
  ``ListExecutions`` given a version or alias ARN lists its executions only.

moto has versions and aliases in its models but no ``PublishStateMachineVersion``,
``ListStateMachineVersions`` or ``DeleteStateMachineVersion`` (HTTP 500), no revisions, and no
way to start an execution on an alias. ``apply()`` is called by ``emulator.fixes.apply()``;
``tests/test_stepfunctions_versions.py`` checks each behaviour against a running emulator.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import datetime
import json
import random
import re
import threading
import uuid

MAX_VERSIONS = 1000  # "You can publish up to 1000 versions for each state machine."
MAX_ALIASES = 100  # "You can create up to 100 aliases for each state machine."
DEFAULT_PAGE = 100
ALIAS_NAME_PATTERN = r"^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$"
_ALIAS_NAME = re.compile(ALIAS_NAME_PATTERN)
NOT_FOUND = "Request references a resource that does not exist."
ALIAS_CONFLICT = (
    "Failed to create alias because an alias with the same name and a different routing "
    "configuration already exists."
)
_starting = threading.local()  # the alias an execution is being started through


def apply() -> None:
    """Revisions, versions and aliases as AWS has them; executions of versions and aliases."""
    updates_make_revisions_and_publish_versions()
    publish_state_machine_version_is_available()
    versions_are_listed_and_deleted()
    describe_state_machine_shows_revisions_and_versions()
    aliases_are_created_and_checked_as_aws_does()
    aliases_are_described_listed_updated_and_deleted()
    executions_start_on_versions_and_aliases()
    executions_report_their_version_and_alias()
    list_executions_as_aws_lists_them()
    describe_state_machine_for_execution_answers_what_it_ran()


# ---------------------------------------------------------------- ARNs and lookups


def split_arn(arn: str | None) -> tuple[str, str | None]:
    """``(state machine ARN, qualifier)``: the qualifier is a version number or an alias name,
    ``None`` for an unqualified ARN."""
    parts = (arn or "").split(":")
    if len(parts) == 8 and parts[5] == "stateMachine":
        return ":".join(parts[:7]), parts[7]
    return arn or "", None


def is_version_arn(arn: str | None) -> bool:
    """Whether ``arn`` names a version (``...:stateMachine:NAME:3``)."""
    qualifier = split_arn(arn)[1]
    return qualifier is not None and qualifier.isdigit()


def is_alias_arn(arn: str | None) -> bool:
    """Whether ``arn`` names an alias (``...:stateMachine:NAME:PROD``)."""
    qualifier = split_arn(arn)[1]
    return qualifier is not None and not qualifier.isdigit()


def machine_of(backend, arn: str):
    """The (unqualified) state machine that ``arn`` names or qualifies, or ``None``."""
    base = split_arn(arn)[0]
    return next((machine for machine in backend.state_machines if machine.arn == base), None)


def _does_not_exist(arn: str):
    from moto.stepfunctions.parser.api import StateMachineDoesNotExist

    return StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")


def _not_found():
    from moto.stepfunctions.parser.api import ResourceNotFound

    return ResourceNotFound(NOT_FOUND)


def _validation(message: str):
    from moto.stepfunctions.parser.api import ValidationException

    return ValidationException(message)


def _conflict(message: str):
    from moto.stepfunctions.parser.api import ConflictException

    return ConflictException(message)


def _now() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.timezone.utc)


def page(items: list, max_results, next_token, key: str) -> tuple[list, str | None]:
    """One page of ``items``: at most ``max_results`` (default 100) after ``next_token``; the
    token for the next page, or ``None``. A token from another listing is ``InvalidToken``."""
    from moto.stepfunctions.parser.api import InvalidToken

    start = 0
    if next_token:
        try:
            token = json.loads(base64.urlsafe_b64decode(next_token.encode()))
            start = int(token["offset"]) if token["for"] == key else -1
        except (ValueError, KeyError, TypeError):
            start = -1
        if start < 0:
            raise InvalidToken()
    size = int(max_results or 0) or DEFAULT_PAGE
    chosen = items[start : start + size]
    if start + size >= len(items):
        return chosen, None
    token = json.dumps({"for": key, "offset": start + size}).encode()
    return chosen, base64.urlsafe_b64encode(token).decode()


# ---------------------------------------------------------------- revisions and versions


def revision_of(machine) -> str:
    """The machine's current revision (an internal token until an update names it)."""
    return getattr(machine, "tutorial_revision", "initial")


def reported_revision_id(machine) -> str | None:
    """The ``revisionId`` AWS reports: only after an update changed the machine."""
    return getattr(machine, "tutorial_revision_id", None)


def _configuration(machine) -> str:
    """What a revision is made of: definition, role, logging, tracing and encryption."""
    return json.dumps(
        [
            machine.definition,
            machine.roleArn,
            machine.loggingConfiguration,
            machine.tracingConfiguration,
            machine.encryptionConfiguration,
        ],
        sort_keys=True,
        default=str,
    )


def version_for_revision(machine, revision: str):
    """The version published from ``revision``, if one exists."""
    for version in machine.versions.values():
        if getattr(version, "tutorial_revision", "initial") == revision:
            return version
    return None


def publish_version(machine, description: str | None = None):
    """Publish the machine's current revision: its existing version, or version N+1."""
    from moto.stepfunctions.models import StateMachine, StateMachineVersion
    from moto.stepfunctions.parser.api import ServiceQuotaExceededException

    existing = version_for_revision(machine, revision_of(machine))
    if existing is not None:
        return existing
    if len(machine.versions) >= MAX_VERSIONS:
        raise ServiceQuotaExceededException(
            f"Published versions of '{machine.arn}' exceed the limit of {MAX_VERSIONS}: "
            "delete versions you no longer use"
        )
    number = machine.latest_version_number + 1
    version = StateMachineVersion(source=machine, version=number, description=description)
    version.creation_date = _now()
    version.tutorial_revision = revision_of(machine)
    version.tutorial_revision_id = reported_revision_id(machine)
    # A version runs as its machine does: the same backend, the same list of executions
    # (execution names are unique per machine), the same idempotent start.
    version.backend = machine.backend
    version.executions = machine.executions
    version.type = machine.type
    if not hasattr(StateMachineVersion, "_handle_name_input_idempotency"):
        StateMachineVersion._handle_name_input_idempotency = (
            StateMachine._handle_name_input_idempotency
        )
    machine.versions[number] = version
    machine.latest_version = version
    machine.latest_version_number = number
    return version


def updates_make_revisions_and_publish_versions() -> None:
    """``UpdateStateMachine``: an update that changes the machine makes a new revision and
    answers its ``revisionId`` (and the revision's version with ``publish: true``, the same one
    for an unchanged revision). ``CreateStateMachine`` with ``publish: true`` publishes version 1.

    moto publishes a new version on every update with ``publish``, changed or not, and answers
    no ``revisionId``.
    """
    from moto.core.responses import ActionResult
    from moto.stepfunctions.exceptions import ValidationException
    from moto.stepfunctions.models import StateMachine, StepFunctionBackend
    from moto.stepfunctions.parser.api import MissingRequiredParameter
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend
    from moto.stepfunctions.responses import StepFunctionResponse

    StateMachine.publish = lambda self, description=None: publish_version(self, description)

    def update_state_machine(
        self,
        arn,
        definition=None,
        role_arn=None,
        logging_configuration=None,
        tracing_configuration=None,
        encryption_configuration=None,
        publish=None,
        version_description=None,
    ):
        machine = machine_of(self, arn)
        if machine is None or split_arn(arn)[1] is not None:
            raise _does_not_exist(arn)
        changes = (definition, role_arn, logging_configuration, tracing_configuration)
        if not any((*changes, encryption_configuration)):
            raise MissingRequiredParameter(
                "Either the definition, the role ARN, the LoggingConfiguration, the "
                "EncryptionConfiguration or the TracingConfiguration must be specified"
            )
        if definition is not None:
            self._validate_definition(definition, machine.type)
        before = _configuration(machine)
        StepFunctionBackend.update_state_machine(  # moto's update, through IAM's checks
            self,
            arn,
            definition=definition,
            role_arn=role_arn,
            logging_configuration=logging_configuration,
            tracing_configuration=tracing_configuration,
            encryption_configuration=encryption_configuration,
        )
        if _configuration(machine) != before:
            machine.tutorial_revision = machine.tutorial_revision_id = str(uuid.uuid4())
        machine.tutorial_updated_version = (
            publish_version(machine, version_description) if publish else None
        )
        return machine

    StepFunctionsParserBackend.update_state_machine = update_state_machine

    def update_response(self):
        publish_requested = self._get_param("publish")
        if self._get_param("versionDescription") and not publish_requested:
            raise ValidationException("Version description can only be set when publish is true")
        machine = self.stepfunction_backend.update_state_machine(
            arn=self._get_param("stateMachineArn"),
            definition=self._get_param("definition"),
            role_arn=self._get_param("roleArn"),
            tracing_configuration=self._get_param("tracingConfiguration"),
            encryption_configuration=self._get_param("encryptionConfiguration"),
            logging_configuration=self._get_param("loggingConfiguration"),
            publish=publish_requested,
            version_description=self._get_param("versionDescription"),
        )
        answer = {"updateDate": machine.update_date}
        if reported_revision_id(machine):
            answer["revisionId"] = reported_revision_id(machine)
        if machine.tutorial_updated_version is not None:
            answer["stateMachineVersionArn"] = machine.tutorial_updated_version.arn
        return ActionResult(answer)

    StepFunctionResponse.update_state_machine = update_response


def publish_state_machine_version_is_available() -> None:
    """``PublishStateMachineVersion(stateMachineArn, revisionId?, description?)``: the version
    of the current revision (made now, or the one published before). With a ``revisionId`` that
    is not the current one: ``ConflictException``, "Failed to publish the State Machine version
    for revision R1. The current State Machine revision is R2." (AWS-recorded in LocalStack's
    ``test_sfn_api_versioning.snapshot.json``)."""
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def publish_state_machine_version(self):
        arn = self._get_param("stateMachineArn")
        machine = machine_of(self.stepfunction_backend, arn)
        if machine is None or split_arn(arn)[1] is not None:
            raise _does_not_exist(arn)
        wanted = self._get_param("revisionId")
        current = reported_revision_id(machine)
        if wanted is not None and wanted != current:
            raise _conflict(
                f"Failed to publish the State Machine version for revision {wanted}. "
                f"The current State Machine revision is {current}."
            )
        version = publish_version(machine, self._get_param("description"))
        return ActionResult(
            {"creationDate": version.creation_date, "stateMachineVersionArn": version.arn}
        )

    StepFunctionResponse.publish_state_machine_version = publish_state_machine_version


def versions_are_listed_and_deleted() -> None:
    """``ListStateMachineVersions``: newest first, paginated. ``DeleteStateMachineVersion``:
    refused while an alias routes to the version (``ConflictException``, "Version to be deleted
    must not be referenced by an alias. Current list of aliases referencing this version:
    [NAME]"); a version that does not exist is deleted already, so the call succeeds."""
    from moto.core.responses import ActionResult, EmptyResult
    from moto.stepfunctions.parser.api import InvalidArn
    from moto.stepfunctions.responses import StepFunctionResponse

    def list_state_machine_versions(self):
        arn = self._get_param("stateMachineArn")
        machine = machine_of(self.stepfunction_backend, arn)
        versions = [] if machine is None else list(machine.versions.values())
        versions.sort(key=lambda version: version.version, reverse=True)
        items = [
            {"stateMachineVersionArn": version.arn, "creationDate": version.creation_date}
            for version in versions
        ]
        chosen, token = page(
            items, self._get_param("maxResults"), self._get_param("nextToken"), "versions:" + arn
        )
        answer = {"stateMachineVersions": chosen}
        if token:
            answer["nextToken"] = token
        return ActionResult(answer)

    def delete_state_machine_version(self):
        arn = self._get_param("stateMachineVersionArn")
        if not is_version_arn(arn):
            raise InvalidArn(f"Invalid Arn: '{arn}'")
        machine = machine_of(self.stepfunction_backend, arn)
        number = int(split_arn(arn)[1])
        if machine is None or number not in machine.versions:
            return EmptyResult()
        routing = [alias.name for alias in aliases_of(machine) if arn in routed_versions(alias)]
        if routing:
            raise _conflict(
                "Version to be deleted must not be referenced by an alias. Current list of "
                f"aliases referencing this version: [{', '.join(routing)}]"
            )
        del machine.versions[number]
        if machine.latest_version is not None and machine.latest_version.version == number:
            remaining = sorted(machine.versions)
            machine.latest_version = machine.versions[remaining[-1]] if remaining else None
        return EmptyResult()

    StepFunctionResponse.list_state_machine_versions = list_state_machine_versions
    StepFunctionResponse.delete_state_machine_version = delete_state_machine_version


def describe_state_machine_shows_revisions_and_versions() -> None:
    """``DescribeStateMachine`` answers the ``revisionId`` of an updated machine, and of a
    version its ``description`` and the ``revisionId`` it was published from; an alias ARN is
    not a state machine (``StateMachineDoesNotExist``)."""
    from moto.stepfunctions.responses import StepFunctionResponse

    original = StepFunctionResponse._describe_state_machine

    def _describe_state_machine(self, state_machine_arn):
        if is_alias_arn(state_machine_arn):
            raise _does_not_exist(state_machine_arn)
        result = original(self, state_machine_arn)
        machine = self.stepfunction_backend.describe_state_machine(state_machine_arn)
        revision = getattr(machine, "tutorial_revision_id", None)
        if revision:
            result.result["revisionId"] = revision
        return result

    StepFunctionResponse._describe_state_machine = _describe_state_machine


# ---------------------------------------------------------------- aliases


def aliases_of(machine) -> list:
    """The machine's aliases, oldest first (as AWS lists them)."""
    return sorted(machine.aliases.values(), key=lambda alias: alias.creation_date)


def routed_versions(alias) -> list[str]:
    """The version ARNs an alias routes to."""
    return [route["stateMachineVersionArn"] for route in alias.routing_configuration]


def _routing_text(routing: list[dict]) -> str:
    items = [
        f"RoutingConfigurationListItem(stateMachineVersionArn={route.get('stateMachineVersionArn')}"
        f", weight={route.get('weight')})"
        for route in routing
    ]
    return "[" + ", ".join(items) + "]"


def check_alias_name(name: str) -> None:
    """``ValidationException`` for a name AWS refuses (1-80 characters of the model's
    pattern, at least one of them not a digit)."""
    if len(name or "") > 80:
        raise _validation(
            f"1 validation error detected: Value '{name}' at 'name' failed to satisfy "
            "constraint: Member must have length less than or equal to 80"
        )
    if not _ALIAS_NAME.match(name or ""):
        raise _validation(
            f"1 validation error detected: Value '{name}' at 'name' failed to satisfy "
            f"constraint: Member must satisfy regular expression pattern: {ALIAS_NAME_PATTERN}"
        )


def check_routing(backend, routing: list[dict]):
    """Check a ``routingConfiguration`` as AWS does (AWS-recorded messages in LocalStack's
    ``test_sfn_api_aliasing.snapshot.json``); return the machine its versions belong to."""
    routing = routing or []
    if not 1 <= len(routing) <= 2:
        raise _validation(
            f"1 validation error detected: Value '{_routing_text(routing)}' at "
            "'routingConfiguration' failed to satisfy constraint: Member must have length "
            "less than or equal to 2"
        )
    arns = [route.get("stateMachineVersionArn") or "" for route in routing]
    listed = "[" + ", ".join(arns) + "]"
    if len(set(arns)) < len(arns):
        raise _validation(
            "Routing configuration must contain distinct state machine version ARNs. "
            f"Received: {listed}"
        )
    for position, route in enumerate(routing, start=1):
        weight = route.get("weight")
        if not isinstance(weight, int) or weight < 0 or weight > 100:
            bound = "less than or equal to 100" if (weight or 0) > 100 else "greater than 0"
            raise _validation(
                f"1 validation error detected: Value '{weight}' at 'routingConfiguration."
                f"{position}.member.weight' failed to satisfy constraint: Member must have "
                f"value {bound}"
            )
    weights = [route["weight"] for route in routing]
    if sum(weights) != 100:
        raise _validation(
            f"Sum of routing configuration weights must equal 100. Received: {json.dumps(weights)}"
        )
    if not all(is_version_arn(arn) for arn in arns):
        raise _validation(
            f"Routing configuration must contain state machine version ARNs. Received: {listed}"
        )
    if len({split_arn(arn)[0] for arn in arns}) > 1:
        raise _validation(
            "Routing configuration must contain versions of the same state machine. "
            f"Received: {listed}"
        )
    machine = machine_of(backend, arns[0])
    if machine is None or any(int(split_arn(arn)[1]) not in machine.versions for arn in arns):
        raise _not_found()
    return machine


def aliases_are_created_and_checked_as_aws_does() -> None:
    """``CreateStateMachineAlias(name, routingConfiguration, description?)``: one or two versions
    of one machine, weights summing to 100. Creating it again the same way answers the same
    alias; with another routing or description: ``ConflictException``."""
    from moto.core.responses import ActionResult
    from moto.stepfunctions.models import StateMachineAlias
    from moto.stepfunctions.parser.api import ServiceQuotaExceededException
    from moto.stepfunctions.responses import StepFunctionResponse

    def create_state_machine_alias(self):
        name = self._get_param("name")
        routing = self._get_param("routingConfiguration")
        description = self._get_param("description")
        check_alias_name(name)
        machine = check_routing(self.stepfunction_backend, routing)
        existing = machine.aliases.get(name)
        if existing is not None:
            same = existing.routing_configuration == routing and existing.description == description
            if not same:
                raise _conflict(ALIAS_CONFLICT)
            alias = existing
        else:
            if len(machine.aliases) >= MAX_ALIASES:
                raise ServiceQuotaExceededException(
                    f"Aliases of '{machine.arn}' exceed the limit of {MAX_ALIASES}"
                )
            alias = StateMachineAlias(name, machine.arn, copy.deepcopy(routing), description)
            alias.creation_date = alias.update_date = _now()
            machine.aliases[name] = alias
        return ActionResult(
            {"stateMachineAliasArn": alias.arn, "creationDate": alias.creation_date}
        )

    StepFunctionResponse.create_state_machine_alias = create_state_machine_alias


def find_alias(backend, arn: str):
    """The alias ``arn`` names, or ``None``."""
    if not is_alias_arn(arn):
        return None
    machine = machine_of(backend, arn)
    return None if machine is None else machine.aliases.get(split_arn(arn)[1])


def aliases_are_described_listed_updated_and_deleted() -> None:
    """``DescribeStateMachineAlias`` and ``UpdateStateMachineAlias`` of an alias that does not
    exist: ``ResourceNotFound``, "Request references a resource that does not exist."; an update
    needs a ``description`` or a ``routingConfiguration``. ``DeleteStateMachineAlias`` of one
    that does not exist succeeds. ``ListStateMachineAliases`` lists a machine's aliases oldest
    first (as AWS answered in LocalStack's recordings; the API reference says newest first),
    or, given a version ARN, the aliases that route to it."""
    from moto.core.responses import ActionResult, EmptyResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def describe_state_machine_alias(self):
        alias = find_alias(self.stepfunction_backend, self._get_param("stateMachineAliasArn"))
        if alias is None:
            raise _not_found()
        answer = {
            "stateMachineAliasArn": alias.arn,
            "name": alias.name,
            "routingConfiguration": alias.routing_configuration,
            "creationDate": alias.creation_date,
            "updateDate": alias.update_date,
        }
        if alias.description is not None:
            answer["description"] = alias.description
        return ActionResult(answer)

    def update_state_machine_alias(self):
        description = self._get_param("description")
        routing = self._get_param("routingConfiguration")
        if description is None and routing is None:
            raise _validation(
                "Either the description or the RoutingConfiguration must be specified"
            )
        alias = find_alias(self.stepfunction_backend, self._get_param("stateMachineAliasArn"))
        if alias is None:
            raise _not_found()
        if routing is not None:
            machine = check_routing(self.stepfunction_backend, routing)
            if machine.arn != alias.statemachine_arn:
                raise _validation(
                    "Routing configuration must contain versions of the alias's state machine"
                )
            alias.routing_configuration = copy.deepcopy(routing)
        if description is not None:
            alias.description = description
        alias.update_date = _now()
        return ActionResult({"updateDate": alias.update_date})

    def delete_state_machine_alias(self):
        arn = self._get_param("stateMachineAliasArn")
        alias = find_alias(self.stepfunction_backend, arn)
        if alias is not None:
            del machine_of(self.stepfunction_backend, arn).aliases[alias.name]
        return EmptyResult()

    def list_state_machine_aliases(self):
        arn = self._get_param("stateMachineArn")
        machine = machine_of(self.stepfunction_backend, arn)
        qualifier = split_arn(arn)[1]
        if machine is None:
            raise _does_not_exist(arn)
        if qualifier is not None and not is_version_arn(arn):
            raise _validation(f"Invalid arn: '{arn}' is an alias, not a state machine or version")
        if qualifier is not None and int(qualifier) not in machine.versions:
            raise _not_found()
        aliases = [
            alias
            for alias in aliases_of(machine)
            if qualifier is None or arn in routed_versions(alias)
        ]
        items = [
            {"stateMachineAliasArn": alias.arn, "creationDate": alias.creation_date}
            for alias in aliases
        ]
        chosen, token = page(
            items, self._get_param("maxResults"), self._get_param("nextToken"), "aliases:" + arn
        )
        answer = {"stateMachineAliases": chosen}
        if token:
            answer["nextToken"] = token
        return ActionResult(answer)

    StepFunctionResponse.describe_state_machine_alias = describe_state_machine_alias
    StepFunctionResponse.update_state_machine_alias = update_state_machine_alias
    StepFunctionResponse.delete_state_machine_alias = delete_state_machine_alias
    StepFunctionResponse.list_state_machine_aliases = list_state_machine_aliases


# ---------------------------------------------------------------- executions


def choose_version(alias) -> str:
    """A version ARN of ``alias``, chosen at random by the routing weights."""
    routes = alias.routing_configuration
    return random.choices(
        [route["stateMachineVersionArn"] for route in routes],
        weights=[route["weight"] for route in routes],
    )[0]


def resolve(backend, arn: str) -> tuple[str, str | None]:
    """What a start on ``arn`` runs: ``(ARN to run, alias ARN)``. An alias becomes one of its
    versions, chosen by weight; any other ARN runs as it is."""
    alias = find_alias(backend, arn)
    if alias is None:
        return arn, getattr(_starting, "alias_arn", None)
    return choose_version(alias), alias.arn


@contextlib.contextmanager
def starting_through(alias_arn: str | None):
    """While an execution is being started through ``alias_arn``: it is recorded on it."""
    previous = getattr(_starting, "alias_arn", None)
    _starting.alias_arn = alias_arn
    try:
        yield
    finally:
        _starting.alias_arn = previous


def version_arn_of(execution) -> str | None:
    """The version an execution runs (``None`` for the machine's latest revision)."""
    return getattr(execution, "tutorial_version_arn", None)


def alias_arn_of(execution) -> str | None:
    """The alias an execution was started through, if any."""
    return getattr(execution, "tutorial_alias_arn", None)


def base_arn_of(machine) -> str:
    """The unqualified ARN of a state machine or of one of its versions."""
    return getattr(machine, "source_arn", None) or machine.arn


def executions_start_on_versions_and_aliases() -> None:
    """``StartExecution`` on a version ARN runs that version, on an alias ARN a version chosen
    by the alias's weights; the execution is the machine's (``execution:NAME:...``) and names
    are unique per machine, whatever ARN started them."""
    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.start_execution

    def start_execution(self, state_machine_arn, name=None, execution_input=None, **kwargs):
        target, alias_arn = resolve(self, state_machine_arn)
        with starting_through(alias_arn):
            return original(self, target, name, execution_input, **kwargs)

    StepFunctionsParserBackend.start_execution = start_execution

    original_init = Execution.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        machine = self.state_machine
        if getattr(machine, "source_arn", None):
            self.tutorial_version_arn = machine.arn
            self.tutorial_alias_arn = getattr(_starting, "alias_arn", None)
            self.state_machine_arn = machine.source_arn

    Execution.__init__ = __init__


def executions_report_their_version_and_alias() -> None:
    """``DescribeExecution`` answers the unqualified ``stateMachineArn`` and, for an execution
    of a version, ``stateMachineVersionArn`` (and ``stateMachineAliasArn`` when an alias
    started it)."""
    from moto.stepfunctions.responses import StepFunctionResponse

    original = StepFunctionResponse.describe_execution

    def describe_execution(self):
        result = original(self)
        answer = result.result
        execution = self.stepfunction_backend.describe_execution(answer["executionArn"])
        if version_arn_of(execution):
            answer["stateMachineArn"] = execution.state_machine_arn
            answer["stateMachineVersionArn"] = version_arn_of(execution)
        if alias_arn_of(execution):
            answer["stateMachineAliasArn"] = alias_arn_of(execution)
        return result

    StepFunctionResponse.describe_execution = describe_execution


def list_item(execution) -> dict:
    """One execution as ``ListExecutions`` lists it."""
    from sfn_tutorial.emulator.stepfunctions import redrive

    item = {
        "executionArn": execution.execution_arn,
        "stateMachineArn": execution.state_machine_arn,
        "name": execution.name,
        "status": execution.status,
        "startDate": execution.start_date,
    }
    if execution.status != "RUNNING" and execution.stop_date is not None:
        item["stopDate"] = execution.stop_date
    if version_arn_of(execution):
        item["stateMachineVersionArn"] = version_arn_of(execution)
    if alias_arn_of(execution):
        item["stateMachineAliasArn"] = alias_arn_of(execution)
    item.update(redrive.list_fields(execution))
    return item


def _listing_time(item: dict):
    """AWS: running executions by their start (or redrive) date, the others by their stop."""
    if item["status"] == "RUNNING":
        return item.get("redriveDate") or item["startDate"]
    return item.get("stopDate") or item["startDate"]


def list_executions_as_aws_lists_them() -> None:
    """``ListExecutions`` of a machine, a version or an alias: the executions that ran it (a
    version's include those started through aliases), newest first, with ``statusFilter``
    (``PENDING_REDRIVE`` too) and ``redriveFilter`` (``REDRIVEN`` / ``NOT_REDRIVEN``); each item
    with its version and alias ARNs and ``redriveCount`` (and ``redriveDate`` once redriven).
    A filter AWS does not know is ``ValidationException``."""
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    from sfn_tutorial.emulator.stepfunctions import redrive

    original = StepFunctionResponse.list_executions
    statuses = ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"]

    def list_executions(self):
        arn = self._get_param("stateMachineArn")
        if self._get_param("mapRunArn") or not arn:
            return original(self)
        status = self._get_param("statusFilter")
        redriven = self._get_param("redriveFilter")
        if status and status not in statuses:
            raise _validation(
                f"1 validation error detected: Value '{status}' at 'statusFilter' failed to "
                f"satisfy constraint: Member must satisfy enum value set: [{', '.join(statuses)}]"
            )
        if redriven and redriven not in ("REDRIVEN", "NOT_REDRIVEN"):
            raise _validation(
                f"1 validation error detected: Value '{redriven}' at 'redriveFilter' failed to "
                "satisfy constraint: Member must satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]"
            )
        backend = self.stepfunction_backend
        machine = machine_of(backend, arn)
        if machine is None:
            raise _does_not_exist(arn)
        if is_alias_arn(arn) and find_alias(backend, arn) is None:
            raise _not_found()
        if is_version_arn(arn):
            backend.describe_state_machine(arn)  # StateMachineDoesNotExist for a deleted one
        chosen = []
        for execution in list(machine.executions):
            if is_version_arn(arn) and version_arn_of(execution) != arn:
                continue
            if is_alias_arn(arn) and alias_arn_of(execution) != arn:
                continue
            if status and execution.status != status:
                continue
            if redriven and redrive.is_redriven(execution) != (redriven == "REDRIVEN"):
                continue
            chosen.append(list_item(execution))
        chosen.sort(key=_listing_time, reverse=True)
        listed, token = page(
            chosen,
            self._get_int_param("maxResults"),
            self._get_param("nextToken"),
            f"executions:{arn}:{status}:{redriven}",
        )
        answer = {"executions": listed}
        if token:
            answer["nextToken"] = token
        return ActionResult(answer)

    StepFunctionResponse.list_executions = list_executions


def describe_state_machine_for_execution_answers_what_it_ran() -> None:
    """``DescribeStateMachineForExecution``: the definition, role and configuration the
    execution ran with (a version's, or the revision current at its start), under the
    unqualified ``stateMachineArn``, with that revision's ``revisionId`` and ``updateDate``.

    moto answered the machine as it is now, also after an update.
    """
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def describe_state_machine_for_execution(self):
        arn = self._get_param("executionArn")
        execution = self.stepfunction_backend.describe_execution(arn)
        ran = execution.state_machine
        answer = {
            "stateMachineArn": execution.state_machine_arn,
            "name": ran.name,
            "definition": ran.definition,
            "roleArn": ran.roleArn,
            "updateDate": getattr(ran, "update_date", None) or ran.creation_date,
            "loggingConfiguration": ran.loggingConfiguration,
            "tracingConfiguration": ran.tracingConfiguration,
            "encryptionConfiguration": ran.encryptionConfiguration,
        }
        revision = getattr(ran, "tutorial_revision_id", None)
        if revision:
            answer["revisionId"] = revision
        return ActionResult(answer)

    StepFunctionResponse.describe_state_machine_for_execution = describe_state_machine_for_execution
