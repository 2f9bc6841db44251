"""Template transforms, applied before anything is created, as CloudFormation applies them.

``AWS::Include`` snippets (``Fn::Transform`` with a ``Location`` in S3, where packaging puts
them) are read and put in place first. ``AWS::Serverless-2016-10-31`` (SAM) is applied with
``aws-sam-translator``, the library SAM and AWS's own transform are built on:
``AWS::Serverless::Function`` becomes a function and its role, ``AWS::Serverless::StateMachine``
a state machine, its role (with the policy templates' statements) and its event sources, and
so on. ``AWS::LanguageExtensions`` is accepted (the
evaluator then knows ``Fn::Length`` and ``Fn::ToJsonString``). Any other transform is refused:
the emulator has no macros.

The translator is imported when a template first needs it, not when the emulator starts.
"""

from __future__ import annotations

import copy
import re
import threading

from sfn_tutorial.emulator.cloudformation import services, templates
from sfn_tutorial.emulator.cloudformation.templates import TemplateError

SAM = "AWS::Serverless-2016-10-31"
INCLUDE = "AWS::Include"
LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
KNOWN = (SAM, LANGUAGE_EXTENSIONS)
_lock = threading.Lock()  # the translator keeps the region in a class attribute
_managed_policies: dict[str, dict[str, str]] = {}


def apply(template: dict, parameters: dict, pseudo: dict) -> dict:
    """The processed template: ``template`` after its transforms (``parameters``: the values
    given for its parameters; ``pseudo``: ``AWS::Region``, ``AWS::AccountId``...).

    A transform that fails raises ``TemplateError`` with CloudFormation's words:
    ``Transform AWS::Serverless-2016-10-31 failed with: ...``."""
    names = templates.transforms_of(template)
    unknown = [name for name in names if name not in KNOWN]
    if unknown:
        raise TemplateError(
            f"Template format error: Unsupported transform {unknown[0]}: the local emulator "
            f"applies only {' and '.join(KNOWN)} (it has no macros)"
        )
    processed = _included(copy.deepcopy(template), pseudo["AWS::Region"])
    if SAM in names:
        processed = _sam(processed, parameters, pseudo)
    processed.pop("Transform", None)
    return processed


def _included(value, region: str):
    """``value`` with each ``AWS::Include`` snippet replaced by the file it names (a snippet
    beside other keys of an object is merged into that object)."""
    if isinstance(value, list):
        return [_included(item, region) for item in value]
    if not isinstance(value, dict):
        return value
    transform = value.get("Fn::Transform")
    if isinstance(transform, dict) and transform.get("Name") == INCLUDE:
        content = _included(_read_include(transform.get("Parameters") or {}, region), region)
        rest = {k: _included(v, region) for k, v in value.items() if k != "Fn::Transform"}
        if not rest:
            return content
        if not isinstance(content, dict):
            raise TemplateError(f"Transform {INCLUDE} failed with: the snippet is not an object")
        return {**content, **rest}
    return {key: _included(item, region) for key, item in value.items()}


def _read_include(parameters: dict, region: str):
    location = parameters.get("Location", "")
    match = re.match(r"^s3://([^/]+)/(.+)$", location) or re.match(
        r"^https://([^.]+)\.s3[.-][^/]*amazonaws\.com/(.+)$", location
    )
    if not match:
        raise TemplateError(
            f"Transform {INCLUDE} failed with: The location parameter is not a valid S3 uri: "
            f"{location}"
        )
    text = services.s3_text(
        region,
        match.group(1),
        match.group(2),
        lambda message: TemplateError(
            f"Transform {INCLUDE} failed with: {location} could not be read: {message}"
        ),
    )
    return templates.parse(text)


def _sam(template: dict, parameters: dict, pseudo: dict) -> dict:
    import boto3
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    region = pseudo["AWS::Region"]
    values = {**parameters, **{k: v for k, v in pseudo.items() if k != "AWS::NotificationARNs"}}
    session = boto3.Session(region_name=region)
    with _lock:
        translator = Translator(None, Parser(), boto_session=session)
        try:
            return translator.translate(
                template,
                parameter_values=values,
                get_managed_policy_map=lambda: managed_policies(region),
            )
        except InvalidDocumentException as error:
            messages = " ".join(cause.message for cause in error.causes)
            raise TemplateError(
                f"Transform {SAM} failed with: Invalid Serverless Application Specification "
                f"document. Number of errors found: {len(error.causes)}. {messages}"
            ) from None
        except Exception as error:  # the translator's other refusals
            raise TemplateError(f"Transform {SAM} failed with: {error}") from None


def managed_policies(region: str) -> dict[str, str]:
    """AWS managed policies by name -> ARN (what SAM's ``Policies: [AWSLambdaRole]`` means),
    listed from IAM as the translator does it."""
    if region not in _managed_policies:
        iam = services.client("iam", region)
        found = {}
        for page in iam.get_paginator("list_policies").paginate(Scope="AWS"):
            found.update((policy["PolicyName"], policy["Arn"]) for policy in page["Policies"])
        _managed_policies[region] = found
    return _managed_policies[region]
