"""Amazon EventBridge on the local target: rules and schedules that start executions (``rules``)."""
