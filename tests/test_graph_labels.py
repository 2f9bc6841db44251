"""The words on the picture: sfn_tutorial/graph/labels.py."""

from __future__ import annotations

import json

import pytest

from sfn_tutorial.graph import choice_rule_text
from sfn_tutorial.graph.labels import SERVICE_NAMES, service_task, type_line

# ------------------------------------------------------------------ choice rule text


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        ({"Variable": "$.t", "StringEquals": "PURCHASE"}, '$.t == "PURCHASE"'),
        ({"Variable": "$.n", "NumericGreaterThanEquals": 2.5}, "$.n >= 2.5"),
        ({"Variable": "$.n", "NumericLessThan": 0}, "$.n < 0"),
        ({"Variable": "$.n", "NumericEqualsPath": "$.m"}, "$.n == $.m"),
        ({"Variable": "$.s", "StringLessThanEqualsPath": "$.u"}, "$.s <= $.u"),
        ({"Variable": "$.b", "BooleanEquals": False}, "$.b == false"),
        ({"Variable": "$.b", "BooleanEqualsPath": "$.c"}, "$.b == $.c"),
        (
            {"Variable": "$.when", "TimestampGreaterThan": "2016-03-14T01:59:00Z"},
            "$.when > 2016-03-14T01:59:00Z",
        ),
        ({"Variable": "$.when", "TimestampLessThanPath": "$.limit"}, "$.when < $.limit"),
        ({"Variable": "$.x", "IsPresent": True}, "$.x is present"),
        ({"Variable": "$.x", "IsPresent": False}, "$.x is not present"),
        ({"Variable": "$.x", "IsNull": True}, "$.x is null"),
        ({"Variable": "$.x", "IsNumeric": False}, "$.x is not a number"),
        ({"Variable": "$.f", "StringMatches": "*.log"}, '$.f matches "*.log"'),
        (
            {
                "And": [
                    {"Not": {"Variable": "$.a", "NumericEquals": 1}},
                    {"Variable": "$.b", "NumericGreaterThan": 2},
                ]
            },
            "not ($.a == 1) and ($.b > 2)",
        ),
        (
            {
                "Or": [
                    {"Variable": "$.a", "StringEquals": "x"},
                    {
                        "And": [
                            {"Variable": "$.b", "IsString": True},
                            {"Variable": "$.c", "IsBoolean": True},
                        ]
                    },
                ]
            },
            '($.a == "x") or (($.b is a string) and ($.c is a boolean))',
        ),
        ({"Condition": "{% $states.input.n > 3 %}"}, "{% $states.input.n > 3 %}"),
    ],
)
def test_choice_rule_text(rule, text):
    assert choice_rule_text({**rule, "Next": "X"}) == text


# ------------------------------------------------------------------ what a Task calls


@pytest.mark.parametrize(
    ("resource", "line"),
    [
        ("arn:aws:states:::lambda:invoke", "Lambda: Invoke"),
        ("arn:aws:states:::lambda:invoke.waitForTaskToken", "Lambda: Invoke · wait for callback"),
        ("arn:aws:states:::sqs:sendMessage", "SQS: SendMessage"),
        (
            "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "SQS: SendMessage · wait for callback",
        ),
        ("arn:aws:states:::sns:publish", "SNS: Publish"),
        ("arn:aws:states:::dynamodb:putItem", "DynamoDB: PutItem"),
        ("arn:aws:states:::dynamodb:updateItem", "DynamoDB: UpdateItem"),
        ("arn:aws:states:::events:putEvents", "EventBridge: PutEvents"),
        ("arn:aws:states:::states:startExecution", "Step Functions: StartExecution"),
        (
            "arn:aws:states:::states:startExecution.sync:2",
            "Step Functions: StartExecution · run a job",
        ),
        (
            "arn:aws:states:::states:startExecution.sync",
            "Step Functions: StartExecution · run a job",
        ),
        ("arn:aws:states:::ecs:runTask.sync", "ECS: RunTask · run a job"),
        ("arn:aws:states:::ecs:runTask", "ECS: RunTask"),
        ("arn:aws:states:::aws-sdk:s3:listBuckets", "S3 (SDK): ListBuckets"),
        ("arn:aws:states:::aws-sdk:dynamodb:getItem", "DynamoDB (SDK): GetItem"),
        (
            "arn:aws:states:::aws-sdk:dynamodb:putItem.waitForTaskToken",
            "DynamoDB (SDK): PutItem · wait for callback",
        ),
        ("arn:aws:states:::aws-sdk:sfn:listExecutions", "Step Functions (SDK): ListExecutions"),
        (
            "arn:aws:states:us-east-1:123456789012:aws-sdk:s3:getObject",
            "S3 (SDK): GetObject",
        ),
        ("arn:${AWS::Partition}:states:::sns:publish", "SNS: Publish"),
        ("arn:${AWSPartition}:states:::lambda:invoke", "Lambda: Invoke"),
        ("arn:aws:states:::elasticmapreduce:addStep.sync", "EMR: AddStep · run a job"),
        ("arn:aws:states:::aws-sdk:somenewservice:doThing", "Somenewservice (SDK): DoThing"),
        (
            "arn:aws:lambda:us-east-1:123456789012:function:ProcessPurchase",
            "Lambda: ProcessPurchase",
        ),
        ("arn:aws:lambda:us-east-1:123456789012:function:Fn:live", "Lambda: Fn"),
        ("arn:aws:states:us-east-1:123456789012:activity:MyActivity", "Activity: MyActivity"),
        ("${LambdaArn}", "${LambdaArn}"),
    ],
)
def test_a_task_is_named_by_service_action_and_pattern(resource, line):
    assert type_line({"Type": "Task", "Resource": resource}) == line


def test_service_task_splits_a_resource():
    assert service_task("arn:aws:states:::sqs:sendMessage.waitForTaskToken") == (
        "SQS",
        "SendMessage",
        "wait for callback",
    )
    assert service_task("arn:aws:states:::aws-sdk:s3:listBuckets") == (
        "S3 (SDK)",
        "ListBuckets",
        None,
    )
    assert service_task("arn:aws:lambda:us-east-1:1:function:F") is None


def _corpus_tasks():
    from test_definitions import CORPUS, _corpus

    if not CORPUS.is_dir():
        pytest.skip(f"the corpus of real definitions is not at {CORPUS}")
    found = []

    def walk(states):
        for state in (states or {}).values():
            if not isinstance(state, dict):
                continue
            if state.get("Type") == "Task" and isinstance(state.get("Resource"), str):
                found.append(state)
            for branch in state.get("Branches") or []:
                walk(branch.get("States"))
            for key in ("Iterator", "ItemProcessor"):
                if isinstance(state.get(key), dict):
                    walk(state[key].get("States"))

    for param in _corpus():
        walk(json.loads(param.values[0].read_text()).get("States"))
    return found


def test_every_corpus_service_task_is_named_by_service_and_action():
    tasks = _corpus_tasks()
    assert len(tasks) > 500
    for state in tasks:
        call = service_task(state["Resource"])
        line = type_line(state)
        if call is None:
            continue
        service, action, pattern = call
        assert line.startswith(f"{service}: "), state["Resource"]
        assert action and action[0].isupper() and ":" not in action, state["Resource"]
        if ".waitForTaskToken" in state["Resource"]:
            assert pattern == "wait for callback"
        elif ".sync" in state["Resource"]:
            assert pattern == "run a job"
        else:
            assert pattern is None
        assert len(line) <= 56


def test_every_corpus_integration_service_has_a_proper_name():
    unnamed = set()
    for state in _corpus_tasks():
        call = service_task(state["Resource"])
        if call and call[0].removesuffix(" (SDK)") not in SERVICE_NAMES.values():
            unnamed.add(call[0])
    assert unnamed == set()
