"""The bytes of the emulator's answers (sfn_tutorial/emulator/wire_format.py), as AWS writes them.

Step Functions shows a service's answer to a Task state, its Content-Length included; these tests
read the raw answers on the running emulator.
"""

import re

import boto3

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def raw_answer(client, event: str) -> list:
    """A list that receives the raw HTTP answer of each ``event`` call of ``client``."""
    answers = []
    client.meta.events.register(
        f"after-call.{event}", lambda http_response, **_: answers.append(http_response)
    )
    return answers


def test_json_answers_are_compact(emulator):
    # AWS: {"MD5OfMessageBody":"...","MessageId":"..."}, 106 bytes, no spaces.
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="wire-format-test")["QueueUrl"]
    answers = raw_answer(sqs, "sqs.SendMessage")
    sqs.send_message(QueueUrl=queue, MessageBody="hello")
    body = answers[0].content
    assert b", " not in body and b'": ' not in body
    assert len(body) == 106 == int(answers[0].headers["Content-Length"])


def test_query_answers_are_indented_xml_with_a_uuid_request_id(emulator):
    # AWS (SNS Publish): two-space indentation, one element a line, a final line break, a UUID
    # request id; 294 bytes.
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="wire-format-test")["TopicArn"]
    answers = raw_answer(sns, "sns.Publish")
    sns.publish(TopicArn=topic, Message="hello")
    text = answers[0].content.decode()
    lines = text.split("\n")
    assert lines[0] == '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">'
    assert lines[1:3] == ["  <PublishResult>", lines[2]] and lines[2].startswith("    <MessageId>")
    assert text.endswith("</PublishResponse>\n") and len(text) == 294
    request_id = re.search(r"<RequestId>(.*)</RequestId>", text).group(1)
    assert UUID.fullmatch(request_id) and answers[0].headers["x-amzn-RequestId"] == request_id
