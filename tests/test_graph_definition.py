"""Reading and checking definitions: sfn_tutorial/graph/definition.py, through draw."""

from __future__ import annotations

import pytest

from sfn_tutorial.graph import DefinitionError, draw

# ------------------------------------------------------------------ clear errors


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ('{"StartAt": "A",\n  "States": {,}\n}', r"not valid JSON: .* at line 2, column 14"),
        ("", r"not valid JSON: Expecting value at line 1, column 1"),
        ("[1, 2]", r"must be a JSON object \{\.\.\.\}, not a list"),
        (42, r"must be a dict or a JSON string \(got int\)"),
        ({"States": {"A": {"Type": "Pass", "End": True}}}, r'has no "StartAt"'),
        ({"StartAt": "A"}, r'has no "States"'),
        (
            {"StartAt": "Frist", "States": {"First": {"Type": "Pass", "End": True}}},
            r'"StartAt" names "Frist", but there is no state called that \(did you mean "First"',
        ),
        (
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}},
            r'State "A": "Next" names "Nowhere", but there is no state called that',
        ),
        ({"StartAt": "A", "States": {"A": {"End": True}}}, r'State "A" has no "Type"'),
        (
            {"StartAt": "A", "States": {"A": {"Type": "Taks", "End": True}}},
            r'State "A" has an unknown "Type" "Taks" \(did you mean "Task"\?\)',
        ),
        (
            {"StartAt": "A", "States": {"A": {"Type": "Pass"}}},
            r'State "A" needs "Next": "<state name>" or "End": true',
        ),
        (
            {
                "StartAt": "C",
                "States": {
                    "C": {
                        "Type": "Choice",
                        "Choices": [{"Variable": "$.a", "IsNull": True, "Next": "C"}],
                        "Default": "Missing",
                    }
                },
            },
            r'State "C": "Default" names "Missing"',
        ),
        (
            {
                "StartAt": "T",
                "States": {
                    "T": {
                        "Type": "Task",
                        "Resource": "arn:aws:states:::lambda:invoke",
                        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handler"}],
                        "End": True,
                    },
                    "Handle": {"Type": "Pass", "End": True},
                },
            },
            r'State "T": catcher 1 in "Catch" names "Handler".*did you mean "Handle"',
        ),
        (
            {
                "StartAt": "P",
                "States": {
                    "P": {
                        "Type": "Parallel",
                        "Branches": [
                            {"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Y"}}}
                        ],
                        "End": True,
                    }
                },
            },
            r'State "X" in branch 1 of "P": "Next" names "Y"',
        ),
        (
            {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True}}},
            r'Map state "M" needs an "ItemProcessor"',
        ),
        (
            {
                "StartAt": "A",
                "States": {"QueryLanguage": "JSONata", "A": {"Type": "Pass", "End": True}},
            },
            r'State "QueryLanguage" must be an object .* belongs next to "StartAt"',
        ),
    ],
)
def test_bad_definitions_raise_one_clear_line(definition, message):
    with pytest.raises(DefinitionError, match=message) as raised:
        draw(definition)
    assert isinstance(raised.value, ValueError)
    assert "\n" not in str(raised.value)
    # no "During handling of the above exception..." second traceback
    assert raised.value.__context__ is None or raised.value.__suppress_context__
