"""Amazon EventBridge on the local target: rules and schedules that start executions, invoke
functions and publish to topics (``rules``)."""
