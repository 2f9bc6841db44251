"""AWS IAM on the local target.

- ``managed_policies``: AWS managed policies such as ``AWSLambdaRole`` exist, as in an account.
- ``service_roles``: may a service (EventBridge, API Gateway) act with a role? Why not.
- ``api``: where moto's IAM answers differ from IAM's (inline policies without a version).
- ``authorization``: every call made as a role (a state machine's, a Lambda handler's) is
  allowed or refused as IAM decides it; the policy simulator.
"""
