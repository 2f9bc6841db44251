"""AWS Step Functions on the local target: moto's API and interpreter, made to behave like AWS.

- ``api``: the service's actions (create, start, validate) and their errors.
- ``validation``: definition diagnostics, as ``ValidateStateMachineDefinition`` reports them.
- ``interpreter``: where moto's interpreter runs states differently from AWS.
- ``jsonata_support``: JSONata expressions and variables, on the ``jsonata-python`` engine.
- ``branches``: how a failing inline Map iteration or Parallel branch ends the others.
- ``map_state``: the Distributed Map (item batches, tolerated failures, map runs, ResultWriter).
- ``service_integrations``: Task states calling SQS, SNS, DynamoDB and Step Functions itself.
- ``sync_executions``: ``StartSyncExecution`` for EXPRESS state machines; Express executions
  keep no history (``DescribeExecution`` refuses them), as on AWS.
- ``execution_logs``: executions send their history to CloudWatch Logs as the machine's
  ``loggingConfiguration`` asks.
- ``task_tokens``: the state machine a task token belongs to, which IAM checks
  ``SendTaskSuccess``, ``SendTaskFailure`` and ``SendTaskHeartbeat`` against.
- ``activities``: activity Tasks, and ``GetActivityTask`` for the workers that take them.
- ``test_state``: ``TestState``, one state run on its own with inspection data and mocks;
  ``test_state_checks``: the requests it refuses, as AWS does.
"""
