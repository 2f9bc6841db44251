"""State machine versions and aliases (sfn_tutorial/emulator/stepfunctions/versions.py).

Each test says what AWS does (Step Functions API reference and developer guide, "Versions" and
"Aliases"; messages as AWS answered them in LocalStack's recorded snapshots); the emulator must
do the same.
"""

import json
import math
import uuid

import boto3
import pytest
from botocore.config import Config

from sfn_tutorial import executions, resources


def pass_machine(result: str) -> dict:
    return {"StartAt": "Say", "States": {"Say": {"Type": "Pass", "Result": result, "End": True}}}


@pytest.fixture(scope="module")
def sfn(emulator):
    # The weights test starts many executions: no client-side validation slows it down
    return boto3.client("stepfunctions", config=Config(parameter_validation=False))


@pytest.fixture(scope="module")
def role(emulator):
    return resources.ensure_role(resources.resource_name("versions-role"), "states.amazonaws.com")


@pytest.fixture
def machine(sfn, role):
    """A new machine (v1 not published yet) for each test."""
    arn = sfn.create_state_machine(
        name=resources.resource_name(f"versions-{uuid.uuid4().hex[:8]}"),
        definition=json.dumps(pass_machine("one")),
        roleArn=role,
        tags=resources.tags("key"),
    )["stateMachineArn"]
    yield arn
    sfn.delete_state_machine(stateMachineArn=arn)


def update(sfn, arn, result, **settings):
    return sfn.update_state_machine(
        stateMachineArn=arn, definition=json.dumps(pass_machine(result)), **settings
    )


def output_of(sfn, execution_arn):
    executions.wait_for_execution(execution_arn)
    return json.loads(sfn.describe_execution(executionArn=execution_arn)["output"])


def test_create_with_publish_makes_version_1(sfn, role):
    name = resources.resource_name(f"published-{uuid.uuid4().hex[:8]}")
    answer = sfn.create_state_machine(
        name=name,
        definition=json.dumps(pass_machine("one")),
        roleArn=role,
        publish=True,
        versionDescription="first",
    )
    try:
        assert answer["stateMachineVersionArn"] == answer["stateMachineArn"] + ":1"
        version = sfn.describe_state_machine(stateMachineArn=answer["stateMachineVersionArn"])
        assert version["stateMachineArn"] == answer["stateMachineVersionArn"]
        assert version["description"] == "first"
        assert "revisionId" not in version  # published from the creation, never updated
    finally:
        sfn.delete_state_machine(stateMachineArn=answer["stateMachineArn"])


def test_a_version_description_needs_publish(sfn, role):
    with pytest.raises(sfn.exceptions.ValidationException) as raised:
        sfn.create_state_machine(
            name=resources.resource_name("no-publish"),
            definition=json.dumps(pass_machine("one")),
            roleArn=role,
            versionDescription="first",
        )
    assert raised.value.response["Error"]["Message"] == (
        "Version description can only be set when publish is true"
    )


def test_updates_answer_a_revision_id_and_publish_per_revision(sfn, machine):
    assert "revisionId" not in sfn.describe_state_machine(stateMachineArn=machine)
    first = update(sfn, machine, "two", publish=True)
    assert first["stateMachineVersionArn"] == machine + ":1"
    assert first["revisionId"]
    again = update(sfn, machine, "two", publish=True)  # nothing changed: the same revision
    assert again["revisionId"] == first["revisionId"]
    assert again["stateMachineVersionArn"] == machine + ":1"
    second = update(sfn, machine, "three", publish=True)
    assert second["revisionId"] != first["revisionId"]
    assert second["stateMachineVersionArn"] == machine + ":2"
    assert sfn.describe_state_machine(stateMachineArn=machine)["revisionId"] == second["revisionId"]
    version = sfn.describe_state_machine(stateMachineArn=machine + ":1")
    assert version["revisionId"] == first["revisionId"]
    assert json.loads(version["definition"]) == pass_machine("two")


def test_publish_is_idempotent_for_a_revision(sfn, machine):
    first = sfn.publish_state_machine_version(stateMachineArn=machine, description="v1")
    second = sfn.publish_state_machine_version(stateMachineArn=machine)
    assert first["stateMachineVersionArn"] == second["stateMachineVersionArn"] == machine + ":1"
    listed = sfn.list_state_machine_versions(stateMachineArn=machine)["stateMachineVersions"]
    assert [item["stateMachineVersionArn"] for item in listed] == [machine + ":1"]


def test_publishing_a_stale_revision_is_a_conflict(sfn, machine):
    old = update(sfn, machine, "two")["revisionId"]
    new = update(sfn, machine, "three")["revisionId"]
    with pytest.raises(sfn.exceptions.ConflictException) as raised:
        sfn.publish_state_machine_version(stateMachineArn=machine, revisionId=old)
    assert raised.value.response["Error"]["Message"] == (
        f"Failed to publish the State Machine version for revision {old}. "
        f"The current State Machine revision is {new}."
    )
    published = sfn.publish_state_machine_version(stateMachineArn=machine, revisionId=new)
    assert published["stateMachineVersionArn"] == machine + ":1"


def test_versions_are_listed_newest_first_and_paginated(sfn, machine):
    for result in ("a", "b", "c"):
        update(sfn, machine, result, publish=True)
    page = sfn.list_state_machine_versions(stateMachineArn=machine, maxResults=2)
    assert [item["stateMachineVersionArn"] for item in page["stateMachineVersions"]] == [
        machine + ":3",
        machine + ":2",
    ]
    rest = sfn.list_state_machine_versions(stateMachineArn=machine, nextToken=page["nextToken"])
    assert [item["stateMachineVersionArn"] for item in rest["stateMachineVersions"]] == [
        machine + ":1"
    ]
    assert "nextToken" not in rest


def test_deleted_versions_are_gone_and_numbers_are_not_reused(sfn, machine):
    update(sfn, machine, "a", publish=True)
    sfn.delete_state_machine_version(stateMachineVersionArn=machine + ":1")
    sfn.delete_state_machine_version(stateMachineVersionArn=machine + ":1")  # gone: succeeds
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.describe_state_machine(stateMachineArn=machine + ":1")
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.start_execution(stateMachineArn=machine + ":1")
    assert update(sfn, machine, "b", publish=True)["stateMachineVersionArn"] == machine + ":2"


def test_a_version_an_alias_routes_to_cannot_be_deleted(sfn, machine):
    version = sfn.publish_state_machine_version(stateMachineArn=machine)["stateMachineVersionArn"]
    sfn.create_state_machine_alias(
        name="PROD", routingConfiguration=[{"stateMachineVersionArn": version, "weight": 100}]
    )
    with pytest.raises(sfn.exceptions.ConflictException) as raised:
        sfn.delete_state_machine_version(stateMachineVersionArn=version)
    assert raised.value.response["Error"]["Message"] == (
        "Version to be deleted must not be referenced by an alias. Current list of aliases "
        "referencing this version: [PROD]"
    )
    sfn.delete_state_machine_alias(stateMachineAliasArn=machine + ":PROD")
    sfn.delete_state_machine_version(stateMachineVersionArn=version)


def test_an_execution_of_a_version_runs_that_version(sfn, machine):
    v1 = sfn.publish_state_machine_version(stateMachineArn=machine)["stateMachineVersionArn"]
    update(sfn, machine, "two")
    started = sfn.start_execution(stateMachineArn=v1)["executionArn"]
    latest = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    assert started.split(":")[5:7] == ["execution", machine.split(":")[6]]
    assert output_of(sfn, started) == "one"
    assert output_of(sfn, latest) == "two"
    described = sfn.describe_execution(executionArn=started)
    assert described["stateMachineArn"] == machine
    assert described["stateMachineVersionArn"] == v1
    assert "stateMachineAliasArn" not in described
    assert "stateMachineVersionArn" not in sfn.describe_execution(executionArn=latest)
    ran = sfn.describe_state_machine_for_execution(executionArn=started)
    assert ran["stateMachineArn"] == machine
    assert json.loads(ran["definition"]) == pass_machine("one")


def test_an_alias_routes_to_its_version_and_is_reported(sfn, machine):
    v1 = sfn.publish_state_machine_version(stateMachineArn=machine)["stateMachineVersionArn"]
    alias = sfn.create_state_machine_alias(
        name="live",
        description="what customers run",
        routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}],
    )["stateMachineAliasArn"]
    assert alias == machine + ":live"
    started = sfn.start_execution(stateMachineArn=alias)["executionArn"]
    assert output_of(sfn, started) == "one"
    described = sfn.describe_execution(executionArn=started)
    assert described["stateMachineAliasArn"] == alias
    assert described["stateMachineVersionArn"] == v1
    assert described["stateMachineArn"] == machine
    listed = sfn.list_executions(stateMachineArn=alias)["executions"]
    assert [item["executionArn"] for item in listed] == [started]
    assert listed[0]["stateMachineAliasArn"] == alias
    assert listed[0]["redriveCount"] == 0
    by_version = sfn.list_executions(stateMachineArn=v1)["executions"]
    assert [item["executionArn"] for item in by_version] == [started]
    shown = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    assert shown["name"] == "live" and shown["description"] == "what customers run"
    assert shown["routingConfiguration"] == [{"stateMachineVersionArn": v1, "weight": 100}]


def test_alias_weights_split_executions(sfn, machine):
    """Over 400 starts, a 10% / 90% split lands within 4 standard deviations of 40 / 360."""
    v1 = sfn.publish_state_machine_version(stateMachineArn=machine)["stateMachineVersionArn"]
    update(sfn, machine, "two")
    v2 = sfn.publish_state_machine_version(stateMachineArn=machine)["stateMachineVersionArn"]
    alias = sfn.create_state_machine_alias(
        name="canary",
        routingConfiguration=[
            {"stateMachineVersionArn": v1, "weight": 90},
            {"stateMachineVersionArn": v2, "weight": 10},
        ],
    )["stateMachineAliasArn"]
    starts = 400
    for _ in range(starts):
        sfn.start_execution(stateMachineArn=alias)
    on_v2 = len(
        [
            item
            for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=v2)
            for item in page["executions"]
        ]
    )
    expected, spread = starts * 0.1, math.sqrt(starts * 0.1 * 0.9)
    assert abs(on_v2 - expected) <= 4 * spread, on_v2
    on_alias = sfn.get_paginator("list_executions").paginate(stateMachineArn=alias)
    assert sum(len(page["executions"]) for page in on_alias) == starts


def test_creating_an_alias_again_is_idempotent_unless_it_differs(sfn, machine):
    v1 = sfn.publish_state_machine_version(stateMachineArn=machine)["stateMachineVersionArn"]
    routing = [{"stateMachineVersionArn": v1, "weight": 100}]
    first = sfn.create_state_machine_alias(name="same", routingConfiguration=routing)
    again = sfn.create_state_machine_alias(name="same", routingConfiguration=routing)
    assert first["stateMachineAliasArn"] == again["stateMachineAliasArn"]
    assert first["creationDate"] == again["creationDate"]
    with pytest.raises(sfn.exceptions.ConflictException) as raised:
        sfn.create_state_machine_alias(
            name="same", routingConfiguration=routing, description="other"
        )
    assert raised.value.response["Error"]["Message"] == (
        "Failed to create alias because an alias with the same name and a different routing "
        "configuration already exists."
    )


@pytest.mark.parametrize(
    ("routing", "message"),
    [
        (
            lambda m: [
                {"stateMachineVersionArn": m + ":1", "weight": 50},
                {"stateMachineVersionArn": m + ":2", "weight": 30},
                {"stateMachineVersionArn": m + ":1", "weight": 20},
            ],
            lambda m: (
                "1 validation error detected: Value '[RoutingConfigurationListItem("
                f"stateMachineVersionArn={m}:1, weight=50), RoutingConfigurationListItem("
                f"stateMachineVersionArn={m}:2, weight=30), RoutingConfigurationListItem("
                f"stateMachineVersionArn={m}:1, weight=20)]' at 'routingConfiguration' failed "
                "to satisfy constraint: Member must have length less than or equal to 2"
            ),
        ),
        (
            lambda m: [
                {"stateMachineVersionArn": m + ":1", "weight": 50},
                {"stateMachineVersionArn": m + ":1", "weight": 50},
            ],
            lambda m: (
                "Routing configuration must contain distinct state machine version ARNs. "
                f"Received: [{m}:1, {m}:1]"
            ),
        ),
        (
            lambda m: [{"stateMachineVersionArn": m, "weight": 100}],
            lambda m: (
                f"Routing configuration must contain state machine version ARNs. Received: [{m}]"
            ),
        ),
        (
            lambda m: [{"stateMachineVersionArn": m + ":1", "weight": 101}],
            lambda m: (
                "1 validation error detected: Value '101' at 'routingConfiguration.1.member."
                "weight' failed to satisfy constraint: Member must have value less than or "
                "equal to 100"
            ),
        ),
        (
            lambda m: [
                {"stateMachineVersionArn": m + ":1", "weight": 70},
                {"stateMachineVersionArn": m + ":2", "weight": 29},
            ],
            lambda m: "Sum of routing configuration weights must equal 100. Received: [70, 29]",
        ),
    ],
)
def test_routing_configurations_are_checked(sfn, machine, routing, message):
    update(sfn, machine, "a", publish=True)
    update(sfn, machine, "b", publish=True)
    with pytest.raises(sfn.exceptions.ValidationException) as raised:
        sfn.create_state_machine_alias(name="checked", routingConfiguration=routing(machine))
    assert raised.value.response["Error"]["Message"] == message(machine)


@pytest.mark.parametrize("name", ["123", "INVALID ALIAS", "!INVALID", "ALIAS@"])
def test_alias_names_are_checked(sfn, machine, name):
    version = sfn.publish_state_machine_version(stateMachineArn=machine)["stateMachineVersionArn"]
    with pytest.raises(sfn.exceptions.ValidationException) as raised:
        sfn.create_state_machine_alias(
            name=name, routingConfiguration=[{"stateMachineVersionArn": version, "weight": 100}]
        )
    assert raised.value.response["Error"]["Message"] == (
        f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^(?=.*[a-zA-Z_\\-\\.])[a-zA-Z0-9_\\-\\.]+$"
    )


def test_an_alias_to_a_missing_version_is_not_found(sfn, machine):
    with pytest.raises(sfn.exceptions.ResourceNotFound):
        sfn.create_state_machine_alias(
            name="ghost",
            routingConfiguration=[{"stateMachineVersionArn": machine + ":9", "weight": 100}],
        )


def test_aliases_are_updated_listed_and_deleted(sfn, machine):
    v1 = sfn.publish_state_machine_version(stateMachineArn=machine)["stateMachineVersionArn"]
    update(sfn, machine, "two")
    v2 = sfn.publish_state_machine_version(stateMachineArn=machine)["stateMachineVersionArn"]
    first = sfn.create_state_machine_alias(
        name="first", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}]
    )["stateMachineAliasArn"]
    second = sfn.create_state_machine_alias(
        name="second", routingConfiguration=[{"stateMachineVersionArn": v2, "weight": 100}]
    )["stateMachineAliasArn"]
    listed = sfn.list_state_machine_aliases(stateMachineArn=machine)["stateMachineAliases"]
    assert [item["stateMachineAliasArn"] for item in listed] == [first, second]
    on_v1 = sfn.list_state_machine_aliases(stateMachineArn=v1)["stateMachineAliases"]
    assert [item["stateMachineAliasArn"] for item in on_v1] == [first]
    sfn.update_state_machine_alias(
        stateMachineAliasArn=first,
        routingConfiguration=[
            {"stateMachineVersionArn": v1, "weight": 50},
            {"stateMachineVersionArn": v2, "weight": 50},
        ],
    )
    routing = sfn.describe_state_machine_alias(stateMachineAliasArn=first)["routingConfiguration"]
    assert [route["weight"] for route in routing] == [50, 50]
    sfn.delete_state_machine_alias(stateMachineAliasArn=second)
    sfn.delete_state_machine_alias(stateMachineAliasArn=second)  # gone already: succeeds
    listed = sfn.list_state_machine_aliases(stateMachineArn=machine)["stateMachineAliases"]
    assert [item["stateMachineAliasArn"] for item in listed] == [first]


def test_an_alias_that_does_not_exist_is_not_found(sfn, machine):
    for call in (sfn.describe_state_machine_alias, sfn.update_state_machine_alias):
        kwargs = {"description": "x"} if call == sfn.update_state_machine_alias else {}
        with pytest.raises(sfn.exceptions.ResourceNotFound) as raised:
            call(stateMachineAliasArn=machine + ":nothing", **kwargs)
        assert raised.value.response["Error"]["Message"] == (
            "Request references a resource that does not exist."
        )


def test_deleting_a_machine_deletes_its_versions_and_aliases(sfn, role):
    arn = sfn.create_state_machine(
        name=resources.resource_name(f"doomed-{uuid.uuid4().hex[:8]}"),
        definition=json.dumps(pass_machine("one")),
        roleArn=role,
        publish=True,
    )["stateMachineArn"]
    sfn.create_state_machine_alias(
        name="PROD", routingConfiguration=[{"stateMachineVersionArn": arn + ":1", "weight": 100}]
    )
    sfn.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.describe_state_machine(stateMachineArn=arn + ":1")
    with pytest.raises(sfn.exceptions.ResourceNotFound):
        sfn.describe_state_machine_alias(stateMachineAliasArn=arn + ":PROD")


def test_express_versions_and_aliases_run_synchronously(sfn, role):
    arn = sfn.create_state_machine(
        name=resources.resource_name(f"express-versions-{uuid.uuid4().hex[:8]}"),
        definition=json.dumps(pass_machine("one")),
        roleArn=role,
        type="EXPRESS",
        publish=True,
    )["stateMachineArn"]
    try:
        update(sfn, arn, "two")
        alias = sfn.create_state_machine_alias(
            name="PROD",
            routingConfiguration=[{"stateMachineVersionArn": arn + ":1", "weight": 100}],
        )["stateMachineAliasArn"]
        answer = sfn.start_sync_execution(stateMachineArn=alias)
        assert json.loads(answer["output"]) == "one"
        assert answer["executionArn"].split(":")[5:7] == ["express", arn.split(":")[6]]
        assert json.loads(sfn.start_sync_execution(stateMachineArn=arn)["output"]) == "two"
    finally:
        sfn.delete_state_machine(stateMachineArn=arn)
