"""SQS queues and queue policies; SNS topics, subscriptions and topic policies.

A queue's ``Ref`` is its URL, a topic's and a subscription's their ARN, as CloudFormation
answers them. A queue's attributes are the template's properties of the same names, as
strings (a ``RedrivePolicy`` object as JSON).
"""

from __future__ import annotations

import json
from contextlib import suppress

from sfn_tutorial.emulator.cloudformation.handlers import (
    Handler,
    Made,
    Request,
    as_json,
    tag_list,
)
from sfn_tutorial.emulator.cloudformation.handlers.deleting import delete_by_id


def _attributes(props: dict, names: tuple[str, ...]) -> dict[str, str]:
    """The properties among ``names``, as the string attributes SQS and SNS take (booleans as
    ``true``/``false``, documents as JSON)."""
    attributes = {}
    for key in names:
        if key in props:
            value = props[key]
            if isinstance(value, bool):
                value = "true" if value else "false"
            attributes[key] = value if isinstance(value, str) else json.dumps(value)
    return attributes


def _name(request: Request, name_property: str, fifo_property: str, max_length: int) -> str:
    """A queue's or topic's name: the template's, or one generated to fit ``max_length``
    (for a FIFO one, ending in ``.fifo`` as SQS and SNS require)."""
    props = request.properties
    if props.get(name_property):
        return props[name_property]
    fifo = str(props.get(fifo_property, "false")).lower() == "true"
    suffix = ".fifo" if fifo else ""
    return request.physical_name(max_length - len(suffix)) + suffix


class Queue(Handler):
    type_name = "AWS::SQS::Queue"
    ATTRIBUTES = (
        "DelaySeconds",
        "MaximumMessageSize",
        "MessageRetentionPeriod",
        "ReceiveMessageWaitTimeSeconds",
        "VisibilityTimeout",
        "RedrivePolicy",
        "RedriveAllowPolicy",
        "FifoQueue",
        "ContentBasedDeduplication",
        "DeduplicationScope",
        "FifoThroughputLimit",
        "KmsMasterKeyId",
        "KmsDataKeyReusePeriodSeconds",
        "SqsManagedSseEnabled",
    )
    delete = delete_by_id("sqs", "delete_queue", "QueueUrl", missing="QueueDoesNotExist")

    def create(self, request: Request) -> Made:
        sqs = request.client("sqs")
        props = request.properties
        url = sqs.create_queue(
            QueueName=_name(request, "QueueName", "FifoQueue", 80),
            Attributes=_attributes(props, self.ATTRIBUTES),
            tags=request.user_tags(),
        )["QueueUrl"]
        return self._made(sqs, url)

    def update(self, request: Request) -> Made:
        sqs = request.client("sqs")
        url = request.previous.physical_id
        attributes = _attributes(request.properties, self.ATTRIBUTES)
        for key in ("FifoQueue",):
            attributes.pop(key, None)
        if attributes:
            sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        tags = request.user_tags()
        if tags:
            sqs.tag_queue(QueueUrl=url, Tags=tags)
        return self._made(sqs, url)

    def _made(self, sqs, url: str) -> Made:
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        return Made(url, {"Arn": arn, "QueueName": url.rsplit("/", 1)[1], "QueueUrl": url})


class QueuePolicy(Handler):
    type_name = "AWS::SQS::QueuePolicy"

    def create(self, request: Request) -> Made:
        sqs = request.client("sqs")
        policy = as_json(request.properties["PolicyDocument"])
        for url in request.properties["Queues"]:
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
        return Made(request.previous_id or request.physical_name(), {"Id": request.previous_id})

    def update(self, request: Request) -> Made:
        self.delete(request, request.previous, request.previous_properties)
        return self.create(request)

    def delete(self, request: Request, made: Made, props: dict | None = None) -> None:
        sqs = request.client("sqs")
        for url in (props or request.properties)["Queues"]:
            with suppress(sqs.exceptions.QueueDoesNotExist):
                sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})


class Topic(Handler):
    type_name = "AWS::SNS::Topic"
    delete = delete_by_id("sns", "delete_topic", "TopicArn", missing=None)

    def create(self, request: Request) -> Made:
        sns = request.client("sns")
        props = request.properties
        name = _name(request, "TopicName", "FifoTopic", 256)
        attributes = {}
        for key in (
            "DisplayName",
            "KmsMasterKeyId",
            "FifoTopic",
            "ContentBasedDeduplication",
            "SignatureVersion",
            "TracingConfig",
        ):
            if key in props:
                value = props[key]
                attributes[key] = str(value).lower() if isinstance(value, bool) else str(value)
        arn = sns.create_topic(Name=name, Attributes=attributes, Tags=request.user_tag_list())[
            "TopicArn"
        ]
        for subscription in props.get("Subscription") or []:
            sns.subscribe(
                TopicArn=arn,
                Protocol=subscription["Protocol"],
                Endpoint=subscription["Endpoint"],
            )
        return Made(arn, {"TopicArn": arn, "TopicName": name})

    def update(self, request: Request) -> Made:
        sns = request.client("sns")
        arn = request.previous.physical_id
        if "DisplayName" in request.properties:
            sns.set_topic_attributes(
                TopicArn=arn,
                AttributeName="DisplayName",
                AttributeValue=request.properties["DisplayName"],
            )
        tags = request.user_tags()
        if tags:
            sns.tag_resource(ResourceArn=arn, Tags=tag_list(tags))
        return request.previous


class Subscription(Handler):
    type_name = "AWS::SNS::Subscription"
    ATTRIBUTES = (
        "FilterPolicy",
        "FilterPolicyScope",
        "RawMessageDelivery",
        "RedrivePolicy",
        "DeliveryPolicy",
        "SubscriptionRoleArn",
    )
    delete = delete_by_id("sns", "unsubscribe", "SubscriptionArn", missing="NotFoundException")

    def create(self, request: Request) -> Made:
        sns = request.client("sns")
        props = request.properties
        options = {"Endpoint": props["Endpoint"]} if "Endpoint" in props else {}
        arn = sns.subscribe(
            TopicArn=props["TopicArn"],
            Protocol=props["Protocol"],
            Attributes=_attributes(props, self.ATTRIBUTES),
            ReturnSubscriptionArn=True,
            **options,
        )["SubscriptionArn"]
        return Made(arn, {"Arn": arn})

    def update(self, request: Request) -> Made:
        sns = request.client("sns")
        for name, value in _attributes(request.properties, self.ATTRIBUTES).items():
            sns.set_subscription_attributes(
                SubscriptionArn=request.previous.physical_id,
                AttributeName=name,
                AttributeValue=value,
            )
        return request.previous


class TopicPolicy(Handler):
    type_name = "AWS::SNS::TopicPolicy"

    def create(self, request: Request) -> Made:
        sns = request.client("sns")
        policy = as_json(request.properties["PolicyDocument"])
        for arn in request.properties["Topics"]:
            sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=policy)
        return Made(request.previous_id or request.physical_name())

    def delete(self, request: Request, made: Made) -> None:
        return None  # the topics keep a policy until they are deleted themselves


HANDLERS = [Queue(), QueuePolicy(), Topic(), Subscription(), TopicPolicy()]
