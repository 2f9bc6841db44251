"""The words on the picture: sfn_tutorial/graph/labels.py."""

from __future__ import annotations

import pytest

from sfn_tutorial.graph import choice_rule_text

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
