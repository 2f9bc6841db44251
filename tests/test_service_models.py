"""service_models: botocore's models, read once when first needed, never a client's."""

import boto3
import botocore.session

from sfn_tutorial.emulator import service_models


def test_models_are_loaded_when_needed_and_few_are_kept():
    service_models.service_model.cache_clear()
    sqs = service_models.service_model("sqs")
    assert service_models.service_model("sqs") is sqs
    assert service_models.service_model.cache_info().currsize == 1
    for service in ("sns", "sqs", "ecs", "kms", "s3", "lambda", "dynamodb"):
        service_models.service_model(service)
    assert service_models.service_model.cache_info().currsize == service_models.MODELS_KEPT


def test_a_service_botocore_does_not_know_has_no_model():
    assert service_models.service_model("no-such-service") is None


def test_the_models_are_botocores_newest_and_no_clients_change_them():
    ours = service_models.service_model("s3")
    theirs = botocore.session.get_session().get_service_model("s3")
    assert ours.api_version == theirs.api_version
    assert ours.operation_names == theirs.operation_names
    # An S3 client's call takes {Bucket} out of its model's requestUri; ours is not its model.
    client = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    operation = client.meta.service_model.operation_model("GetObject")
    client.meta.events.emit(
        "before-parameter-build.s3.GetObject",
        params={"Bucket": "b", "Key": "k"},
        model=operation,
        context={"signing": {"bucket": "b"}},
    )
    assert operation.http["requestUri"] == "/{Key+}"
    assert ours.operation_model("GetObject").http["requestUri"] == "/{Bucket}/{Key+}"


def test_sdk_names_are_the_service_ids_in_lower_case():
    # AWS: an aws-sdk integration names the service as the SDKs do: serviceId, lower case,
    # without spaces (Step Functions' developer guide, "Integrating other services").
    assert service_models.sdk_service("s3") == "s3"
    assert service_models.sdk_service("sfn") == "stepfunctions"
    assert service_models.sdk_service("cloudwatchlogs") == "logs"
    assert service_models.sdk_service("eventbridge") == "events"
    assert service_models.sdk_service("nosuchservice") is None
