"""AWS Lambda on the local target: real handler code in warm execution environments.

- ``service``: Lambda's ``Invoke`` as AWS answers it, over HTTP and in-process for Task states.
- ``runtime``: runs one invocation in an execution environment.
- ``workers``: the pool of warm execution environments, one process tree each.
- ``bootstrap``: the child side of an execution environment (standard library only).
- ``codecache``: functions' code on disk: Lambda's size limit, a private directory, removal.
- ``logs``: the invocations' log lines on their way to CloudWatch Logs, written in batches.
"""
