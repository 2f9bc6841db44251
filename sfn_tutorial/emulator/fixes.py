"""Every way the emulator changes moto, service by service, in the order it is applied.

``apply(port)`` is called once, in the emulator process, before the server starts and before
moto's backends are first used. Each service's module lists its own named fixes, each a small
function whose docstring says what AWS does; their tests check them against a running emulator.
"""

from __future__ import annotations

from sfn_tutorial.emulator import account_like, moto_memory, moto_speed, wire_format
from sfn_tutorial.emulator.apigateway import execute_api, imports
from sfn_tutorial.emulator.awslambda import service as lambda_service
from sfn_tutorial.emulator.awslambda import sqs_events
from sfn_tutorial.emulator.cloudformation import api as cloudformation_api
from sfn_tutorial.emulator.cloudwatch import alarms
from sfn_tutorial.emulator.cloudwatch import metrics as cloudwatch_metrics
from sfn_tutorial.emulator.dynamodb import api as dynamodb_api
from sfn_tutorial.emulator.ecs import run_task_state
from sfn_tutorial.emulator.ecs import tasks as ecs_tasks
from sfn_tutorial.emulator.events import rules
from sfn_tutorial.emulator.iam import api as iam_api
from sfn_tutorial.emulator.iam import authorization, managed_policies
from sfn_tutorial.emulator.scheduler import schedules
from sfn_tutorial.emulator.sns import api as sns_api
from sfn_tutorial.emulator.sqs import api as sqs_api
from sfn_tutorial.emulator.stepfunctions import (
    activities,
    api,
    branches,
    execution_logs,
    heartbeats,
    interpreter,
    jsonata_support,
    lifecycle,
    map_state,
    metrics,
    redrive,
    service_integrations,
    status_events,
    sync_executions,
    test_state,
    versions,
)
from sfn_tutorial.emulator.xray import traces


def apply(port: int) -> None:
    """Turn moto into the tutorial's local AWS, listening on ``port``."""
    moto_speed.apply()  # first: it decides what moto imports at start, and caches dispatch
    moto_memory.apply()  # one botocore loader for every session; EC2's offerings read when used
    managed_policies.apply()  # AWSLambdaRole and the other AWS managed policies exist
    iam_api.apply()  # inline policies without a Version, as IAM accepts them
    wire_format.apply()  # answers' bytes as AWS writes them: compact JSON, indented XML
    sqs_api.apply()  # SQS asks for missing parameters
    sns_api.apply()  # FIFO topics: sequence numbers, the group id's error
    dynamodb_api.apply()  # DynamoDB's validation errors
    api.apply(port)  # Step Functions' API: error codes, validation, interpreter on this server
    versions.apply()  # revisions, versions, aliases; executions of versions and aliases
    lambda_service.apply(f"http://127.0.0.1:{port}")  # Invoke runs the real handler
    rules.apply()  # EventBridge rules start executions; schedules fire
    schedules.apply()  # EventBridge Scheduler's schedules fire on the same clock
    sync_executions.apply()  # StartSyncExecution; Express executions keep no history, as on AWS
    activities.apply()  # activity Tasks wait for a worker's GetActivityTask
    execution_logs.apply()  # executions write their history to CloudWatch Logs when configured
    execute_api.apply(port)  # REST and HTTP API integrations call Step Functions
    imports.apply()  # OpenAPI and Swagger definitions imported as API Gateway imports them
    jsonata_support.apply()  # JSONata expressions and variables, with jsonata-python
    interpreter.apply()  # where moto's interpreter differs from AWS's recorded behaviour
    branches.apply()  # a failing Map iteration or Parallel branch ends the others as on AWS
    map_state.apply()  # ItemBatcher, tolerated failures, map runs, ResultWriter
    test_state.apply()  # TestState: one state, inspection data, mocks, as AWS answers
    service_integrations.apply()  # SQS, SNS, DynamoDB, ECS and Step Functions Tasks, as on AWS
    heartbeats.apply()  # a Catch or Retry on States.HeartbeatTimeout catches heartbeat timeouts
    lifecycle.apply()  # watchers see each execution's events and its end
    redrive.apply()  # RedriveExecution: executions resume from their journal
    status_events.apply()  # "Step Functions Execution Status Change" events on the default bus
    cloudwatch_metrics.apply()  # metrics stored and answered as CloudWatch does, on the clock
    metrics.apply()  # executions publish AWS/States metrics (Lambda publishes AWS/Lambda's)
    alarms.apply()  # alarms start INSUFFICIENT_DATA, are evaluated on the clock, notify SNS
    traces.apply()  # traced executions write X-Ray segments; X-Ray answers summaries and traces
    ecs_tasks.apply(f"http://127.0.0.1:{port}")  # Python images' commands run as processes
    run_task_state.apply()  # ecs:runTask.sync fails when its task does
    sqs_events.apply()  # SQS event source mappings: a poller delivers batches to functions
    authorization.apply()  # IAM: roles Step Functions may assume, Map runs, policy simulator
    cloudformation_api.apply(port)  # stacks, SAM, change sets and rollback, as CloudFormation
    if account_like.enabled():  # tests of the aws path only: a fresh account's delays
        account_like.apply()
