"""Each fix in sfn_tutorial/emulator/sns/api.py, checked on the running emulator.

Every test says what SNS answers; the emulator must answer the same.
"""

import boto3
import pytest


@pytest.fixture
def fifo_topic(emulator):
    return boto3.client("sns").create_topic(
        Name="sns-api-test.fifo",
        Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"},
    )["TopicArn"]


def test_fifo_publish_without_a_group_id_is_an_invalid_parameter(fifo_topic):
    sns = boto3.client("sns")
    with pytest.raises(sns.exceptions.InvalidParameterException) as raised:
        sns.publish(TopicArn=fifo_topic, Message="hello")
    assert raised.value.response["Error"]["Message"] == (
        "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
    )


def test_fifo_publish_answers_a_growing_sequence_number(fifo_topic):
    # SNS: a 20-digit SequenceNumber with each message published to a FIFO topic.
    sns = boto3.client("sns")
    numbers = [
        sns.publish(TopicArn=fifo_topic, Message=f"m{n}", MessageGroupId="g")["SequenceNumber"]
        for n in range(2)
    ]
    assert all(len(number) == 20 and number.isdigit() for number in numbers)
    assert int(numbers[0]) < int(numbers[1])
    standard = sns.create_topic(Name="sns-api-test")["TopicArn"]
    assert "SequenceNumber" not in sns.publish(TopicArn=standard, Message="hello")


def test_publish_to_a_deleted_topic_is_topic_not_found(emulator):
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="sns-api-deleted")["TopicArn"]
    sns.delete_topic(TopicArn=topic)
    with pytest.raises(sns.exceptions.NotFoundException) as raised:
        sns.publish(TopicArn=topic, Message="hello")
    assert raised.value.response["Error"]["Message"] == "Topic does not exist"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
