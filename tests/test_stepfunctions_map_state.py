"""Each fix in emulator/stepfunctions/map_state.py: the Distributed Map state as AWS runs it.

Every test says what AWS does; the emulator must do the same.
"""

import json
import time

import boto3
import pytest

from sfn_tutorial import executions, resources
from sfn_tutorial.emulator.stepfunctions import map_state

BUCKET = "sfn-tutorial-map-fixes"
REGION = "ap-northeast-2"
PASS = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}
EXCEEDED = ("States.ExceedToleratedFailureThreshold", map_state.TOLERANCE_EXCEEDED_CAUSE)


def reject_negative(batch_index=None):
    """An ItemProcessor that fails an order line with a negative quantity, as PriceItems does;
    with ``batch_index``, it checks that line of a batch."""
    check = {
        "Type": "Choice",
        "Choices": [{"Variable": "$.quantity", "NumericLessThan": 0, "Next": "Bad"}],
        "Default": "Good",
    }
    if batch_index is not None:
        check["InputPath"] = f"$.Items[{batch_index}]"
    return {
        "StartAt": "Check",
        "States": {
            "Check": check,
            "Good": {"Type": "Pass", "End": True},
            "Bad": {"Type": "Fail", "Error": "BadOrderLine", "Cause": "negative quantity"},
        },
    }


def distributed(processor, execution_type="STANDARD"):
    config = {"Mode": "DISTRIBUTED", "ExecutionType": execution_type}
    return {"ProcessorConfig": config, **processor}


def machine(map_fields: dict, name: str = "map") -> str:
    definition = {"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": True, **map_fields}}}
    return resources.ensure_state_machine(
        resources.resource_name(name), definition, role(), progress=lambda message: None
    )


_role = {}


def role() -> str:
    if "arn" not in _role:
        _role["arn"] = resources.ensure_workflows_role()
    return _role["arn"]


def run(state_machine_arn, execution_input):
    sfn = boto3.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=state_machine_arn, input=json.dumps(execution_input))[
        "executionArn"
    ]
    return executions.wait_for_execution(arn, timeout_s=120)


def map_run(description) -> dict:
    sfn = boto3.client("stepfunctions")
    (listed,) = sfn.list_map_runs(executionArn=description["executionArn"])["mapRuns"]
    return sfn.describe_map_run(mapRunArn=listed["mapRunArn"])


def lines(count, bad=()):
    return [{"id": i, "quantity": -1 if i in bad else 2, "unit_price": 1.25} for i in range(count)]


def run_order_lines(name, count, bad, **map_fields):
    """Run the Map ``name`` over ``count`` order lines (those of ``bad`` negative) in children
    that reject a negative line, with more ``map_fields``; the execution's description."""
    processor = distributed(reject_negative())
    arn = machine({"ItemsPath": "$.lines", **map_fields, "ItemProcessor": processor}, name)
    return run(arn, {"lines": lines(count, bad=bad)})


def read_json(bucket, key):
    return json.loads(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def s3_reader(bucket, key, **reader_config) -> dict:
    """An ItemReader of the object ``key`` in ``bucket``: JSON unless ``reader_config`` (the
    ReaderConfig's fields) says otherwise."""
    return {
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSON", **reader_config},
        "Parameters": {"Bucket": bucket, "Key": key},
    }


def order_lines_in_s3(bucket, key, count, bad) -> dict:
    """``count`` order lines (those of ``bad`` negative) put in ``bucket`` as the JSON object
    ``key``; an ItemReader of them."""
    body = json.dumps(lines(count, bad=bad))
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=body)
    return s3_reader(bucket, key)


def s3_writer(bucket, prefix="results") -> dict:
    """A ResultWriter to ``prefix`` in ``bucket``."""
    return {
        "Resource": "arn:aws:states:::s3:putObject",
        "Parameters": {"Bucket": bucket, "Prefix": prefix},
    }


def manifest_of(bucket, description) -> dict:
    """The manifest the ResultWriter of a finished execution's Map wrote."""
    return read_json(bucket, json.loads(description["output"])["ResultWriterDetails"]["Key"])


@pytest.fixture(scope="module")
def bucket(emulator):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    return BUCKET


@pytest.fixture(autouse=True)
def fresh_role(emulator):
    _role.clear()  # the emulator fixture resets the emulator once per module


# ---------------------------------------------------------------- definitions


def test_item_batcher_express_and_whole_number_percentage_are_accepted_as_written(emulator):
    # AWS accepts ItemBatcher, ToleratedFailurePercentage 10 and EXPRESS children, and
    # DescribeStateMachine returns the definition exactly as written.
    map_fields = {
        "ItemBatcher": {"MaxItemsPerBatch": 50, "BatchInput": {"currency": "KRW"}},
        "MaxConcurrency": 4,
        "ToleratedFailurePercentage": 10,
        "ItemProcessor": distributed(PASS, "EXPRESS"),
    }
    definition = {"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": True, **map_fields}}}
    sfn = boto3.client("stepfunctions")
    validation = sfn.validate_state_machine_definition(definition=json.dumps(definition))
    assert validation["result"] == "OK", validation["diagnostics"]
    arn = machine(map_fields, "accepted")
    stored = json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"])
    assert stored == definition


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"ItemBatcher": {"MaxItemsPerBatch": 0}}, "MaxItemsPerBatch must be a positive"),
        ({"ToleratedFailurePercentage": 150}, "between 0 and 100"),
        ({"ItemBatcher": {"MaxItemsPerBatch": 2, "Size": 1}}, "'Size' is not supported"),
    ],
)
def test_invalid_distributed_map_fields_are_schema_errors(emulator, bad, message):
    definition = {
        "StartAt": "Each",
        "States": {"Each": {"Type": "Map", "End": True, "ItemProcessor": distributed(PASS), **bad}},
    }
    result = boto3.client("stepfunctions").validate_state_machine_definition(
        definition=json.dumps(definition)
    )
    assert result["result"] == "FAIL"
    (diagnostic,) = result["diagnostics"]
    assert diagnostic["code"] == "SCHEMA_VALIDATION_FAILED"
    assert message in diagnostic["message"]


def test_item_batcher_in_an_inline_map_is_rejected(emulator):
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "End": True,
                "ItemBatcher": {"MaxItemsPerBatch": 2},
                "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, **PASS},
            }
        },
    }
    sfn = boto3.client("stepfunctions")
    with pytest.raises(sfn.exceptions.InvalidDefinition, match="DISTRIBUTED"):
        sfn.create_state_machine(
            name=resources.resource_name("inline-batcher"),
            definition=json.dumps(definition),
            roleArn=role(),
        )


# ---------------------------------------------------------------- ItemBatcher


def test_each_child_gets_a_batch_of_items_and_the_batch_input(emulator):
    # AWS: each child execution's input is {"Items": [...], "BatchInput": {...}}.
    arn = machine(
        {
            "ItemsPath": "$.lines",
            "ItemBatcher": {"MaxItemsPerBatch": 3, "BatchInput": {"order.$": "$.order", "v": 1}},
            "ItemProcessor": distributed(PASS),
        },
        "batches",
    )
    description = run(arn, {"order": "A-1", "lines": list(range(8))})
    assert description["status"] == "SUCCEEDED"
    assert json.loads(description["output"]) == [
        {"Items": [0, 1, 2], "BatchInput": {"order": "A-1", "v": 1}},
        {"Items": [3, 4, 5], "BatchInput": {"order": "A-1", "v": 1}},
        {"Items": [6, 7], "BatchInput": {"order": "A-1", "v": 1}},
    ]
    counts = map_run(description)
    assert counts["itemCounts"]["total"] == counts["itemCounts"]["succeeded"] == 8
    assert counts["executionCounts"]["total"] == counts["executionCounts"]["succeeded"] == 3


def test_batches_respect_max_input_bytes_and_path_fields(emulator):
    arn = machine(
        {
            "ItemsPath": "$.lines",
            "ItemBatcher": {"MaxItemsPerBatchPath": "$.size", "MaxInputBytesPerBatch": 40},
            "ItemProcessor": distributed(PASS),
        },
        "bytes",
    )
    words = ["aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc", "dddddddddd", "e"]
    description = run(arn, {"size": 4, "lines": words})
    batches = json.loads(description["output"])
    assert [batch["Items"] for batch in batches] == [words[:2], words[2:4], words[4:]]
    assert all(len(json.dumps(batch, separators=(",", ":"))) <= 40 for batch in batches)


def test_batches_unit():
    assert map_state.batches([1, 2, 3], {"MaxItemsPerBatch": 2}, {}) == [
        {"Items": [1, 2]},
        {"Items": [3]},
    ]
    assert map_state.batches([], {"MaxItemsPerBatch": 2}, {}) == []


# ---------------------------------------------------------------- tolerated failures


def test_failures_within_the_tolerated_percentage_succeed_and_are_counted(emulator):
    # 1 of 20 items fails (5 %): within ToleratedFailurePercentage 10, the Map succeeds.
    description = run_order_lines(
        "within", 20, {7}, ToleratedFailurePercentage=10, MaxConcurrency=4
    )
    assert description["status"] == "SUCCEEDED"
    output = json.loads(description["output"])
    assert output[0] == lines(1)[0]
    assert output[7]["Status"] == "FAILED" and output[7]["Error"] == "BadOrderLine"
    described = map_run(description)
    assert described["status"] == "SUCCEEDED"
    assert described["toleratedFailurePercentage"] == 10.0
    assert described["maxConcurrency"] == 4
    items = described["itemCounts"]
    assert (items["total"], items["succeeded"], items["failed"]) == (20, 19, 1)
    assert items["pending"] == items["running"] == 0


def test_a_jsonata_tolerated_failure_count_is_a_count(emulator):
    # AWS: "ToleratedFailureCount": "{% 1 %}" in a JSONata Map tolerates one failed item.
    arn = machine(
        {
            "QueryLanguage": "JSONata",
            "Items": "{% $states.input.lines %}",
            "ToleratedFailureCount": "{% 1 %}",
            "ItemProcessor": distributed(
                {
                    "StartAt": "Check",
                    "States": {
                        "Check": {
                            "Type": "Choice",
                            "Choices": [
                                {"Condition": "{% $states.input.quantity < 0 %}", "Next": "Bad"}
                            ],
                            "Default": "Good",
                        },
                        "Good": {"Type": "Pass", "End": True},
                        "Bad": {"Type": "Fail", "Error": "BadOrderLine"},
                    },
                }
            ),
        },
        "jsonata-count",
    )
    description = run(arn, {"lines": lines(4, bad={2})})
    assert description["status"] == "SUCCEEDED", description.get("cause")
    described = map_run(description)
    assert (described["toleratedFailureCount"], described["toleratedFailurePercentage"]) == (1, 0)


def test_failures_beyond_the_tolerated_count_fail_the_map_run(emulator):
    # AWS: failed items > ToleratedFailureCount fails the map run, then the execution, with
    # States.ExceedToleratedFailureThreshold.
    description = run_order_lines("beyond", 10, {2, 5}, ToleratedFailureCount=1, MaxConcurrency=1)
    assert description["status"] == "FAILED"
    assert (description["error"], description["cause"]) == EXCEEDED
    events = executions.execution_history(description["executionArn"])
    types = [event["type"] for event in events]
    assert types[-4:] == ["MapRunStarted", "MapRunFailed", "MapStateFailed", "ExecutionFailed"]
    failed = next(event for event in events if event["type"] == "MapRunFailed")
    details = failed["mapRunFailedEventDetails"]
    assert (details["error"], details["cause"]) == EXCEEDED
    described = map_run(description)
    assert described["status"] == "FAILED" and described["toleratedFailureCount"] == 1
    items = described["itemCounts"]
    assert items["failed"] == 2
    assert items["succeeded"] == 4  # no child starts once the threshold is exceeded
    assert items["aborted"] == 4 and items["total"] == 10


def test_without_a_tolerance_any_failed_item_fails_the_map_run(emulator):
    description = run_order_lines("none", 5, {4})
    assert (description["status"], description["error"]) == ("FAILED", EXCEEDED[0])


def test_exceeded_threshold_can_be_caught(emulator):
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.lines",
                "ToleratedFailurePercentage": 0.5,
                "ItemProcessor": distributed(reject_negative()),
                "Catch": [
                    {"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Late"}
                ],
                "End": True,
            },
            "Late": {"Type": "Pass", "End": True},
        },
    }
    arn = resources.ensure_state_machine(
        resources.resource_name("caught"), definition, role(), progress=lambda message: None
    )
    description = run(arn, {"lines": lines(4, bad={0})})
    assert description["status"] == "SUCCEEDED"
    assert json.loads(description["output"])["Error"] == EXCEEDED[0]


def test_a_failed_batch_counts_all_its_items(emulator):
    # AWS counts items: one failed batch of 5 of 20 items is 25 %, beyond 20 %.
    arn = machine(
        {
            "ItemsPath": "$.lines",
            "ItemBatcher": {"MaxItemsPerBatch": 5},
            "ToleratedFailurePercentage": 20,
            "ItemProcessor": distributed(reject_negative(batch_index=0)),
        },
        "batch-fails",
    )
    description = run(arn, {"lines": lines(20, bad={5})})
    assert (description["status"], description["error"]) == ("FAILED", EXCEEDED[0])
    counts = map_run(description)
    assert counts["itemCounts"]["failed"] == 5
    assert counts["executionCounts"]["failed"] == 1


# ---------------------------------------------------------------- EXPRESS and concurrency


def test_express_children_run(emulator):
    arn = machine(
        {"ItemsPath": "$.lines", "ItemProcessor": distributed(PASS, "EXPRESS")}, "express"
    )
    description = run(arn, {"lines": [1, 2, 3]})
    assert description["status"] == "SUCCEEDED"
    assert json.loads(description["output"]) == [1, 2, 3]


def test_max_concurrency_is_respected(bucket):
    # Four one-second children, at most two at a time: by the StartDate and StopDate of the
    # children's records (ResultWriter writes them), never more than two run at once, and two do.
    wait = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": True}}}
    arn = machine(
        {
            "ItemsPath": "$.lines",
            "MaxConcurrency": 2,
            "ItemProcessor": distributed(wait),
            "ResultWriter": s3_writer(bucket, "concurrency"),
        },
        "mc",
    )
    description = run(arn, {"lines": [1, 2, 3, 4]})
    assert description["status"] == "SUCCEEDED"
    manifest = manifest_of(bucket, description)
    children = read_json(bucket, manifest["ResultFiles"]["SUCCEEDED"][0]["Key"])
    assert len(children) == 4
    # ISO timestamps of one format sort as times; a child that stops as another starts is not
    # running beside it, so stops (-1) sort before starts (+1)
    edges = sorted(
        [(child["StartDate"], 1) for child in children]
        + [(child["StopDate"], -1) for child in children]
    )
    running, most = 0, 0
    for _, change in edges:
        running += change
        most = max(most, running)
    assert most == 2


def test_without_max_concurrency_waiting_children_all_run_at_once(emulator):
    # AWS: MaxConcurrency 0 (or none) runs up to 10,000 child executions at the same time, so
    # 60 children that each wait 6 s all start before the first ends (with room for a slow
    # machine: the pool starts them within about a second).
    wait = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 6, "End": True}}}
    arn = machine({"ItemsPath": "$.lines", "ItemProcessor": distributed(wait)}, "unbounded")
    map_run_arn = map_run(run(arn, {"lines": lines(60)}))["mapRunArn"]
    pages = boto3.client("stepfunctions").get_paginator("list_executions")
    children = [
        child for page in pages.paginate(mapRunArn=map_run_arn) for child in page["executions"]
    ]
    assert len(children) == 60
    assert max(child["startDate"] for child in children) < min(
        child["stopDate"] for child in children
    )


def test_stopping_the_execution_aborts_its_map_run(emulator):
    # AWS: StopExecution aborts the map run (ABORTED) and its child executions; those not
    # started yet are counted aborted too, none stays pending or running.
    sfn = boto3.client("stepfunctions")
    wait = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 2, "End": True}}}
    arn = machine(
        {"ItemsPath": "$.lines", "MaxConcurrency": 4, "ItemProcessor": distributed(wait)}, "stop"
    )
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"lines": lines(40)}))
    execution_arn = execution["executionArn"]
    give_up = time.monotonic() + 60  # a deadlock guard
    runs = []
    while not runs and time.monotonic() < give_up:
        time.sleep(0.05)
        runs = sfn.list_map_runs(executionArn=execution_arn)["mapRuns"]
    sfn.stop_execution(executionArn=execution_arn)
    assert sfn.describe_execution(executionArn=execution_arn)["status"] == "ABORTED"
    described = sfn.describe_map_run(mapRunArn=runs[0]["mapRunArn"])
    while described["status"] == "RUNNING" and time.monotonic() < give_up:
        time.sleep(0.05)
        described = sfn.describe_map_run(mapRunArn=runs[0]["mapRunArn"])
    assert described["status"] == "ABORTED"
    counts = described["itemCounts"]
    assert (counts["pending"], counts["running"], counts["total"]) == (0, 0, 40)
    assert counts["aborted"] >= 36  # at most the first four children could have ended


# ---------------------------------------------------------------- S3: ItemReader, ResultWriter


def test_result_writer_writes_manifest_and_result_files(bucket):
    # AWS: {Prefix}/{map run id}/manifest.json lists SUCCEEDED_0.json and FAILED_0.json, each a
    # JSON array of child execution records; the Map's output points at the manifest.
    reader = order_lines_in_s3(bucket, "orders/small.json", 6, {1})
    arn = machine(
        {
            "ItemReader": reader,
            "ItemBatcher": {"MaxItemsPerBatch": 2},
            "ToleratedFailurePercentage": 40,
            "ItemProcessor": distributed(reject_negative(batch_index=1)),
            "ResultWriter": s3_writer(bucket),
        },
        "writer",
    )
    description = run(arn, {})
    assert description["status"] == "SUCCEEDED"
    output = json.loads(description["output"])
    run_id = output["MapRunArn"].split(":")[-1]
    assert output["ResultWriterDetails"] == {
        "Bucket": bucket,
        "Key": f"results/{run_id}/manifest.json",
    }
    manifest = read_json(bucket, output["ResultWriterDetails"]["Key"])
    assert manifest["DestinationBucket"] == bucket
    assert manifest["MapRunArn"] == output["MapRunArn"]
    files = manifest["ResultFiles"]
    assert [entry["Key"] for entry in files["SUCCEEDED"]] == [f"results/{run_id}/SUCCEEDED_0.json"]
    assert [entry["Key"] for entry in files["FAILED"]] == [f"results/{run_id}/FAILED_0.json"]
    assert files["PENDING"] == []
    succeeded = read_json(bucket, files["SUCCEEDED"][0]["Key"])
    failed = read_json(bucket, files["FAILED"][0]["Key"])
    assert [record["Status"] for record in succeeded] == ["SUCCEEDED", "SUCCEEDED"]
    assert json.loads(succeeded[0]["Input"]) == {"Items": lines(6)[2:4]}  # the 1st batch failed
    assert json.loads(succeeded[0]["Output"]) == lines(6)[3]  # the Choice's InputPath
    assert succeeded[0]["ExecutionArn"].startswith(
        description["stateMachineArn"].replace(":stateMachine:", ":execution:") + "/Each:"
    )
    (bad,) = failed
    assert (bad["Status"], bad["Error"], bad["Cause"]) == (
        "FAILED",
        "BadOrderLine",
        "negative quantity",
    )
    described = map_run(description)
    assert described["itemCounts"]["resultsWritten"] == 6
    assert described["executionCounts"]["resultsWritten"] == 3


def test_csv_item_reader_with_a_header_row(bucket):
    csv = "id,quantity,unit_price\n1,2,1.5\n2,3,2.5\n3,1,4\n"
    boto3.client("s3").put_object(Bucket=bucket, Key="orders/lines.csv", Body=csv.encode())
    arn = machine(
        {
            "ItemReader": s3_reader(
                bucket, "orders/lines.csv", InputType="CSV", CSVHeaderLocation="FIRST_ROW"
            ),
            "ItemBatcher": {"MaxItemsPerBatch": 2},
            "ItemProcessor": distributed(PASS, "EXPRESS"),
        },
        "csv",
    )
    description = run(arn, {})
    assert description["status"] == "SUCCEEDED"
    # CSV values are strings, as on AWS.
    assert json.loads(description["output"]) == [
        {
            "Items": [
                {"id": "1", "quantity": "2", "unit_price": "1.5"},
                {"id": "2", "quantity": "3", "unit_price": "2.5"},
            ]
        },
        {"Items": [{"id": "3", "quantity": "1", "unit_price": "4"}]},
    ]


def test_price_items_over_1000_lines_in_batches_of_50(bucket):
    # Notebook 08: 1,000 order lines from S3, 50 per PriceItems invocation, 4 at a time; one
    # batch has a bad line (50 items, 5 %), within the tolerated 10 %.
    lambda_role = resources.ensure_role(resources.LAMBDA_ROLE, "lambda.amazonaws.com")
    function = resources.ensure_function(
        "PriceItems", "lambda_function.price", lambda_role, progress=lambda message: None
    )
    reader = order_lines_in_s3(bucket, "orders/lines.json", 1000, {123})
    arn = machine(
        {
            "ItemReader": reader,
            "ItemBatcher": {"MaxItemsPerBatch": 50},
            "MaxConcurrency": 4,
            "ToleratedFailurePercentage": 10,
            "ItemProcessor": distributed(
                {
                    "StartAt": "Price",
                    "States": {
                        "Price": {
                            "Type": "Task",
                            "Resource": function["FunctionArn"],
                            "End": True,
                        }
                    },
                }
            ),
            "ResultWriter": s3_writer(bucket),
        },
        "price-all",
    )
    started = time.monotonic()
    description = run(arn, {})
    elapsed = time.monotonic() - started
    assert description["status"] == "SUCCEEDED", description.get("cause")
    described = map_run(description)
    assert described["itemCounts"]["succeeded"] == 950
    assert described["itemCounts"]["failed"] == 50
    assert described["executionCounts"]["total"] == 20
    manifest = manifest_of(bucket, description)
    (failed,) = read_json(bucket, manifest["ResultFiles"]["FAILED"][0]["Key"])
    assert failed["Error"] == "BadOrderLine"
    succeeded = read_json(bucket, manifest["ResultFiles"]["SUCCEEDED"][0]["Key"])
    assert sum(json.loads(record["Output"])["lines"] for record in succeeded) == 950
    assert elapsed < 30, f"1,000 items took {elapsed:.1f} s"


# ---------------------------------------------------------------- clean-up (keep this test last)


def _list_objects(bucket: str, prefix: str, **parameters) -> dict:
    reader = {
        "Resource": "arn:aws:states:::s3:listObjectsV2",
        "Parameters": {"Bucket": bucket, "Prefix": prefix, **parameters},
    }
    return machine({"ItemReader": reader, "ItemProcessor": distributed(PASS)}, "list-objects")


def test_an_item_reader_lists_every_object_under_its_prefix(bucket):
    # AWS (developer guide, ItemReader): one item per object, {"Etag", "Key", "LastModified"
    # in seconds since 1970, "Size", "StorageClass"}; every page of the listing.
    s3 = boto3.client("s3")
    for name, body in (("a.txt", b"a"), ("b.txt", b"bb"), ("c.txt", b"ccc")):
        s3.put_object(Bucket=bucket, Key=f"listed/{name}", Body=body)
    s3.put_object(Bucket=bucket, Key="elsewhere/d.txt", Body=b"d")
    description = run(_list_objects(bucket, "listed/", MaxKeys=2), {})
    assert description["status"] == "SUCCEEDED", description.get("cause")
    items = json.loads(description["output"])
    assert [(item["Key"], item["Size"]) for item in items] == [
        ("listed/a.txt", 1),
        ("listed/b.txt", 2),
        ("listed/c.txt", 3),
    ]
    head = s3.head_object(Bucket=bucket, Key="listed/a.txt")
    assert items[0] == {
        "Etag": head["ETag"],
        "Key": "listed/a.txt",
        "LastModified": int(head["LastModified"].timestamp()),
        "Size": 1,
        "StorageClass": "STANDARD",
    }


def test_an_item_reader_over_an_empty_prefix_gives_no_items(bucket):
    description = run(_list_objects(bucket, "nothing-here/"), {})
    assert description["status"] == "SUCCEEDED", description.get("cause")
    assert json.loads(description["output"]) == []


def test_clean_up_empties_and_deletes_tagged_buckets_only(bucket):
    s3 = boto3.client("s3")
    config = {"LocationConstraint": REGION}
    s3.create_bucket(Bucket="sfn-tutorial-versions", CreateBucketConfiguration=config)
    s3.put_bucket_tagging(Bucket="sfn-tutorial-versions", Tagging={"TagSet": resources.tags("Key")})
    s3.put_bucket_versioning(
        Bucket="sfn-tutorial-versions", VersioningConfiguration={"Status": "Enabled"}
    )
    for body in (b"1", b"2"):
        s3.put_object(Bucket="sfn-tutorial-versions", Key="a.json", Body=body)
    s3.delete_object(Bucket="sfn-tutorial-versions", Key="a.json")  # a delete marker
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": resources.tags("Key")})
    s3.create_bucket(Bucket="sfn-tutorial-untagged", CreateBucketConfiguration=config)
    s3.create_bucket(Bucket="someone-elses-bucket", CreateBucketConfiguration=config)
    s3.put_bucket_tagging(Bucket="someone-elses-bucket", Tagging={"TagSet": resources.tags("Key")})

    deleted = resources.clean_up(progress=lambda message: None)
    assert sorted(r.name for r in deleted if r.kind == "S3 bucket") == [
        BUCKET,
        "sfn-tutorial-versions",
    ]
    remaining = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert sorted(remaining) == ["sfn-tutorial-untagged", "someone-elses-bucket"]
    assert resources.find_tutorial_resources() == []


# ---------------------------------------------------------------- listing a map run's children


def test_a_map_run_lists_its_children_with_their_item_counts(emulator):
    # AWS: ListExecutions(mapRunArn) lists the child executions the map run started, each with
    # its mapRunArn and itemCount (the items it processed).
    arn = machine(
        {
            "ItemsPath": "$.lines",
            "ItemBatcher": {"MaxItemsPerBatch": 2},
            "ItemProcessor": distributed(PASS),
        },
        "listed",
    )
    described = map_run(run(arn, {"lines": [1, 2, 3]}))
    sfn = boto3.client("stepfunctions")
    listed = sfn.list_executions(mapRunArn=described["mapRunArn"])["executions"]
    assert sorted(child["itemCount"] for child in listed) == [1, 2]
    for child in listed:
        assert child["status"] == "SUCCEEDED" and child["mapRunArn"] == described["mapRunArn"]
        assert child["executionArn"].startswith(
            child["stateMachineArn"].replace(":stateMachine:", ":execution:") + ":"
        )
        assert child["stopDate"] >= child["startDate"]
    assert [child["stopDate"] for child in listed] == sorted(
        (child["stopDate"] for child in listed), reverse=True
    )


def test_a_map_runs_children_are_filtered_by_status_and_paged(emulator):
    arn = machine(
        {
            "ItemsPath": "$.lines",
            "ToleratedFailurePercentage": 100,
            "ItemProcessor": distributed(reject_negative()),
        },
        "listed-failed",
    )
    map_run_arn = map_run(run(arn, {"lines": lines(5, bad={1, 3})}))["mapRunArn"]
    sfn = boto3.client("stepfunctions")
    failed = sfn.list_executions(mapRunArn=map_run_arn, statusFilter="FAILED")["executions"]
    assert [child["status"] for child in failed] == ["FAILED", "FAILED"]
    pages = sfn.get_paginator("list_executions").paginate(
        mapRunArn=map_run_arn, PaginationConfig={"PageSize": 2}
    )
    assert sum(len(page["executions"]) for page in pages) == 5


def test_express_children_of_a_map_run_are_listed_with_express_arns(emulator):
    arn = machine(
        {"ItemsPath": "$.lines", "ItemProcessor": distributed(PASS, "EXPRESS")}, "listed-express"
    )
    map_run_arn = map_run(run(arn, {"lines": [1, 2]}))["mapRunArn"]
    listed = boto3.client("stepfunctions").list_executions(mapRunArn=map_run_arn)["executions"]
    assert [child["executionArn"].split(":")[5] for child in listed] == ["express", "express"]


def test_listing_a_map_run_that_does_not_exist_or_with_a_machine_too_is_refused(emulator):
    # AWS: "You can specify either a mapRunArn or a stateMachineArn, but not both."
    sfn = boto3.client("stepfunctions")
    arn = machine({"ItemsPath": "$.lines", "ItemProcessor": distributed(PASS)}, "listed")
    map_run_arn = map_run(run(arn, {"lines": [1]}))["mapRunArn"]
    with pytest.raises(sfn.exceptions.ValidationException):
        sfn.list_executions(mapRunArn=map_run_arn, stateMachineArn=arn)
    with pytest.raises(sfn.exceptions.ResourceNotFound):
        sfn.list_executions(mapRunArn=map_run_arn.rsplit(":", 1)[0] + ":no-such-run")
