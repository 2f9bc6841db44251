"""Amazon SQS on the local target: moto's queues, with SQS's errors where moto falls short.

- ``api``: the actions' errors, as SQS answers them.
"""
