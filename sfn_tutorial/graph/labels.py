"""The words on the picture: what each state does, and what each edge means.

Plain text, no DOT markup (``render`` wraps and escapes it): a Choice rule as a readable condition
(``choice_rule_text``), the error names of a Catcher or retrier (``errors_text``), one line per
retrier (``retry_lines``), and the grey line under a state's name (``type_line``), which says what
a Task calls the way the console does (``Lambda: Invoke``, ``DynamoDB: PutItem``).
"""

from __future__ import annotations

import json

from sfn_tutorial.graph.definition import item_processor, shorten

#: Characters per line of an edge label; ``errors_text`` shortens a list of errors to fit one.
LABEL_WIDTH = 40


def choice_rule_text(rule: dict) -> str:
    """A Choice rule as a readable condition: ``$.TransactionType == "PURCHASE"``.

    Covers every comparison operator (``...Path`` variants compare with another path), the
    ``Is...`` tests, ``And``/``Or``/``Not`` at any depth, and JSONata ``Condition`` strings
    (returned as they are).
    """
    if "Condition" in rule:
        return str(rule["Condition"])
    if "And" in rule or "Or" in rule:
        word = "and" if "And" in rule else "or"
        operands = rule.get("And", rule.get("Or"))
        if not isinstance(operands, list):
            return word
        return f" {word} ".join(_operand_text(operand) for operand in operands)
    if "Not" in rule:
        return f"not ({choice_rule_text(rule['Not']) if isinstance(rule['Not'], dict) else '?'})"
    return _comparison_text(rule)


def _operand_text(rule) -> str:
    """An operand of And/Or, in parentheses unless it is a ``not (...)`` already."""
    if not isinstance(rule, dict):
        return "(?)"
    text = choice_rule_text(rule)
    return text if "Not" in rule else f"({text})"


_OPERATORS = {
    "Equals": "==",
    "LessThan": "<",
    "GreaterThan": ">",
    "LessThanEquals": "<=",
    "GreaterThanEquals": ">=",
}
_TESTS = {
    "IsPresent": "present",
    "IsNull": "null",
    "IsBoolean": "a boolean",
    "IsNumeric": "a number",
    "IsString": "a string",
    "IsTimestamp": "a timestamp",
}


def _comparison_text(rule: dict) -> str:
    """``Variable`` compared with one operator: ``$.n >= 3``, ``$.s matches "a*"``..."""
    variable = str(rule.get("Variable", "?"))
    for key, value in rule.items():
        if key in _TESTS:
            negation = "" if value is True else "not "
            return f"{variable} is {negation}{_TESTS[key]}"
        if key == "StringMatches":
            return f"{variable} matches {json.dumps(value, ensure_ascii=False)}"
        for family in ("String", "Numeric", "Boolean", "Timestamp"):
            if key.startswith(family) and key[len(family) :].removesuffix("Path") in _OPERATORS:
                operator = _OPERATORS[key[len(family) :].removesuffix("Path")]
                return f"{variable} {operator} {_operand_value(family, key, value)}"
    return str(rule.get("Comment", variable))


def _operand_value(family: str, key: str, value) -> str:
    """The right-hand side of a comparison: a path, a quoted string, a number, true/false."""
    if key.endswith("Path") or family == "Timestamp":
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def errors_text(errors) -> str:
    """``ErrorEquals`` names, shortened: ``States.Timeout, States.TaskFailed +2``."""
    if not isinstance(errors, list) or not errors:
        return "?"
    names = [str(error) for error in errors]
    text = ", ".join(names)
    shown = len(names)
    while len(text) > LABEL_WIDTH and shown > 1:
        shown -= 1
        text = ", ".join(names[:shown]) + f" +{len(names) - shown}"
    return text


def retry_lines(state: dict) -> list[str]:
    """One ``↻ Retry: States.ALL ×3`` line per retrier (at most two, then a count)."""
    retriers = [r for r in state.get("Retry", []) if isinstance(r, dict)]
    lines = [
        f"↻ Retry: {errors_text(r.get('ErrorEquals'))} ×{r.get('MaxAttempts', 3)}"
        for r in retriers[:2]
    ]
    if len(retriers) > 2:
        lines.append(f"↻ and {len(retriers) - 2} more retriers")
    return lines


_SERVICES = {
    "lambda": "Lambda",
    "dynamodb": "DynamoDB",
    "sns": "SNS",
    "sqs": "SQS",
    "states": "Step Functions",
    "ecs": "ECS",
    "batch": "Batch",
    "glue": "Glue",
    "events": "EventBridge",
    "athena": "Athena",
    "sagemaker": "SageMaker",
    "bedrock": "Bedrock",
    "apigateway": "API Gateway",
    "http": "HTTP",
    "elasticmapreduce": "EMR",
    "mediaconvert": "MediaConvert",
    "s3": "S3",
    "codebuild": "CodeBuild",
    "eks": "EKS",
}


def _task_line(resource) -> str:
    """What a Task calls, as the console shows it: ``Lambda: Invoke``, ``DynamoDB: PutItem``."""
    if not isinstance(resource, str):
        return "Task"
    parts = resource.split(":")
    if resource.startswith("arn:") and len(parts) >= 7 and parts[2] == "states" and not parts[4]:
        sdk = parts[5] == "aws-sdk" and len(parts) >= 8
        service, action = (parts[6], parts[7]) if sdk else (parts[5], parts[6])
        action, _, pattern = action.partition(".")
        suffix = {"sync": " (run job)", "waitForTaskToken": " (callback)"}.get(pattern, "")
        name = _SERVICES.get(service, service[:1].upper() + service[1:])
        return f"{name}: {action[:1].upper()}{action[1:]}{suffix}"
    if resource.startswith("arn:") and len(parts) >= 7 and parts[5] in ("function", "activity"):
        return f"{'Lambda' if parts[5] == 'function' else 'Activity'}: {parts[6]}"
    return shorten(resource, 36)


def type_line(state: dict) -> str:
    """The grey line under a state's name: what kind of state it is, and the gist of it."""
    kind = state["Type"]
    if kind == "Task":
        return _task_line(state.get("Resource"))
    if kind == "Wait":
        for key, template in (
            ("Seconds", "Wait {} s"),
            ("SecondsPath", "Wait {} s"),
            ("Timestamp", "Wait until {}"),
            ("TimestampPath", "Wait until {}"),
        ):
            if key in state:
                return shorten(template.format(state[key]), 36)
    if kind == "Fail" and isinstance(state.get("Error"), str):
        return shorten(f"Fail: {state['Error']}", 36)
    if kind == "Parallel":
        return f"Parallel: {len(state['Branches'])} branches"
    if kind == "Map":
        config = item_processor(state).get("ProcessorConfig") or {}
        return "Distributed map" if config.get("Mode") == "DISTRIBUTED" else "Map"
    return kind
