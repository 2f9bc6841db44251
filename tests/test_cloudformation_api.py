"""CloudFormation on the running emulator (sfn_tutorial/emulator/cloudformation/): stacks,
change sets, rollback and deletion, each test saying what CloudFormation answers."""

import json

import boto3
import policies
import pytest

from sfn_tutorial import deployment, executions

ROLE_TRUST = policies.trust("states.amazonaws.com")
PASS_MACHINE = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}


def machine_template(definition=None, **machine_properties) -> dict:
    """A role and a state machine that runs as it."""
    return {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {"AssumeRolePolicyDocument": ROLE_TRUST},
            },
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "DefinitionString": json.dumps(definition or PASS_MACHINE),
                    "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                    **machine_properties,
                },
            },
        },
        "Outputs": {"MachineArn": {"Value": {"Ref": "Machine"}}},
    }


def queue_template(visibility=30, name=None, extra=None) -> dict:
    queue = {"VisibilityTimeout": visibility}
    if name:
        queue["QueueName"] = name
    return {
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": queue},
            "QueueArn": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Type": "String", "Value": {"Fn::GetAtt": ["Queue", "Arn"]}},
            },
            **(extra or {}),
        },
        "Outputs": {"QueueUrl": {"Value": {"Ref": "Queue"}}},
    }


def create(name: str, template: dict, **options) -> dict:
    cloudformation = boto3.client("cloudformation")
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Capabilities=["CAPABILITY_IAM"],
        **options,
    )
    return cloudformation.describe_stacks(StackName=name)["Stacks"][0]


def events_of(name: str) -> list[dict]:
    """The stack's events, oldest first."""
    events = boto3.client("cloudformation").describe_stack_events(StackName=name)["StackEvents"]
    return list(reversed(events))


def change_set(stack: str, name: str, template: dict, change_set_type="UPDATE") -> dict:
    cloudformation = boto3.client("cloudformation")
    made = cloudformation.create_change_set(
        StackName=stack,
        ChangeSetName=name,
        ChangeSetType=change_set_type,
        TemplateBody=json.dumps(template),
        Capabilities=["CAPABILITY_IAM"],
    )
    return cloudformation.describe_change_set(ChangeSetName=made["Id"])


@pytest.fixture(scope="module")
def blog(emulator):
    """The repository's SAM template, packaged and created directly (CreateStack)."""
    cloudformation = boto3.client("cloudformation")
    cloudformation.create_stack(
        StackName="api-blog",
        TemplateBody=deployment.package(),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    return cloudformation.describe_stacks(StackName="api-blog")["Stacks"][0]


# ---------------------------------------------------------------- SAM and the services


def test_a_sam_template_created_directly_needs_auto_expand_then_iam(emulator):
    # CloudFormation: a template with a transform (a macro) needs CAPABILITY_AUTO_EXPAND to be
    # created without a change set; once expanded, its IAM roles need CAPABILITY_IAM.
    cloudformation = boto3.client("cloudformation")
    packaged = deployment.package()
    for given, missing in (
        ([], "CAPABILITY_AUTO_EXPAND"),
        (["CAPABILITY_AUTO_EXPAND"], "CAPABILITY_IAM"),
    ):
        with pytest.raises(cloudformation.exceptions.InsufficientCapabilitiesException) as refused:
            cloudformation.create_stack(
                StackName="api-capabilities", TemplateBody=packaged, Capabilities=given
            )
        assert refused.value.response["Error"]["Message"] == f"Requires capabilities : [{missing}]"
    with pytest.raises(cloudformation.exceptions.ClientError, match="does not exist"):
        cloudformation.describe_stacks(StackName="api-capabilities")


def test_a_stacks_resources_are_the_ones_the_services_see(blog):
    assert blog["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in blog["Outputs"]}
    machine_arn = outputs["StateMachineArn"]
    sfn = boto3.client("stepfunctions")
    listed = [m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]]
    assert machine_arn in listed
    # The definition file's placeholders were filled with the functions' ARNs, and the real
    # handler answers.
    description, _ = executions.start_and_wait(machine_arn, {"TransactionType": "PURCHASE"})
    assert description["status"] == "SUCCEEDED"
    assert json.loads(description["output"])["Message"] == (
        "Hello from lambda land inside the ProcessPurchase function"
    )
    # SAM's LambdaInvokePolicy: the machine's role may invoke that one function, in IAM.
    role = sfn.describe_state_machine(stateMachineArn=machine_arn)["roleArn"].split("/")[-1]
    iam = boto3.client("iam")
    statements = [
        statement
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
        for statement in iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"][
            "Statement"
        ]
    ]
    assert [s["Resource"] for s in statements] == [
        outputs["ProcessPurchaseFunctionArn"] + "*",
        outputs["ProcessRefundFunctionArn"] + "*",
    ]
    # The stack's tags are on what it made.
    function = outputs["ProcessPurchaseFunctionArn"]
    assert boto3.client("lambda").list_tags(Resource=function)["Tags"]["lambda:createdBy"] == "SAM"


def test_the_processed_template_is_plain_cloudformation(blog):
    cloudformation = boto3.client("cloudformation")
    processed = cloudformation.get_template(StackName="api-blog", TemplateStage="Processed")
    assert processed["StagesAvailable"] == ["Original", "Processed"]
    types = {r["Type"] for r in processed["TemplateBody"]["Resources"].values()}
    assert not any(t.startswith("AWS::Serverless::") for t in types)
    assert {"AWS::Lambda::Function", "AWS::StepFunctions::StateMachine", "AWS::IAM::Role"} <= types
    original = cloudformation.get_template(StackName="api-blog")["TemplateBody"]
    assert original["Transform"] == "AWS::Serverless-2016-10-31"


def test_events_tell_what_happened_in_order(blog):
    events = events_of("api-blog")
    stack_events = [e["ResourceStatus"] for e in events if e["LogicalResourceId"] == "api-blog"]
    assert stack_events == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
    assert events[0]["ResourceStatusReason"] == "User Initiated"
    role = [
        e["ResourceStatus"]
        for e in events
        if e["LogicalResourceId"] == "ProcessPurchaseFunctionRole"
    ]
    assert role == ["CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
    order = [e["LogicalResourceId"] for e in events if e["ResourceStatus"] == "CREATE_COMPLETE"]
    # A resource is made after what it refers to: a function after its role, the machine
    # after both functions.
    assert order.index("ProcessPurchaseFunctionRole") < order.index("ProcessPurchaseFunction")
    assert order.index("ProcessRefundFunction") < order.index("TransactionsStateMachine")


def test_a_transform_failure_is_refused_in_sams_words(emulator):
    # Unpackaged, the template's CodeUri is a local folder: SAM refuses it. CreateStack answers
    # a ValidationError; a change set ends FAILED with the same reason.
    cloudformation = boto3.client("cloudformation")
    text = deployment.TEMPLATE.read_text()
    with pytest.raises(cloudformation.exceptions.ClientError) as refused:
        cloudformation.create_stack(
            StackName="api-unpackaged",
            TemplateBody=text,
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
    message = refused.value.response["Error"]["Message"]
    assert refused.value.response["Error"]["Code"] == "ValidationError"
    assert message.startswith(
        "Transform AWS::Serverless-2016-10-31 failed with: Invalid Serverless Application "
        "Specification document."
    )
    assert "'CodeUri' is not a valid S3 Uri" in message
    made = cloudformation.create_change_set(
        StackName="api-unpackaged",
        ChangeSetName="first",
        ChangeSetType="CREATE",
        TemplateBody=text,
        Capabilities=["CAPABILITY_IAM"],
    )
    described = cloudformation.describe_change_set(ChangeSetName=made["Id"])
    assert described["Status"] == "FAILED" and described["ExecutionStatus"] == "UNAVAILABLE"
    assert described["StatusReason"] == message


# ---------------------------------------------------------------- failures and rollback


def test_a_resource_the_service_refuses_rolls_the_stack_back(emulator):
    broken = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Missing"}}}
    stack = create("api-rollback", machine_template(broken))
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    events = events_of("api-rollback")
    failed = next(e for e in events if e["ResourceStatus"] == "CREATE_FAILED")
    # CloudFormation's handler passes on CreateStateMachine's own refusal.
    assert failed["LogicalResourceId"] == "Machine"
    assert failed["ResourceStatusReason"].startswith(
        'Resource handler returned message: "Invalid State Machine Definition: '
        "'MISSING_TRANSITION_TARGET"
    )
    assert "(Service: Sfn, Status Code: 400" in failed["ResourceStatusReason"]
    assert failed["ResourceStatusReason"].endswith("HandlerErrorCode: InvalidRequest)")
    rollback = next(e for e in events if e["ResourceStatus"] == "ROLLBACK_IN_PROGRESS")
    assert rollback["ResourceStatusReason"] == (
        "The following resource(s) failed to create: [Machine]. Rollback requested by user."
    )
    # The role made before was deleted again.
    role = next(
        r
        for r in boto3.client("cloudformation").list_stack_resources(StackName="api-rollback")[
            "StackResourceSummaries"
        ]
        if r["LogicalResourceId"] == "Role"
    )
    assert role["ResourceStatus"] == "DELETE_COMPLETE"
    iam = boto3.client("iam")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName=role["PhysicalResourceId"])
    # A stack that never got created cannot be updated: delete it and create it again.
    cloudformation = boto3.client("cloudformation")
    with pytest.raises(cloudformation.exceptions.ClientError) as refused:
        cloudformation.update_stack(
            StackName="api-rollback",
            TemplateBody=json.dumps(machine_template()),
            Capabilities=["CAPABILITY_IAM"],
        )
    assert refused.value.response["Error"]["Message"] == (
        f"Stack:{stack['StackId']} is in ROLLBACK_COMPLETE state and can not be updated."
    )


def with_a_glue_database(depends_on: str) -> dict:
    """queue_template() and a Glue database (a type the emulator cannot make) made after
    ``depends_on``."""
    template = queue_template()
    template["Resources"]["Database"] = {
        "Type": "AWS::Glue::Database",
        "DependsOn": depends_on,
        "Properties": {"CatalogId": {"Ref": "AWS::AccountId"}, "DatabaseInput": {"Name": "db"}},
    }
    return template


def test_a_type_the_emulator_cannot_make_fails_the_stack_naming_it(emulator):
    stack = create("api-unsupported", with_a_glue_database("Queue"))
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = next(e for e in events_of("api-unsupported") if e["ResourceStatus"] == "CREATE_FAILED")
    assert failed["LogicalResourceId"] == "Database"
    assert "cannot create resources of type AWS::Glue::Database" in failed["ResourceStatusReason"]


def test_an_unknown_type_is_refused_before_anything_is_made(emulator):
    cloudformation = boto3.client("cloudformation")
    template = {"Resources": {"Thing": {"Type": "AWS::Foo::Bar"}}}
    with pytest.raises(cloudformation.exceptions.ClientError) as refused:
        cloudformation.create_stack(StackName="api-unknown", TemplateBody=json.dumps(template))
    assert refused.value.response["Error"]["Message"] == (
        "Template format error: Unrecognized resource types: [AWS::Foo::Bar]"
    )
    with pytest.raises(cloudformation.exceptions.ClientError, match="does not exist"):
        cloudformation.describe_stacks(StackName="api-unknown")


def test_a_circle_of_references_is_refused(emulator):
    cloudformation = boto3.client("cloudformation")
    template = {
        "Resources": {
            "A": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"QueueName": {"Fn::GetAtt": ["B", "QueueName"]}},
            },
            "B": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"QueueName": {"Fn::GetAtt": ["A", "QueueName"]}},
            },
        }
    }
    with pytest.raises(cloudformation.exceptions.ClientError) as refused:
        cloudformation.create_stack(StackName="api-circle", TemplateBody=json.dumps(template))
    assert refused.value.response["Error"]["Message"] == (
        "Circular dependency between resources: [A, B]"
    )


def test_on_failure_do_nothing_keeps_what_was_made(emulator):
    stack = create("api-keep", with_a_glue_database("QueueArn"), OnFailure="DO_NOTHING")
    assert stack["StackStatus"] == "CREATE_FAILED"
    assert stack["StackStatusReason"] == "The following resource(s) failed to create: [Database]. "
    resources = {
        r["LogicalResourceId"]: r["ResourceStatus"]
        for r in boto3.client("cloudformation").list_stack_resources(StackName="api-keep")[
            "StackResourceSummaries"
        ]
    }
    assert resources == {
        "Queue": "CREATE_COMPLETE",
        "QueueArn": "CREATE_COMPLETE",
        "Database": "CREATE_FAILED",
    }


# ---------------------------------------------------------------- change sets and updates


def test_a_create_change_set_previews_then_creates(emulator):
    cloudformation = boto3.client("cloudformation")
    preview = change_set("api-cs", "create", queue_template(), "CREATE")
    assert preview["Status"] == "CREATE_COMPLETE" and preview["ExecutionStatus"] == "AVAILABLE"
    assert [
        (c["ResourceChange"]["Action"], c["ResourceChange"]["LogicalResourceId"])
        for c in preview["Changes"]
    ] == [
        ("Add", "Queue"),
        ("Add", "QueueArn"),
    ]
    # Nothing exists yet: the stack waits for review.
    stack = cloudformation.describe_stacks(StackName="api-cs")["Stacks"][0]
    assert stack["StackStatus"] == "REVIEW_IN_PROGRESS"
    assert cloudformation.list_stack_resources(StackName="api-cs")["StackResourceSummaries"] == []
    cloudformation.execute_change_set(ChangeSetName=preview["ChangeSetId"])
    assert cloudformation.describe_stacks(StackName="api-cs")["Stacks"][0]["StackStatus"] == (
        "CREATE_COMPLETE"
    )
    executed = cloudformation.describe_change_set(ChangeSetName=preview["ChangeSetId"])
    assert executed["ExecutionStatus"] == "EXECUTE_COMPLETE"


def test_an_update_change_set_shows_a_change_in_place(emulator):
    create("api-modify", queue_template(visibility=30))
    preview = change_set("api-modify", "longer", queue_template(visibility=60))
    (change,) = preview["Changes"]
    assert change["ResourceChange"] == {
        "Action": "Modify",
        "LogicalResourceId": "Queue",
        "PhysicalResourceId": change["ResourceChange"]["PhysicalResourceId"],
        "ResourceType": "AWS::SQS::Queue",
        "Replacement": "False",
        "Scope": ["Properties"],
        "Details": [
            {
                "Target": {
                    "Attribute": "Properties",
                    "Name": "VisibilityTimeout",
                    "RequiresRecreation": "Never",
                },
                "Evaluation": "Static",
                "ChangeSource": "DirectModification",
            }
        ],
    }
    url = change["ResourceChange"]["PhysicalResourceId"]
    boto3.client("cloudformation").execute_change_set(ChangeSetName=preview["ChangeSetId"])
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    assert attributes["Attributes"]["VisibilityTimeout"] == "60"  # the same queue, changed


def test_a_renamed_resource_is_replaced_and_what_refers_to_it_changes_dynamically(emulator):
    cloudformation = boto3.client("cloudformation")
    create("api-replace", queue_template(name="api-replace-old"))
    preview = change_set("api-replace", "rename", queue_template(name="api-replace-new"))
    changes = {
        c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in preview["Changes"]
    }
    assert changes["Queue"]["Replacement"] == "True"
    assert changes["Queue"]["Details"][0]["Target"] == {
        "Attribute": "Properties",
        "Name": "QueueName",
        "RequiresRecreation": "Always",
    }
    # The parameter holds the queue's ARN, known only once the new queue exists.
    assert changes["QueueArn"]["Details"] == [
        {
            "Target": {"Attribute": "Properties", "Name": "Value", "RequiresRecreation": "Never"},
            "Evaluation": "Dynamic",
            "ChangeSource": "ResourceAttribute",
            "CausingEntity": "Queue.Arn",
        }
    ]
    cloudformation.execute_change_set(ChangeSetName=preview["ChangeSetId"])
    reasons = [e.get("ResourceStatusReason") for e in events_of("api-replace")]
    assert (
        "Requested update requires the creation of a new physical resource; hence creating one."
        in reasons
    )
    sqs = boto3.client("sqs")
    names = [
        url.rsplit("/", 1)[1]
        for url in sqs.list_queues(QueueNamePrefix="api-replace").get("QueueUrls", [])
    ]
    assert names == ["api-replace-new"]  # the old one was deleted in the clean-up phase
    value = boto3.client("ssm").get_parameter(
        Name=next(
            r["PhysicalResourceId"]
            for r in cloudformation.list_stack_resources(StackName="api-replace")[
                "StackResourceSummaries"
            ]
            if r["LogicalResourceId"] == "QueueArn"
        )
    )["Parameter"]["Value"]
    assert value.endswith(":api-replace-new")


def test_a_custom_named_resource_cannot_be_replaced(emulator):
    # CloudFormation makes the replacement before deleting the old one: with the same name,
    # that cannot be done.
    cloudformation = boto3.client("cloudformation")
    create("api-custom", machine_template(StateMachineName="api-custom-machine"))
    cloudformation.update_stack(
        StackName="api-custom",
        TemplateBody=json.dumps(
            machine_template(StateMachineName="api-custom-machine", StateMachineType="EXPRESS")
        ),
        Capabilities=["CAPABILITY_IAM"],
    )
    stack = cloudformation.describe_stacks(StackName="api-custom")["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    failed = next(e for e in events_of("api-custom") if e["ResourceStatus"] == "UPDATE_FAILED")
    assert failed["ResourceStatusReason"] == (
        "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
        "Rename api-custom-machine and update the stack again."
    )


def test_a_failed_update_puts_back_what_it_changed(emulator):
    cloudformation = boto3.client("cloudformation")
    create("api-revert", queue_template(visibility=30))
    bad = {  # Lambda refuses a permission on a function that does not exist
        "Type": "AWS::Lambda::Permission",
        "DependsOn": "QueueArn",
        "Properties": {
            "FunctionName": "api-revert-no-such-function",
            "Action": "lambda:InvokeFunction",
            "Principal": "events.amazonaws.com",
        },
    }
    broken = queue_template(visibility=90, extra={"Bad": bad})
    cloudformation.update_stack(StackName="api-revert", TemplateBody=json.dumps(broken))
    stack = cloudformation.describe_stacks(StackName="api-revert")["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    statuses = [
        e["ResourceStatus"]
        for e in events_of("api-revert")
        if e["LogicalResourceId"] == "api-revert"
    ]
    assert statuses[-4:] == [
        "UPDATE_IN_PROGRESS",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE",
    ]
    rollback = next(
        e for e in events_of("api-revert") if e["ResourceStatus"] == "UPDATE_ROLLBACK_IN_PROGRESS"
    )
    assert rollback["ResourceStatusReason"] == "The following resource(s) failed to create: [Bad]. "
    url = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["QueueUrl"]
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    assert attributes["Attributes"]["VisibilityTimeout"] == "30"  # put back
    assert "Bad" not in {
        r["LogicalResourceId"]
        for r in cloudformation.list_stack_resources(StackName="api-revert")[
            "StackResourceSummaries"
        ]
    }


def test_nothing_to_change_is_refused_or_fails_the_change_set(emulator):
    cloudformation = boto3.client("cloudformation")
    create("api-same", queue_template())
    with pytest.raises(cloudformation.exceptions.ClientError) as refused:
        cloudformation.update_stack(StackName="api-same", TemplateBody=json.dumps(queue_template()))
    assert refused.value.response["Error"]["Message"] == "No updates are to be performed."
    preview = change_set("api-same", "same", queue_template())
    assert preview["Status"] == "FAILED" and preview["ExecutionStatus"] == "UNAVAILABLE"
    assert preview["StatusReason"] == (
        "The submitted information didn't contain changes. Submit different information to "
        "create a change set."
    )


# ---------------------------------------------------------------- deletion


def test_deleting_a_stack_deletes_what_it_made_but_retained_resources(emulator):
    cloudformation = boto3.client("cloudformation")
    template = queue_template(
        extra={"Topic": {"Type": "AWS::SNS::Topic", "DeletionPolicy": "Retain"}}
    )
    stack = create("api-delete", template)
    made = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cloudformation.list_stack_resources(StackName="api-delete")[
            "StackResourceSummaries"
        ]
    }
    cloudformation.delete_stack(StackName="api-delete")
    # A deleted stack is found by its ID only; its name is free again.
    deleted = cloudformation.describe_stacks(StackName=stack["StackId"])["Stacks"][0]
    assert deleted["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(cloudformation.exceptions.ClientError) as refused:
        cloudformation.describe_stacks(StackName="api-delete")
    assert refused.value.response["Error"]["Message"] == "Stack with id api-delete does not exist"
    sqs = boto3.client("sqs")
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_attributes(QueueUrl=made["Queue"])
    topics = [t["TopicArn"] for t in boto3.client("sns").list_topics()["Topics"]]
    assert made["Topic"] in topics  # DeletionPolicy: Retain
    skipped = [
        e["LogicalResourceId"]
        for e in events_of(stack["StackId"])
        if e["ResourceStatus"] == "DELETE_SKIPPED"
    ]
    assert skipped == ["Topic"]
    # Deleting a stack that does not exist succeeds, as on AWS.
    cloudformation.delete_stack(StackName="api-never-made")
