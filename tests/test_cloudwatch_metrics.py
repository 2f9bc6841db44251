"""CloudWatch metrics (sfn_tutorial/emulator/cloudwatch/metrics.py) and the metrics Step Functions
and Lambda publish (stepfunctions/metrics.py, awslambda/metrics.py).

Each test says what AWS does (CloudWatch API reference; Step Functions and Lambda developer
guides, their metrics pages); the emulator must do the same. Times are the emulator's clock's,
which other tests move forward.
"""

import datetime
import json
import uuid

import boto3
import lambda_code
import pytest

from sfn_tutorial import executions, resources
from sfn_tutorial.emulator import clock, server

HANDLER = """
def handler(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    return event
"""


def emulator_now() -> datetime.datetime:
    answer = json.loads(server.request(clock.CLOCK_PATH, method="GET"))
    return datetime.datetime.fromisoformat(answer["now"])


def window(minutes=10):
    now = emulator_now()
    return now - datetime.timedelta(minutes=minutes), now + datetime.timedelta(minutes=1)


def statistic_sum(namespace, name, dimensions, stat="Sum"):
    start, end = window()
    points = boto3.client("cloudwatch").get_metric_statistics(
        Namespace=namespace,
        MetricName=name,
        Dimensions=[{"Name": key, "Value": value} for key, value in dimensions.items()],
        StartTime=start,
        EndTime=end,
        Period=60,
        Statistics=[stat],
    )["Datapoints"]
    return sum(point[stat] for point in points), points


@pytest.fixture(scope="module")
def function(emulator):
    role = resources.ensure_role(resources.resource_name("metrics-lambda"), "lambda.amazonaws.com")
    name = resources.resource_name(f"metrics-{uuid.uuid4().hex[:6]}")
    return lambda_code.python_function(name, HANDLER, role, wait=True)


@pytest.fixture(scope="module")
def machine(function):
    role = resources.ensure_role(
        resources.resource_name("metrics-states"),
        "states.amazonaws.com",
        inline_policies={"invoke": resources.invoke_policy([function])},
    )
    definition = {
        "StartAt": "Call",
        "States": {"Call": {"Type": "Task", "Resource": function, "End": True}},
    }
    return boto3.client("stepfunctions").create_state_machine(
        name=resources.resource_name(f"metrics-{uuid.uuid4().hex[:6]}"),
        definition=json.dumps(definition),
        roleArn=role,
    )["stateMachineArn"]


@pytest.fixture(scope="module")
def runs(machine):
    """Two executions that succeed and one that fails."""
    sfn = boto3.client("stepfunctions")
    for fail in (False, False, True):
        arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"fail": fail}))
        executions.wait_for_execution(arn["executionArn"])
    return machine


def test_step_functions_publishes_execution_metrics(runs):
    # AWS/States, dimension StateMachineArn: counts (Sum) and ExecutionTime in milliseconds.
    machine = {"StateMachineArn": runs}
    assert statistic_sum("AWS/States", "ExecutionsStarted", machine)[0] == 3
    assert statistic_sum("AWS/States", "ExecutionsSucceeded", machine)[0] == 2
    assert statistic_sum("AWS/States", "ExecutionsFailed", machine)[0] == 1
    total, points = statistic_sum("AWS/States", "ExecutionTime", machine, "SampleCount")
    assert total == 3 and points[0]["Unit"] == "Milliseconds"


def test_step_functions_publishes_lambda_function_metrics(runs, function):
    dimension = {"LambdaFunctionArn": function}
    assert statistic_sum("AWS/States", "LambdaFunctionsScheduled", dimension)[0] == 3
    assert statistic_sum("AWS/States", "LambdaFunctionsSucceeded", dimension)[0] == 2
    assert statistic_sum("AWS/States", "LambdaFunctionsFailed", dimension)[0] == 1
    assert statistic_sum("AWS/States", "LambdaFunctionTime", dimension, "SampleCount")[0] == 3


def test_lambda_publishes_its_own_metrics(runs, function):
    # AWS/Lambda, per FunctionName: Invocations counts failed ones too; Errors counts those.
    name = {"FunctionName": function.split(":")[-1]}
    assert statistic_sum("AWS/Lambda", "Invocations", name)[0] == 3
    assert statistic_sum("AWS/Lambda", "Errors", name)[0] == 1
    assert statistic_sum("AWS/Lambda", "Duration", name, "SampleCount")[0] == 3
    assert statistic_sum("AWS/Lambda", "ConcurrentExecutions", name, "Maximum")[0] >= 1


def test_a_metric_is_its_whole_dimension_set(runs):
    # A query without dimensions finds only data published without any.
    assert statistic_sum("AWS/States", "ExecutionsStarted", {})[1] == []
    other = {"StateMachineArn": runs + "-other"}
    assert statistic_sum("AWS/States", "ExecutionsStarted", other)[1] == []


def test_periods_start_on_the_minute(emulator):
    cloudwatch = boto3.client("cloudwatch")
    namespace = f"Tutorial/{uuid.uuid4().hex[:8]}"
    cloudwatch.put_metric_data(
        Namespace=namespace, MetricData=[{"MetricName": "Orders", "Value": 2.0, "Unit": "Count"}]
    )
    cloudwatch.put_metric_data(
        Namespace=namespace, MetricData=[{"MetricName": "Orders", "Value": 4.0, "Unit": "Count"}]
    )
    start, end = window()
    points = cloudwatch.get_metric_statistics(
        Namespace=namespace,
        MetricName="Orders",
        StartTime=start,
        EndTime=end,
        Period=60,
        Statistics=["Sum", "Average", "Maximum", "SampleCount"],
    )["Datapoints"]
    assert len(points) in (1, 2)  # both values in one minute, or either side of its end
    assert all(point["Timestamp"].second == 0 for point in points)
    assert sum(point["Sum"] for point in points) == 6.0
    assert sum(point["SampleCount"] for point in points) == 2.0
    assert points[0]["Unit"] == "Count"


def test_get_metric_data_labels_orders_and_computes(runs):
    start, end = window()
    dimensions = [{"Name": "StateMachineArn", "Value": runs}]

    def stat(query_id, name, return_data=False):
        metric = {"Namespace": "AWS/States", "MetricName": name, "Dimensions": dimensions}
        return {
            "Id": query_id,
            "MetricStat": {"Metric": metric, "Period": 3600, "Stat": "Sum"},
            "ReturnData": return_data,
        }

    answer = boto3.client("cloudwatch").get_metric_data(
        MetricDataQueries=[
            stat("started", "ExecutionsStarted", return_data=True),
            stat("failed", "ExecutionsFailed"),
            {"Id": "rate", "Expression": "100 * failed / started", "Label": "Failure rate"},
        ],
        StartTime=start,
        EndTime=end,
    )
    results = {result["Id"]: result for result in answer["MetricDataResults"]}
    assert sorted(results) == ["rate", "started"]  # ReturnData false: not returned
    assert results["started"]["Label"] == "ExecutionsStarted"
    assert results["started"]["StatusCode"] == "Complete"
    assert sum(results["started"]["Values"]) == 3
    assert results["rate"]["Label"] == "Failure rate"
    assert results["rate"]["Values"] == [pytest.approx(100 / 3)]


def test_get_metric_data_is_newest_first_by_default(emulator):
    cloudwatch = boto3.client("cloudwatch")
    namespace = f"Tutorial/{uuid.uuid4().hex[:8]}"
    now = emulator_now()
    for minutes_ago in (5, 3, 1):
        cloudwatch.put_metric_data(
            Namespace=namespace,
            MetricData=[
                {
                    "MetricName": "Orders",
                    "Value": float(minutes_ago),
                    "Timestamp": now - datetime.timedelta(minutes=minutes_ago),
                }
            ],
        )
    query = {
        "Id": "orders",
        "MetricStat": {
            "Metric": {"Namespace": namespace, "MetricName": "Orders"},
            "Period": 60,
            "Stat": "Sum",
        },
    }
    start, end = window()
    newest = cloudwatch.get_metric_data(MetricDataQueries=[query], StartTime=start, EndTime=end)
    assert newest["MetricDataResults"][0]["Values"] == [1.0, 3.0, 5.0]
    oldest = cloudwatch.get_metric_data(
        MetricDataQueries=[query], StartTime=start, EndTime=end, ScanBy="TimestampAscending"
    )
    assert oldest["MetricDataResults"][0]["Values"] == [5.0, 3.0, 1.0]
    stamps = oldest["MetricDataResults"][0]["Timestamps"]
    assert stamps == sorted(stamps) and all(stamp.second == 0 for stamp in stamps)


def test_metric_data_is_timestamped_by_the_emulators_clock(emulator):
    cloudwatch = boto3.client("cloudwatch")
    namespace = f"Tutorial/{uuid.uuid4().hex[:8]}"
    server.request(clock.CLOCK_PATH, json.dumps({"advance_seconds": 3600}).encode())
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[{"MetricName": "M", "Value": 1}])
    now = emulator_now()
    points = cloudwatch.get_metric_statistics(
        Namespace=namespace,
        MetricName="M",
        StartTime=now - datetime.timedelta(minutes=2),
        EndTime=now + datetime.timedelta(minutes=1),
        Period=60,
        Statistics=["Sum"],
    )["Datapoints"]
    assert [point["Sum"] for point in points] == [1.0]


def test_a_minutes_values_of_a_service_metric_are_kept_together_with_their_statistics():
    # AWS keeps services' metrics at one-minute resolution: what a service publishes within a
    # minute is one datapoint per statistic (and a percentile over all of them), however many
    # values it was; so here it is one entry of the store, not one per value.
    from moto.cloudwatch.models import cloudwatch_backends

    from sfn_tutorial.emulator.cloudwatch import metrics

    account, region = "123456789012", "eu-west-1"
    moment = datetime.datetime(2030, 1, 1, 12, 0, 10, tzinfo=datetime.timezone.utc)
    for value in range(1, 1001):
        metrics.put(
            account,
            region,
            "AWS/Test",
            "Duration",
            float(value),
            "Milliseconds",
            {"FunctionName": "f"},
            moment + datetime.timedelta(seconds=value % 40),
        )
    metrics.flush()
    backend = cloudwatch_backends[account][region]
    stored = [datum for datum in backend.metric_data if datum.namespace == "AWS/Test"]
    assert len(stored) == 1
    found = metrics.datapoints(
        backend,
        "AWS/Test",
        "Duration",
        [{"Name": "FunctionName", "Value": "f"}],
        moment - datetime.timedelta(minutes=1),
        moment + datetime.timedelta(minutes=1),
    )
    assert metrics.statistic(found, "SampleCount") == 1000
    assert metrics.statistic(found, "Sum") == 500500
    assert (metrics.statistic(found, "Minimum"), metrics.statistic(found, "Maximum")) == (1, 1000)
    assert metrics.statistic(found, "p90") == 900
