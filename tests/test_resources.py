"""Idempotent create/update, naming and tagging, and clean-up by tag."""

import io
import json
import re
import zipfile
from pathlib import Path

import boto3
import pytest

from sfn_tutorial import resources


def test_lambda_zip_is_deterministic_and_holds_the_handler():
    first = resources.lambda_zip("ProcessPurchase")
    assert first == resources.lambda_zip("ProcessPurchase")
    names = zipfile.ZipFile(io.BytesIO(first)).namelist()
    assert names == ["lambda_function.py"]


def test_invoke_policy_allows_only_the_given_functions():
    arn = "arn:aws:lambda:ap-northeast-2:123456789012:function:sfn-tutorial-ProcessPurchase"
    policy = resources.invoke_policy([arn])
    (statement,) = policy["Statement"]
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Resource"] == [arn, arn + ":*"]


def test_blog_definition_matches_the_blog():
    definition = resources.blog_definition("arn:p", "arn:r")
    choice = definition["States"]["ProcessTransaction"]
    assert definition["StartAt"] == "ProcessTransaction"
    assert [rule["StringEquals"] for rule in choice["Choices"]] == ["PURCHASE", "REFUND"]
    assert "Default" not in choice
    assert definition["States"]["ProcessPurchase"] == {
        "Type": "Task",
        "Resource": "arn:p",
        "End": True,
    }


def test_ensure_blog_stack_twice_is_the_same_stack(emulator):
    first = resources.ensure_blog_stack(progress=lambda message: None)
    second = resources.ensure_blog_stack(progress=lambda message: None)
    assert first == second
    machines = boto3.client("stepfunctions").list_state_machines()["stateMachines"]
    assert [m["name"] for m in machines] == [resources.STATE_MACHINE]


def test_every_resource_is_named_and_tagged(emulator):
    resources.ensure_blog_stack(progress=lambda message: None)
    boto3.client("lambda").invoke(
        FunctionName=resources.resource_name("ProcessRefund"), Payload=b'{"TransactionType": "R"}'
    )
    found = resources.find_tutorial_resources()
    kinds = sorted(resource.kind for resource in found)
    assert kinds == [
        "IAM role",
        "IAM role",
        "Lambda function",
        "Lambda function",
        "log group",
        "state machine",
    ]
    assert all(
        resource.name.startswith(("sfn-tutorial-", "/aws/lambda/sfn-tutorial-"))
        for resource in found
    )


def test_ensure_function_updates_changed_settings(emulator):
    role = resources.ensure_role(resources.LAMBDA_ROLE, "lambda.amazonaws.com")
    resources.ensure_function("ProcessPurchase", "lambda_function.process_purchase", role)
    updated = resources.ensure_function(
        "ProcessPurchase",
        "lambda_function.process_purchase",
        role,
        Timeout=10,
        Environment={"Variables": {"STAGE": "tutorial"}},
    )
    assert updated["Timeout"] == 10
    assert updated["Environment"]["Variables"] == {"STAGE": "tutorial"}


def test_clean_up_deletes_only_tagged_resources_and_is_safe_to_rerun(emulator):
    iam = boto3.client("iam")
    trust = json.dumps(resources.trust_policy("lambda.amazonaws.com"))
    iam.create_role(RoleName="someone-elses-role", AssumeRolePolicyDocument=trust)
    resources.ensure_blog_stack(progress=lambda message: None)
    deleted = resources.clean_up(progress=lambda message: None)
    assert len(deleted) >= 5
    assert resources.find_tutorial_resources() == []
    assert resources.clean_up(progress=lambda message: None) == []
    assert iam.get_role(RoleName="someone-elses-role")["Role"]["RoleName"] == "someone-elses-role"


def test_every_kind_clean_up_finds_has_a_deleter_and_no_other_kind_has_one():
    assert list(resources.DELETERS) == list(resources.KINDS)
    with pytest.raises(ValueError, match="Unknown resource kind 'teapot'"):
        resources.delete_resource(resources.Resource("teapot", "t", "arn:t"))


def test_retry_while_iam_propagates_retries_only_propagation_errors(sleeps):
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 2:
            raise RuntimeError("The role defined for the function cannot be assumed by Lambda.")
        return "done"

    messages = []
    assert resources.retry_while_iam_propagates(flaky, progress=messages.append) == "done"
    assert len(calls) == 2 and "not usable everywhere in AWS yet" in messages[0]


def test_retry_while_iam_propagates_raises_other_errors_at_once():
    def broken():
        raise ValueError("AccessDenied")

    import pytest

    with pytest.raises(ValueError, match="AccessDenied"):
        resources.retry_while_iam_propagates(broken)


# ------------------------------------------------------------------ create-or-update really updates

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
LAMBDA = "arn:aws:lambda:ap-northeast-2:123456789012:function:sfn-tutorial-"


def _code_cells(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text())["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]


def _with_default(definition: dict) -> dict:
    """The definition as notebook 03's exercise edits it: a Default to a new Fail state."""
    edited = json.loads(json.dumps(definition))
    edited["States"]["ProcessTransaction"]["Default"] = "UnknownTransaction"
    edited["States"]["UnknownTransaction"] = {"Type": "Fail", "Error": "UnknownTransactionType"}
    return edited


def test_every_notebook_cell_that_creates_a_state_machine_updates_an_existing_one():
    # AWS answers CreateStateMachine with StateMachineAlreadyExists when the name is taken by a
    # different state machine: a re-run cell must then update it, or it keeps running the old one.
    creating = [
        (notebook.name, cell)
        for notebook in sorted(NOTEBOOKS.glob("*.ipynb"))
        for cell in _code_cells(notebook)
        if re.search(r"\.create_state_machine\b", cell)
    ]
    names = [name for name, _ in creating]
    assert names == ["02_step_functions_role.ipynb", "03_state_machine.ipynb", "05_triggers.ipynb"]
    # 02's cell shows Step Functions refusing a role whose trust names another state machine:
    # the machine is never created, and the cell prints the refusal
    (_, refused), *creating = creating
    assert "roleArn=guarded_role_arn" in refused and "except sfn.exceptions.ClientError" in refused
    for name, cell in creating:
        handler = cell.split("except sfn.exceptions.StateMachineAlreadyExists", 1)
        assert len(handler) == 2 and "update_state_machine(" in handler[1], name


def test_notebook_03_create_cell_run_again_puts_an_edited_definition_in_place(emulator, capsys):
    import helpers

    (cell,) = [
        cell
        for cell in _code_cells(NOTEBOOKS / "03_state_machine.ipynb")
        if re.search(r"\.create_state_machine\b", cell)
    ]
    sfn = boto3.client("stepfunctions")
    blog = resources.blog_definition(LAMBDA + "ProcessPurchase", LAMBDA + "ProcessRefund")
    namespace = {
        "json": json,
        "helpers": helpers,
        "sfn": sfn,
        "states_role_arn": resources.ensure_states_role([LAMBDA + "ProcessPurchase"]),
        "definition": blog,
    }
    exec(cell, namespace)
    arn = namespace["state_machine_arn"]
    for definition in (_with_default(blog), _with_default(blog), blog):  # edit, re-run, undo
        namespace["definition"] = definition
        exec(cell, namespace)
        assert namespace["state_machine_arn"] == arn
        stored = sfn.describe_state_machine(stateMachineArn=arn)["definition"]
        assert json.loads(stored) == definition
    assert capsys.readouterr().out.splitlines() == [arn] * 4


def test_ensure_state_machine_puts_an_edited_definition_in_place(emulator):
    sfn = boto3.client("stepfunctions")
    blog = resources.blog_definition(LAMBDA + "ProcessPurchase", LAMBDA + "ProcessRefund")
    name = resources.resource_name("edited")
    role = resources.ensure_states_role([LAMBDA + "ProcessPurchase"])
    arn = resources.ensure_state_machine(name, blog, role, progress=lambda message: None)
    edited = _with_default(blog)
    assert resources.ensure_state_machine(name, edited, role) == arn
    assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == edited


def test_clean_up_removes_notebook_10s_resources(emulator):
    from sfn_tutorial import integrations

    integrations.ensure_table()
    _, queue_arn = integrations.ensure_queue(integrations.WAREHOUSE_QUEUE)
    integrations.ensure_topic()
    integrations.ensure_warehouse_function(queue_arn)
    integrations.ensure_cluster()
    integrations.ensure_task_definition(["python", "-c", "print(1)"])
    kinds = {resource.kind for resource in resources.find_tutorial_resources()}
    assert {
        "DynamoDB table",
        "SQS queue",
        "SNS topic",
        "event source mapping",
        "ECS cluster",
        "ECS task definition",
        "log group",
    } <= kinds
    resources.clean_up(progress=lambda message: None)
    assert resources.find_tutorial_resources() == []
    assert boto3.client("lambda").list_event_source_mappings()["EventSourceMappings"] == []
    assert (
        boto3.client("logs").describe_log_groups(logGroupNamePrefix="/ecs/sfn-tutorial-")[
            "logGroups"
        ]
        == []
    )


def test_a_new_service_role_gets_time_to_spread_on_aws_only(emulator, monkeypatch, sleeps):
    """EventBridge and API Gateway fail quietly with a role that has not spread through AWS
    yet, so on the aws target a new role (or a changed trust policy) is waited for; an
    unchanged role is not, and the local target never waits."""
    slept, said = sleeps, []
    statement = {"Effect": "Allow", "Action": "states:StartExecution", "Resource": "*"}
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    monkeypatch.setenv("TUTORIAL_TARGET", "local")
    resources.ensure_service_role("sfn-tutorial-local-role", "events.amazonaws.com", policy)
    assert slept == []

    monkeypatch.setenv("TUTORIAL_TARGET", "aws")  # the endpoint stays the emulator's
    name = "sfn-tutorial-settle-role"
    resources.ensure_service_role(name, "events.amazonaws.com", policy, progress=said.append)
    assert slept == [resources.ROLE_SETTLE_S] and "must spread through AWS" in said[0]
    resources.ensure_service_role(name, "events.amazonaws.com", policy, progress=said.append)
    assert slept == [resources.ROLE_SETTLE_S]  # unchanged: no new wait
    resources.ensure_service_role(name, "apigateway.amazonaws.com", policy, progress=said.append)
    assert slept == [resources.ROLE_SETTLE_S] * 2  # the trust policy changed
    trust = boto3.client("iam").get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
    assert trust == resources.trust_policy("apigateway.amazonaws.com")


def test_log_groups_for_state_machines_are_tagged_and_cleaned_up(emulator):
    logs = boto3.client("logs")
    arn = resources.ensure_log_group("resources-test")
    assert arn == resources.ensure_log_group("resources-test")  # a second call changes nothing
    name = "/aws/vendedlogs/states/sfn-tutorial-resources-test"
    assert arn.endswith(f":log-group:{name}:*")
    logs.create_log_group(logGroupName="/aws/vendedlogs/states/sfn-tutorial-not-ours")
    found = [r.name for r in resources.find_tutorial_resources() if r.kind == "log group"]
    assert name in found and "/aws/vendedlogs/states/sfn-tutorial-not-ours" not in found
    resources.clean_up(progress=lambda message: None)
    left = [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]
    assert name not in left and "/aws/vendedlogs/states/sfn-tutorial-not-ours" in left


def test_ensure_state_machine_refuses_to_change_a_machines_type(emulator):
    role = resources.ensure_role(resources.resource_name("type-test-role"), "states.amazonaws.com")
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    name = resources.resource_name("type-test")
    resources.ensure_state_machine(name, definition, role, lambda message: None, type="EXPRESS")
    with pytest.raises(ValueError, match="exists as EXPRESS"):
        resources.ensure_state_machine(name, definition, role, lambda message: None)


def test_clean_up_removes_notebook_13s_resources(emulator):
    """Aliases before versions (a version an alias routes to cannot be deleted), versions
    before their machine; a topic's subscriptions and the tagged alarms go too."""
    stack = resources.ensure_blog_stack(progress=lambda message: None)
    sfn, sns, sqs = boto3.client("stepfunctions"), boto3.client("sns"), boto3.client("sqs")
    machine = sfn.create_state_machine(
        name=resources.resource_name("versioned"),
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        roleArn=stack.states_role_arn,
        tags=resources.tags("key"),
        publish=True,
    )
    sfn.create_state_machine_alias(
        name="live",
        routingConfiguration=[
            {"stateMachineVersionArn": machine["stateMachineVersionArn"], "weight": 100}
        ],
    )
    topic = sns.create_topic(Name=resources.resource_name("alerts"), Tags=resources.tags("Key"))
    sfn.create_activity(name=resources.resource_name("packing"), tags=resources.tags("key"))
    url = sqs.create_queue(QueueName=resources.resource_name("inbox"), tags=resources.tags())
    queue_arn = sqs.get_queue_attributes(QueueUrl=url["QueueUrl"], AttributeNames=["QueueArn"])
    sns.subscribe(
        TopicArn=topic["TopicArn"], Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"]
    )
    boto3.client("cloudwatch").put_metric_alarm(
        AlarmName=resources.resource_name("failures"),
        Namespace="AWS/States",
        MetricName="ExecutionsFailed",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        Tags=resources.tags("Key"),
    )
    found = [resource.kind for resource in resources.find_tutorial_resources()]
    for kind in ("state machine alias", "state machine version", "activity", "CloudWatch alarm"):
        assert kind in found
    assert found.index("state machine alias") < found.index("state machine version")
    assert found.index("state machine version") < found.index("state machine")
    assert found.index("SNS subscription") < found.index("SNS topic")
    resources.clean_up(progress=lambda message: None)
    assert resources.find_tutorial_resources() == []
    assert boto3.client("cloudwatch").describe_alarms()["MetricAlarms"] == []
    assert sns.list_subscriptions()["Subscriptions"] == []
    assert sfn.list_activities()["activities"] == []
