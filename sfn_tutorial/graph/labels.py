"""The words on the picture: what each state does, and what each edge means.

Plain text, no DOT markup (``render`` wraps and escapes it): a Choice rule as a readable condition
(``choice_rule_text``), the error names of a Catcher or retrier (``errors_text``), one line per
retrier (``retry_lines``), and the grey line under a state's name (``type_line``), which says what
a Task calls: service, action and integration pattern (``Lambda: Invoke``, ``DynamoDB: PutItem``,
``SQS: SendMessage · wait for callback``, ``Step Functions: StartExecution · run a job``,
``S3 (SDK): ListBuckets``).
"""

from __future__ import annotations

import json
import re

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


#: Service names as AWS's console and documentation write them, by the name in a Task's
#: ``Resource`` (``arn:aws:states:::sqs:sendMessage``, ``...:aws-sdk:redshiftdata:...``).
SERVICE_NAMES = {
    "apigateway": "API Gateway",
    "athena": "Athena",
    "autoscaling": "Auto Scaling",
    "batch": "Batch",
    "bedrock": "Bedrock",
    "bedrockagent": "Bedrock Agents",
    "bedrockagentruntime": "Bedrock Agents Runtime",
    "bedrockruntime": "Bedrock Runtime",
    "cloudformation": "CloudFormation",
    "cloudwatch": "CloudWatch",
    "codebuild": "CodeBuild",
    "comprehend": "Comprehend",
    "config": "Config",
    "dynamodb": "DynamoDB",
    "ec2": "EC2",
    "ecs": "ECS",
    "eks": "EKS",
    "elasticmapreduce": "EMR",
    "emrcontainers": "EMR on EKS",
    "emrserverless": "EMR Serverless",
    "eventbridge": "EventBridge",
    "events": "EventBridge",
    "glue": "Glue",
    "http": "HTTP",
    "iam": "IAM",
    "kms": "KMS",
    "lambda": "Lambda",
    "lookoutvision": "Lookout for Vision",
    "mediaconvert": "MediaConvert",
    "organizations": "Organizations",
    "polly": "Polly",
    "rds": "RDS",
    "redshiftdata": "Redshift Data",
    "rekognition": "Rekognition",
    "s3": "S3",
    "sagemaker": "SageMaker",
    "scheduler": "EventBridge Scheduler",
    "secretsmanager": "Secrets Manager",
    "sfn": "Step Functions",
    "sns": "SNS",
    "sqs": "SQS",
    "ssm": "Systems Manager",
    "states": "Step Functions",
    "support": "Support",
    "textract": "Textract",
    "transcribe": "Transcribe",
    "translate": "Translate",
}
#: What a Task waits for, by the suffix of its ``Resource`` (the integration pattern).
PATTERNS = {
    "sync": "run a job",
    "sync:2": "run a job",
    "waitForTaskToken": "wait for callback",
}
# arn:PARTITION:states:REGION:ACCOUNT:REST, the partition possibly a ${placeholder} with colons
_STATES_ARN = re.compile(r"^arn:(?:\$\{[^}]*\}|[^:]*):states:[^:]*:[^:]*:(.+)$")
_FUNCTION_ARN = re.compile(r"^arn:(?:\$\{[^}]*\}|[^:]*):lambda:[^:]*:[^:]*:function:([^:]+)")
_ACTIVITY_ARN = re.compile(r"^arn:(?:\$\{[^}]*\}|[^:]*):states:[^:]*:[^:]*:activity:([^:]+)$")
TASK_LINE_WIDTH = 56


def service_name(service: str, sdk: bool = False) -> str:
    """``sqs`` -> ``SQS``; an AWS SDK integration's gets `` (SDK)``: ``S3 (SDK)``."""
    name = SERVICE_NAMES.get(service.lower().replace("-", ""), service[:1].upper() + service[1:])
    return f"{name} (SDK)" if sdk else name


def service_task(resource: str) -> tuple[str, str, str | None] | None:
    """What a service Task calls: ``(service, Action, pattern)``, e.g. ``("SQS",
    "SendMessage", "wait for callback")`` for ``arn:aws:states:::sqs:sendMessage.waitForTaskToken``
    and ``("S3 (SDK)", "ListBuckets", None)`` for ``arn:aws:states:::aws-sdk:s3:listBuckets``.
    ``None`` when ``resource`` is not a service integration (a function or activity ARN)."""
    match = _STATES_ARN.match(resource)
    if match is None or match.group(1).startswith("activity:"):
        return None
    parts = match.group(1).split(":", 2 if match.group(1).startswith("aws-sdk:") else 1)
    sdk = parts[0] == "aws-sdk" and len(parts) == 3
    service, call = (parts[1], parts[2]) if sdk else (parts[0], parts[-1] if len(parts) > 1 else "")
    action, _, suffix = call.partition(".")
    pattern = PATTERNS.get(suffix) if suffix else None
    return service_name(service, sdk), action[:1].upper() + action[1:], pattern


def _task_line(resource) -> str:
    """What a Task calls, as the console shows it: ``Lambda: Invoke``, ``DynamoDB: PutItem``,
    ``SQS: SendMessage · wait for callback``, ``Lambda: MyFunction`` for a function's ARN."""
    if not isinstance(resource, str):
        return "Task"
    call = service_task(resource)
    if call is not None:
        service, action, pattern = call
        line = f"{service}: {action}" + (f" · {pattern}" if pattern else "")
        return shorten(line, TASK_LINE_WIDTH)
    for expression, kind in ((_FUNCTION_ARN, "Lambda"), (_ACTIVITY_ARN, "Activity")):
        match = expression.match(resource)
        if match:
            return shorten(f"{kind}: {match.group(1)}", TASK_LINE_WIDTH)
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
