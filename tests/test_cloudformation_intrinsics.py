"""sfn_tutorial/emulator/cloudformation/intrinsics.py: the intrinsic and condition functions, as
CloudFormation's template reference documents them."""

import pytest

from sfn_tutorial.emulator.cloudformation import intrinsics
from sfn_tutorial.emulator.cloudformation.intrinsics import UNKNOWN

PSEUDO = {
    "AWS::AccountId": "123456789012",
    "AWS::Region": "ap-northeast-2",
    "AWS::StackName": "shop",
    "AWS::StackId": "arn:aws:cloudformation:ap-northeast-2:123456789012:stack/shop/1",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NotificationARNs": [],
}
TEMPLATE = {
    "Mappings": {"Sizes": {"dev": {"Memory": 128}, "prod": {"Memory": 1024}}},
    "Conditions": {
        "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
        "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]},
        "Both": {"Fn::And": [{"Condition": "IsDev"}, {"Fn::Equals": ["a", "a"]}]},
    },
}
MADE = {"Queue": ("https://sqs/queue", {"Arn": "arn:aws:sqs:ap-northeast-2:1:queue"})}


def evaluator(stage="dev", made=MADE):
    def ref(name):
        return made[name][0] if name in made else UNKNOWN

    def get_att(name, attribute):
        return made[name][1][attribute] if name in made else UNKNOWN

    return intrinsics.Evaluator(TEMPLATE, {"Stage": stage}, PSEUDO, ref, get_att, {"Shared": "x"})


def test_ref_gives_parameters_pseudo_parameters_and_resources():
    values = evaluator()
    assert values.resolve({"Ref": "Stage"}) == "dev"
    assert values.resolve({"Ref": "AWS::Region"}) == "ap-northeast-2"
    assert values.resolve({"Ref": "Queue"}) == "https://sqs/queue"


def test_sub_replaces_variables_attributes_and_keeps_literals():
    values = evaluator()
    text = "${AWS::StackName}-${Stage}-${Queue.Arn}-${!Literal}-${Extra}"
    assert values.resolve({"Fn::Sub": [text, {"Extra": {"Ref": "Stage"}}]}) == (
        "shop-dev-arn:aws:sqs:ap-northeast-2:1:queue-${Literal}-dev"
    )


def test_join_select_split_base64_and_find_in_map():
    values = evaluator()
    assert values.resolve({"Fn::Join": ["/", ["a", {"Ref": "Stage"}, 3]]}) == "a/dev/3"
    assert values.resolve({"Fn::Select": [1, {"Fn::Split": [",", "x,y,z"]}]}) == "y"
    assert values.resolve({"Fn::Base64": "hi"}) == "aGk="
    assert values.resolve({"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "Memory"]}) == 128
    assert values.resolve({"Fn::GetAZs": ""}) == [
        "ap-northeast-2a",
        "ap-northeast-2b",
        "ap-northeast-2c",
    ]
    assert values.resolve({"Fn::ImportValue": "Shared"}) == "x"


def test_conditions_and_if():
    assert evaluator("prod").condition("IsProd") and not evaluator("prod").condition("IsDev")
    assert evaluator("dev").condition("Both")
    choice = {"Fn::If": ["IsProd", "big", "small"]}
    assert evaluator("prod").resolve(choice) == "big"
    assert evaluator("dev").resolve(choice) == "small"


def test_no_value_removes_the_property_or_the_list_item():
    values = evaluator()
    resolved = values.resolve(
        {
            "A": {"Fn::If": ["IsProd", 1, {"Ref": "AWS::NoValue"}]},
            "B": ["x", {"Ref": "AWS::NoValue"}],
        }
    )
    assert resolved == {"B": ["x"]}


def test_values_of_resources_not_made_yet_are_unknown_in_a_preview():
    values = evaluator(made={})
    assert values.resolve({"Ref": "Queue"}) is UNKNOWN
    assert values.resolve({"Fn::Sub": "${Queue.Arn}/x"}) is UNKNOWN
    assert intrinsics.contains_unknown(values.resolve({"Targets": [{"Arn": {"Ref": "Queue"}}]}))


def test_language_extension_functions_need_their_transform():
    values = evaluator()
    with pytest.raises(intrinsics.IntrinsicError):
        values.resolve({"Fn::ToJsonString": {"a": 1}})
    extended = intrinsics.Evaluator(
        TEMPLATE, {}, PSEUDO, lambda n: UNKNOWN, lambda n, a: UNKNOWN, {}, language_extensions=True
    )
    assert extended.resolve({"Fn::ToJsonString": {"a": 1}}) == '{"a":1}'
    assert extended.resolve({"Fn::Length": [1, 2, 3]}) == 3


def test_references_find_ref_getatt_and_sub_names_but_not_sub_variables():
    value = {
        "A": {"Ref": "Queue"},
        "B": {"Fn::GetAtt": ["Topic", "TopicArn"]},
        "C": {"Fn::Sub": ["${Role.Arn}-${Local}-${AWS::Region}-${!Not}", {"Local": "x"}]},
    }
    assert intrinsics.references(value) == {"Queue", "Topic", "Role"}
    assert "AWS::Region" in intrinsics.references(value, include_parameters=True)
