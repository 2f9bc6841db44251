"""Amazon API Gateway on the local target: deployed APIs answer on loopback.

- ``execute_api``: a deployed REST or HTTP API's invoke URL, calling Step Functions.
- ``vtl``: REST mapping templates (Velocity), rendered by ``airspeed``.
"""
