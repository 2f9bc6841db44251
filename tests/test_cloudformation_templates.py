"""sfn_tutorial/emulator/cloudformation/templates.py: a template read, checked and its parameters
resolved, with the words CloudFormation uses when it refuses one."""

import pytest

from sfn_tutorial.emulator.cloudformation import schemas, templates
from sfn_tutorial.emulator.cloudformation.templates import TemplateError

KNOWN = {"AWS::SQS::Queue", "AWS::SNS::Topic"}


def known(type_name):
    return type_name in KNOWN


def test_yaml_short_forms_become_the_long_forms_and_dates_stay_text():
    template = templates.parse(
        """
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub ${AWS::StackName}-q
      Tags:
        - Key: arn
          Value: !GetAtt Topic.TopicArn
        - Key: name
          Value: !Ref Topic
        - Key: joined
          Value: !Join [",", [a, b]]
  Policy:
    Version: 2012-10-17
"""
    )
    queue = template["Resources"]["Queue"]["Properties"]
    assert queue["QueueName"] == {"Fn::Sub": "${AWS::StackName}-q"}
    assert queue["Tags"][0]["Value"] == {"Fn::GetAtt": ["Topic", "TopicArn"]}
    assert queue["Tags"][1]["Value"] == {"Ref": "Topic"}
    assert queue["Tags"][2]["Value"] == {"Fn::Join": [",", ["a", "b"]]}
    # CloudFormation has no date type: a policy's Version stays the string IAM expects.
    assert template["Resources"]["Policy"]["Version"] == "2012-10-17"


def test_text_that_is_not_yaml_is_refused_with_its_line_and_column():
    with pytest.raises(TemplateError) as refused:
        templates.parse("Resources:\n  Queue: [unclosed\n")
    assert str(refused.value).startswith("Template format error: YAML not well-formed. (line")


def test_a_template_needs_resources():
    with pytest.raises(TemplateError) as refused:
        templates.check_format({"Resources": {}}, known)
    assert str(refused.value) == (
        "Template format error: At least one Resources member must be defined."
    )


def test_unknown_resource_types_are_refused_by_name():
    template = {"Resources": {"Thing": {"Type": "AWS::Foo::Bar"}}}
    with pytest.raises(TemplateError) as refused:
        templates.check_format(template, known)
    assert str(refused.value) == (
        "Template format error: Unrecognized resource types: [AWS::Foo::Bar]"
    )


def test_a_ref_to_nothing_is_an_unresolved_dependency():
    template = {
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Ref": "Nope"}}}
        }
    }
    with pytest.raises(TemplateError) as refused:
        templates.check_format(template, known)
    assert str(refused.value) == (
        "Template format error: Unresolved resource dependencies [Nope] in the Resources block "
        "of the template"
    )


def test_refs_to_parameters_pseudo_parameters_and_sub_variables_are_resolved():
    template = {
        "Parameters": {"Stage": {"Type": "String"}},
        "Resources": {
            "Queue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "QueueName": {
                        "Fn::Sub": ["${AWS::StackName}-${Stage}-${Suffix}", {"Suffix": "x"}]
                    }
                },
            },
            "Topic": {
                "Type": "AWS::SNS::Topic",
                "Properties": {"TopicName": {"Fn::Sub": "${Queue.QueueName}"}},
            },
        },
    }
    templates.check_format(template, known)  # nothing unresolved


def test_unknown_sections_are_refused():
    with pytest.raises(TemplateError) as refused:
        templates.check_format({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}, "Foo": 1}, known)
    assert str(refused.value) == (
        "Template format error: Invalid template property or properties [Foo]"
    )


PARAMETERS = {
    "Parameters": {
        "Stage": {"Type": "String", "Default": "dev", "AllowedValues": ["dev", "prod"]},
        "Email": {"Type": "String"},
        "Secret": {"Type": "String", "NoEcho": True, "Default": "s3cret"},
        "Sizes": {"Type": "CommaDelimitedList", "Default": "1,2"},
    }
}


def test_parameters_take_given_values_then_defaults():
    values = templates.resolve_parameters(PARAMETERS, {"Email": "a@example.com"})
    assert values == {
        "Stage": "dev",
        "Email": "a@example.com",
        "Secret": "s3cret",
        "Sizes": ["1", "2"],
    }


def test_a_parameter_without_a_value_or_a_default_is_refused():
    with pytest.raises(TemplateError) as refused:
        templates.resolve_parameters(PARAMETERS, {})
    assert str(refused.value) == "Parameters: [Email] must have values"


def test_a_value_outside_allowed_values_is_refused():
    with pytest.raises(TemplateError) as refused:
        templates.resolve_parameters(PARAMETERS, {"Email": "a", "Stage": "test"})
    assert str(refused.value) == "Parameter 'Stage' must be one of AllowedValues"


def test_an_undeclared_parameter_is_refused():
    with pytest.raises(TemplateError) as refused:
        templates.resolve_parameters(PARAMETERS, {"Email": "a", "Colour": "red"})
    assert str(refused.value) == "Parameters: [Colour] do not exist in the template"


def test_a_previous_value_is_used_when_asked_for():
    values = templates.resolve_parameters(PARAMETERS, {"Email": None}, {"Email": "old@x"})
    assert values["Email"] == "old@x"


def test_no_echo_parameters_are_masked_when_shown():
    values = templates.resolve_parameters(PARAMETERS, {"Email": "a"})
    shown = {
        p["ParameterKey"]: p["ParameterValue"]
        for p in templates.shown_parameters(PARAMETERS, values)
    }
    assert shown["Secret"] == "****" and shown["Email"] == "a" and shown["Sizes"] == "1,2"


def test_the_registry_schemas_know_each_types_create_only_properties_and_attributes():
    # From the CloudFormation registry's schema: renaming a state machine replaces it; its
    # definition changes in place.
    assert ("StateMachineName",) in schemas.create_only("AWS::StepFunctions::StateMachine")
    assert ("DefinitionString",) not in schemas.create_only("AWS::StepFunctions::StateMachine")
    assert {"Arn", "Name"} <= schemas.attributes("AWS::StepFunctions::StateMachine")
    assert schemas.known_type("AWS::Lambda::Function", "ap-northeast-2")
    assert not schemas.known_type("AWS::Foo::Bar", "ap-northeast-2")
    assert schemas.known_type("Custom::Anything", "ap-northeast-2")


def test_properties_are_read_as_the_registry_schema_types_them():
    # CloudFormation's user guide: a Number parameter "becomes a string" where Ref uses it; the
    # resource's provider still reads BatchSize "10" as the integer its schema names.
    typed = schemas.typed(
        "AWS::Lambda::EventSourceMapping",
        {
            "BatchSize": "10",
            "Enabled": "false",
            "FunctionName": "123",
            "ScalingConfig": {"MaximumConcurrency": "5"},
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "Unknown": "7",
        },
    )
    assert typed == {
        "BatchSize": 10,
        "Enabled": False,
        "FunctionName": "123",
        "ScalingConfig": {"MaximumConcurrency": 5},
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "Unknown": "7",
    }
    assert schemas.typed("AWS::Lambda::EventSourceMapping", {"BatchSize": "ten"}) == {
        "BatchSize": "ten"  # not a number: the handler's API says what is wrong
    }
    assert schemas.typed("AWS::Foo::Bar", {"Size": "1"}) == {"Size": "1"}
