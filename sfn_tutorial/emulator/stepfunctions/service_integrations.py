"""What a Task state gets from SQS, SNS, DynamoDB, ECS and Step Functions itself, as on AWS.

Step Functions' optimised integrations (``arn:aws:states:::sqs:sendMessage``, ``sns:publish``,
``dynamodb:putItem`` / ``getItem`` / ``updateItem`` / ``deleteItem``, ``states:startExecution``
and its ``.sync`` / ``.sync:2`` forms, ``ecs:runTask``) call the service with the AWS SDK for
Java. So on AWS:

* the state's parameters are named as in the service's API reference (``StateMachineArn``,
  ``Input``) and the result is too (``ExecutionArn``, ``StartDate``, a date as milliseconds
  since 1970); a parameter whose value is null is not sent at all;
* the result carries the service's HTTP answer: ``SdkHttpMetadata`` (its headers, as the
  service spelled them, and status) and ``SdkResponseMetadata`` (its request id);
* a service error is named after the SDK's exception class, ``SQS.AmazonSQSException``,
  ``DynamoDB.ResourceNotFoundException``, ``StepFunctions.StateMachineDoesNotExistException``
  (the class modelled for the error code, or the service's generic one), with the SDK's cause:
  ``MESSAGE (Service: AmazonSQS; Status Code: 400; Error Code: CODE; Request ID: ID; Proxy:
  null)``;
* an SQS request goes to the queue URL's host: one that does not resolve fails with
  ``SQS.SdkClientException``, ``Unable to execute HTTP request: HOST: Name or service not known``.

moto's interpreter calls boto3 with the state's parameters as they are (``startExecution``
failed with ``States.Runtime``, cause ``'StateMachineArn'``), keeps boto3's result names, drops
the HTTP answer, and names errors its own way (every SQS error an ``SdkClientException``, every
DynamoDB one ``DynamoDB.CODE``). ``apply()`` is called once, in the emulator process, after
``api.apply()``; ``tests/test_stepfunctions_service_integrations.py`` checks each fix.
"""

from __future__ import annotations

import datetime
import functools
import socket
import threading
from urllib.parse import urlsplit

from sfn_tutorial.emulator import service_models
from sfn_tutorial.emulator.patching import replace_everywhere

# boto3's service name: (Step Functions' error prefix, the SDK's service name in causes, the
# SDK's exception for errors it does not model).
SDK_NAMES = {
    "sqs": ("SQS", "AmazonSQS", "AmazonSQSException"),
    "sns": ("SNS", "AmazonSNS", "AmazonSNSException"),
    "dynamodb": ("DynamoDB", "AmazonDynamoDBv2", "AmazonDynamoDBException"),
    "stepfunctions": ("StepFunctions", "AWSStepFunctions", "AWSStepFunctionsException"),
    "events": ("EventBridge", "AmazonEventBridge", "AmazonEventBridgeException"),
    "ecs": ("ECS", "AmazonECS", "AmazonECSException"),
}
# The headers of each service's answer that Step Functions shows, spelled as the service sends
# them, in the order of the SDK's case-insensitive map.
ANSWER_HEADERS = {
    "sqs": ("connection", "Content-Length", "Content-Type", "Date", "x-amzn-RequestId"),
    "sns": ("connection", "Content-Length", "Content-Type", "Date", "x-amzn-RequestId"),
    "stepfunctions": ("connection", "Content-Length", "Content-Type", "Date", "x-amzn-RequestId"),
    "ecs": ("connection", "Content-Length", "Content-Type", "Date", "x-amzn-RequestId"),
    "dynamodb": (
        "Connection",
        "Content-Length",
        "Content-Type",
        "Date",
        "Server",
        "x-amz-crc32",
        "x-amzn-RequestId",
    ),
}
# Headers whose value is the same on every answer of AWS's front ends.
FIXED_HEADERS = {"connection": "keep-alive", "Connection": "keep-alive", "Server": "Server"}
_answers = threading.local()  # the last HTTP answer a service gave this thread's Task


def apply() -> None:
    """Make Task states calling SQS, SNS, DynamoDB and Step Functions behave as on AWS."""
    null_parameters_are_left_out()
    parameters_and_results_use_the_apis_member_names()
    results_carry_the_http_answer()
    service_errors_are_named_as_the_sdk_names_them()
    eventbridge_errors_are_named_as_the_sdk_names_them()
    queue_urls_are_reached_at_their_host()
    aws_sdk_integrations_name_members_in_pascal_case()


def integration_classes() -> tuple[type, ...]:
    """moto's Task state classes for the five integrations."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_dynamodb,
        state_task_service_ecs,
        state_task_service_sfn,
        state_task_service_sns,
        state_task_service_sqs,
    )

    return (
        state_task_service_sqs.StateTaskServiceSqs,
        state_task_service_sns.StateTaskServiceSns,
        state_task_service_dynamodb.StateTaskServiceDynamoDB,
        state_task_service_sfn.StateTaskServiceSfn,
        state_task_service_ecs.StateTaskServiceEcs,
    )


def hook_interpreter_clients(services, event: str, handler) -> None:
    """Register botocore's ``event`` hook ``handler`` once on each client the interpreter makes
    for one of ``services`` (boto3's names), as its Task states call them."""
    from moto.stepfunctions.parser.asl.utils import boto_client

    make_client = boto_client.boto_client_for
    hooked: set[int] = set()

    def boto_client_for(region, service, state_credentials=None):
        client = make_client(region, service, state_credentials)
        if service in services and id(client) not in hooked:
            client.meta.events.register(event, handler)
            hooked.add(id(client))
        return client

    replace_everywhere(boto_client, "boto_client_for", boto_client_for)


def service_model(service: str):
    """botocore's model of ``service`` (boto3's name for it)."""
    return service_models.service_model(service)


@functools.cache
def operation_model(service: str, action: str):
    """The model of ``action`` (boto3's method name, ``start_execution``) of ``service``."""
    from botocore import xform_name

    model = service_model(service)
    names = {xform_name(name): name for name in model.operation_names}
    return model.operation_model(names[action])


def aws_sdk_integrations_name_members_in_pascal_case() -> None:
    """An ``aws-sdk:`` Task names the API's members in PascalCase, "even if the native service
    API is in camelCase" (AWS's developer guide, "AWS SDK service integrations": the parameter
    of ``aws-sdk:sfn:startSyncExecution`` is ``StateMachineArn``), and its result uses the same
    names (``$.Output`` of ``startSyncExecution``). Values are passed as written; a date in the
    result is seconds since 1970, the one rule used for S3's dates in a Distributed Map's items
    too (``map_state``); no recorded case shows an ``aws-sdk:`` result's date, so it is
    unconfirmed.

    moto called boto3 with the names as written: ``aws-sdk:sfn:listExecutions`` and every other
    call to a camelCase API (Step Functions, ECS, CloudWatch Logs, API Gateway) failed with
    ``States.Runtime`` naming the first parameter.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk,
    )

    task_class = state_task_service_aws_sdk.StateTaskServiceAwsSdk

    def shapes(self, boto_service_name=None, service_action_name=None):
        service = self._get_boto_service_name(boto_service_name)
        action = self._get_boto_service_action(service_action_name)
        try:
            model = operation_model(service, action)
        except Exception:  # an API botocore does not know: the call itself will say so
            return None, None
        return model.input_shape, model.output_shape

    def _normalise_parameters(self, parameters, *args, **kwargs):
        input_shape, _ = shapes(self, *args, **kwargs)
        if isinstance(parameters, dict) and input_shape is not None:
            _replace_in_place(parameters, member_names(parameters, input_shape, to_model=True))

    def _normalise_response(self, response, *args, **kwargs):
        _, output_shape = shapes(self, *args, **kwargs)
        if isinstance(response, dict) and output_shape is not None:
            renamed = member_names(response, output_shape, to_model=False)
            _replace_in_place(response, in_seconds(renamed))

    task_class._normalise_parameters = _normalise_parameters
    task_class._normalise_response = _normalise_response


def in_seconds(value):
    """``value`` with every date as seconds since 1970: a whole number when it falls on a whole
    second, else to the millisecond."""

    def seconds(moment: datetime.datetime):
        milliseconds = round(moment.timestamp() * 1000)
        return milliseconds // 1000 if milliseconds % 1000 == 0 else milliseconds / 1000

    return _dates_as(value, seconds)


def member_names(value, shape, to_model: bool):
    """``value`` with each structure's member names as the model spells them (``to_model``) or
    in PascalCase, following ``shape``; names the model lacks, and values, are left as they
    are."""
    kind = getattr(shape, "type_name", None)
    if kind == "structure" and isinstance(value, dict):
        members = {name.lower(): (name, member) for name, member in shape.members.items()}
        renamed = {}
        for key, item in value.items():
            name, member = members.get(key.lower(), (key, None))
            name = name if to_model else name[:1].upper() + name[1:]
            renamed[name] = item if member is None else member_names(item, member, to_model)
        return renamed
    if kind == "list" and isinstance(value, list):
        return [member_names(item, shape.member, to_model) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: member_names(item, shape.value, to_model) for key, item in value.items()}
    return value


@functools.cache
def modelled_exceptions(service: str) -> dict[str, str]:
    """Error code -> the SDK's exception class for it, for the errors ``service`` models."""
    found = {}
    for shape in service_model(service).error_shapes:
        name = shape.name if shape.name.endswith("Exception") else f"{shape.name}Exception"
        found[shape.name] = name
        found[shape.error_code] = name
    return found


def sdk_error(service: str, error) -> tuple[str, str]:
    """Step Functions' error name and cause for a botocore ``ClientError`` from ``service``."""
    prefix, sdk_name, generic = SDK_NAMES[service]
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "")
    metadata = error.response.get("ResponseMetadata", {})
    details = (
        f"Service: {sdk_name}; Status Code: {metadata.get('HTTPStatusCode')}; "
        f"Error Code: {code}; Request ID: {metadata.get('RequestId')}; Proxy: null"
    )
    return f"{prefix}.{modelled_exceptions(service).get(code, generic)}", f"{message} ({details})"


def http_answer(service: str, status: int, headers: dict, request_id: str) -> dict:
    """``SdkHttpMetadata`` and ``SdkResponseMetadata`` for an answer of ``service``."""
    received = {name.lower(): value for name, value in headers.items()}
    shown = {}
    for name in ANSWER_HEADERS[service]:
        value = FIXED_HEADERS.get(name, received.get(name.lower()))
        if name == "x-amzn-RequestId":
            value = request_id
        if value is not None:
            shown[name] = str(value)
    return {
        "SdkHttpMetadata": {
            "AllHttpHeaders": {name: [value] for name, value in shown.items()},
            "HttpHeaders": shown,
            "HttpStatusCode": status,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
    }


def in_milliseconds(value):
    """``value`` with every date as the SDK's JSON writes it: milliseconds since 1970."""
    return _dates_as(value, lambda moment: int(moment.timestamp() * 1000))


def _dates_as(value, write):
    """``value`` (a result: dicts, lists, scalars) with ``write(date)`` for every date (one
    without a zone is UTC)."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return write(value)
    if isinstance(value, dict):
        return {key: _dates_as(item, write) for key, item in value.items()}
    if isinstance(value, list):
        return [_dates_as(item, write) for item in value]
    return value


def _replace_in_place(target: dict, source: dict) -> None:
    target.clear()
    target.update(source)


def null_parameters_are_left_out() -> None:
    """A parameter whose value is null is not sent (the SDK leaves null members out), so the
    service answers as it does for a missing one: ``SendMessage`` without ``MessageBody`` is
    ``MissingParameter``, ``PutItem`` without ``Item`` a ``ValidationException``.

    moto sent ``null``, and the state failed on errors of moto's own.
    """
    for task_class in integration_classes():
        original = task_class._normalise_parameters

        def _normalise_parameters(self, parameters, *args, original=original, **kwargs):
            original(self, parameters, *args, **kwargs)
            for name in [name for name, value in parameters.items() if value is None]:
                del parameters[name]

        task_class._normalise_parameters = _normalise_parameters


def parameters_and_results_use_the_apis_member_names() -> None:
    """``"Parameters": {"StateMachineArn": ..., "Input": ...}`` calls ``StartExecution`` with
    those members, and the result is ``{"ExecutionArn": ..., "StartDate": 1733412345678}``;
    a ``.sync`` result is ``DescribeExecution``'s, named the same way (``Status``, ``Output``,
    ``InputDetails``). The result's keys are in alphabetical order.

    moto passes the parameters to boto3 as they are (boto3's ``start_execution`` needs
    ``stateMachineArn``), and keeps boto3's names and date objects in the result.
    """
    for task_class in integration_classes():
        original_parameters = task_class._normalise_parameters

        def _normalise_parameters(
            self,
            parameters,
            boto_service_name=None,
            service_action_name=None,
            original=original_parameters,
        ):
            original(self, parameters, boto_service_name, service_action_name)
            service = self._get_boto_service_name(boto_service_name)
            action = self._get_boto_service_action(service_action_name)
            self._to_boto_request(parameters, operation_model(service, action).input_shape)

        task_class._normalise_parameters = _normalise_parameters

        original_response = task_class._normalise_response

        def _normalise_response(
            self,
            response,
            boto_service_name=None,
            service_action_name=None,
            original=original_response,
        ):
            if isinstance(response, dict):
                service = self._get_boto_service_name(boto_service_name)
                action = self._get_boto_service_action(service_action_name)
                shape = operation_model(service, action).output_shape
                if shape is not None:
                    self._from_boto_response(response, shape)
                _replace_in_place(response, in_milliseconds(response))
            original(
                self,
                response=response,
                boto_service_name=boto_service_name,
                service_action_name=service_action_name,
            )
            if isinstance(response, dict):
                _replace_in_place(response, dict(sorted(response.items())))

        task_class._normalise_response = _normalise_response


def _remember_the_answer(http_response=None, parsed=None, **_) -> None:
    """botocore's ``after-call`` hook: keep this thread's last answer for its Task state."""
    request_id = ((parsed or {}).get("ResponseMetadata") or {}).get("RequestId", "")
    _answers.last = (http_response.status_code, dict(http_response.headers), request_id)


def results_carry_the_http_answer() -> None:
    """The result of a call has ``SdkHttpMetadata`` (``AllHttpHeaders``, ``HttpHeaders``,
    ``HttpStatusCode``) and ``SdkResponseMetadata`` (``RequestId``), as AWS's Lambda integration
    has (``awslambda.service``): the service's real answer, its headers spelled as AWS's
    front ends spell them.

    moto drops the answer's metadata.
    """
    hook_interpreter_clients(ANSWER_HEADERS, "after-call", _remember_the_answer)

    for task_class in integration_classes():
        original = task_class._eval_service_task

        def _eval_service_task(self, env, *args, original=original, **kwargs):
            _answers.last = None
            original(self, env, *args, **kwargs)
            answer, result = _answers.last, env.stack[-1] if env.stack else None
            if answer is not None and isinstance(result, dict):
                result.update(http_answer(self._get_boto_service_name(), *answer))

        task_class._eval_service_task = _eval_service_task


def service_errors_are_named_as_the_sdk_names_them() -> None:
    """A service's error fails the Task with ``PREFIX.EXCEPTION`` (the SDK's exception class
    for the error code when the service models it, else its generic one) and the SDK's cause,
    e.g. ``SQS.AmazonSQSException``, ``The request must contain the parameter MessageBody.
    (Service: AmazonSQS; Status Code: 400; Error Code: MissingParameter; Request ID: ...;
    Proxy: null)``.

    moto names every SQS error ``SQS.SdkClientException`` with the bare message, every
    DynamoDB error ``DynamoDB.CODE``, every SNS one ``SNS.CODEException``.
    """
    from botocore.exceptions import ClientError

    for task_class in integration_classes():
        original = task_class._from_error

        def _from_error(self, env, ex, original=original):
            if not isinstance(ex, ClientError):
                return original(self, env, ex)
            error, cause = sdk_error(self._get_boto_service_name(), ex)
            return task_failure(self, env, error, cause)

        task_class._from_error = _from_error


def eventbridge_errors_are_named_as_the_sdk_names_them() -> None:
    """An ``events:putEvents`` Task that EventBridge refuses (IAM's ``AccessDeniedException``,
    a validation error) fails with ``EventBridge.EXCEPTION`` and the SDK's cause, as the other
    integrations do; a failed entry keeps ``EventBridge.FailedEntry``.

    moto fails it with ``States.Runtime`` and boto3's message.
    """
    from botocore.exceptions import ClientError
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_events,
    )

    task_class = state_task_service_events.StateTaskServiceEvents
    original = task_class._from_error

    def _from_error(self, env, ex):
        if not isinstance(ex, ClientError):
            return original(self, env, ex)
        return task_failure(self, env, *sdk_error("events", ex))

    task_class._from_error = _from_error


def task_failure(state, env, error: str, cause: str):
    """A ``TaskFailed`` failure of an integration's Task ``state``."""
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
        CustomErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    name = StatesErrorName.from_name(error) if error.startswith("States.") else None
    return FailureEvent(
        env=env,
        error_name=name or CustomErrorName(error),
        event_type=HistoryEventType.TaskFailed,
        event_details=EventDetails(
            taskFailedEventDetails=TaskFailedEventDetails(
                error=error,
                cause=cause,
                resource=state._get_sfn_resource(),
                resourceType=state._get_sfn_resource_type(),
            )
        ),
    )


class UnknownHost(Exception):
    """The SDK could not resolve the host it was to send the request to."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"Unable to execute HTTP request: {host}: {reason}")


@functools.lru_cache(maxsize=256)
def unresolvable(host: str) -> str | None:
    """Why ``host`` does not resolve (``Name or service not known``), or ``None`` if it does.
    AWS's own hosts are served by this emulator, whether they resolve here or not."""
    if host == "localhost" or host.endswith(".amazonaws.com"):
        return None
    try:
        socket.getaddrinfo(host, None)
    except socket.gaierror as error:
        return error.strerror or str(error)
    return None


def queue_urls_are_reached_at_their_host() -> None:
    """An SQS request goes to the host of its ``QueueUrl``; a host that does not resolve fails
    the Task with ``SQS.SdkClientException``, ``Unable to execute HTTP request: HOST: Name or
    service not known``.

    moto looks the queue up by its name, whatever the host.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_sqs,
    )

    task_class = state_task_service_sqs.StateTaskServiceSqs
    original_call = task_class._eval_service_task

    def _eval_service_task(self, env, **kwargs):
        url = kwargs["normalised_parameters"].get("QueueUrl")
        host = urlsplit(url).hostname if isinstance(url, str) else None
        reason = unresolvable(host) if host else None
        if reason is not None:
            raise UnknownHost(host, reason)
        original_call(self, env, **kwargs)

    task_class._eval_service_task = _eval_service_task

    original_error = task_class._from_error

    def _from_error(self, env, ex):
        if isinstance(ex, UnknownHost):
            return task_failure(self, env, "SQS.SdkClientException", str(ex))
        return original_error(self, env, ex)

    task_class._from_error = _from_error
