"""Each fix in sfn_tutorial/emulator/dynamodb/api.py, checked on the running emulator.

Every test says what DynamoDB answers; the emulator must answer the same.
"""

import boto3
import pytest
from botocore.config import Config

from sfn_tutorial.emulator.dynamodb import api


@pytest.fixture
def ddb(emulator):
    return boto3.client("dynamodb", config=Config(parameter_validation=False))


def error_of(call) -> dict:
    with pytest.raises(Exception) as raised:
        call()
    return raised.value.response["Error"]


def test_an_invalid_table_name_is_a_validation_error(ddb):
    # DynamoDB checks the name before it looks for the table.
    error = error_of(lambda: ddb.put_item(TableName="/orders", Item={"id": {"S": "1"}}))
    assert error["Code"] == "ValidationException"
    assert error["Message"] == (
        "1 validation error detected: Value '/orders' at 'tableName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
    )


def test_a_missing_required_member_is_a_validation_error(ddb):
    # What the AWS SDK gets when Step Functions sends a null item.
    error = error_of(lambda: ddb.put_item(TableName="orders"))
    assert error["Code"] == "ValidationException"
    assert error["Message"] == (
        "1 validation error detected: Value null at 'item' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_every_violation_is_listed():
    found = api.violations({"TableName": "ab"}, ("TableName", "Item"))
    assert api.validation_message(found) == (
        "2 validation errors detected: Value null at 'item' failed to satisfy constraint: "
        "Member must not be null; Value 'ab' at 'tableName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 3"
    )


def test_a_valid_request_still_reaches_the_table(ddb):
    error = error_of(lambda: ddb.get_item(TableName="no-such-table", Key={"id": {"S": "1"}}))
    assert error["Code"] == "ResourceNotFoundException"
