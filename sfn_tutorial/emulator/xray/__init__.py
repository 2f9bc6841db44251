"""AWS X-Ray on the local target: Step Functions executions' traces (``traces``)."""
