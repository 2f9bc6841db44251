"""The local target: an AWS emulator built on moto's server, extended where moto falls short.

Walk it top-down:

- ``server``: the emulator's own process: start it, check its health, stop it, route requests.
- ``fixes``: every change to moto, service by service, in the order it is applied.
- ``patching``: the helper fixes use to replace a name everywhere moto copied it.
- ``account_like``: for tests of the aws target only, a mode that behaves like a fresh AWS
  account (role propagation delays, ``Pending`` functions, throttling).
- ``moto_speed``: places where moto spends time it need not, made cheap.
- ``wire_format``: the bytes of the services' answers, as AWS writes them.
- one folder per AWS service, as moto lays out its own: ``awslambda``, ``stepfunctions``,
  ``events`` (EventBridge), ``scheduler`` (EventBridge Scheduler), ``apigateway``, ``iam``,
  ``sqs``, ``sns``, ``dynamodb``, ``ecs`` and ``cloudformation``; each folder's ``__init__``
  lists its modules.
"""
