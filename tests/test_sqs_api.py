"""Each fix in sfn_tutorial/emulator/sqs/api.py, checked on the running emulator.

Every test says what SQS answers; the emulator must answer the same.
"""

import boto3
import pytest
from botocore.config import Config


def test_a_missing_required_parameter_is_asked_for(emulator):
    # SQS: HTTP 400 MissingParameter, "The request must contain the parameter MessageBody."
    # (what the AWS SDK gets when Step Functions sends a null message body).
    sqs = boto3.client("sqs", config=Config(parameter_validation=False))
    queue = sqs.create_queue(QueueName="sqs-api-test")["QueueUrl"]
    with pytest.raises(sqs.exceptions.ClientError) as raised:
        sqs.send_message(QueueUrl=queue)
    response = raised.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Code"] == "MissingParameter"
    assert response["Error"]["Message"] == "The request must contain the parameter MessageBody."
