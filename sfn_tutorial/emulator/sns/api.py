"""Where moto's SNS answers differently from SNS, fixed and named.

``apply()`` is called once, in the emulator process; ``tests/test_sns_api.py`` checks each fix
against the running emulator.
"""

from __future__ import annotations

import threading

FIRST_SEQUENCE_NUMBER = 10**19  # SNS's sequence numbers are 20-digit strings
_sequence_lock = threading.Lock()


def apply() -> None:
    """Make moto's SNS publish to FIFO topics as SNS does."""
    fifo_publish_without_a_group_id_is_an_invalid_parameter()
    fifo_publish_answers_a_sequence_number()
    publish_to_a_missing_topic_is_topic_not_found()


def fifo_publish_without_a_group_id_is_an_invalid_parameter() -> None:
    """``Publish`` to a FIFO topic without ``MessageGroupId``: HTTP 400 ``InvalidParameter``,
    ``Invalid parameter: The MessageGroupId parameter is required for FIFO topics`` (the words
    moto already uses for ``PublishBatch``).

    moto answers ``MissingParameter``.
    """
    from moto.sns.exceptions import SNSInvalidParameter
    from moto.sns.models import SNSBackend

    original = SNSBackend.publish

    def publish(self, message, arn=None, *args, group_id=None, **kwargs):
        if arn and not group_id and _is_fifo_topic(self, arn):
            raise SNSInvalidParameter(
                "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
            )
        return original(self, message, arn, *args, group_id=group_id, **kwargs)

    SNSBackend.publish = publish


def _is_fifo_topic(backend, arn: str) -> bool:
    topic = backend.topics.get(arn)
    return bool(topic is not None and topic.fifo_topic)


def fifo_publish_answers_a_sequence_number() -> None:
    """``Publish`` to a FIFO topic answers ``MessageId`` and ``SequenceNumber``, a 20-digit
    number that grows with each message of the topic.

    moto answers ``MessageId`` only.
    """
    from moto.sns.responses import SNSResponse

    original = SNSResponse.publish

    def publish(self):
        result = original(self)
        arn = self._get_param("TopicArn") or self._get_param("TargetArn")
        topic = self.backend.topics.get(arn) if arn else None
        if topic is not None and topic.fifo_topic and isinstance(result.result, dict):
            with _sequence_lock:
                number = getattr(topic, "tutorial_sequence_number", FIRST_SEQUENCE_NUMBER)
                topic.tutorial_sequence_number = number + 1
            result.result["SequenceNumber"] = f"{number:020d}"
        return result

    SNSResponse.publish = publish


def publish_to_a_missing_topic_is_topic_not_found() -> None:
    """``Publish`` to a topic that does not exist (or no longer does): HTTP 404 ``NotFound``,
    ``Topic does not exist``.

    moto looks for a platform endpoint of that ARN instead and answers ``Endpoint does not
    exist``.
    """
    from moto.sns.exceptions import SNSNotFoundError
    from moto.sns.models import SNSBackend

    original = SNSBackend.publish

    def publish(self, message, arn=None, *args, **kwargs):
        if arn and _is_topic_arn(arn) and arn not in self.topics:
            raise SNSNotFoundError("Topic does not exist")
        return original(self, message, arn, *args, **kwargs)

    SNSBackend.publish = publish


def _is_topic_arn(arn: str) -> bool:
    """``arn:aws:sns:REGION:ACCOUNT:NAME``, not a platform endpoint's ARN."""
    parts = arn.split(":")
    return len(parts) == 6 and parts[2] == "sns" and "/" not in parts[5]
