"""Amazon SNS on the local target: moto's topics, with SNS's answers where moto falls short.

- ``api``: publishing (FIFO sequence numbers, the group id's error, missing topics), as SNS
  answers it.
"""
