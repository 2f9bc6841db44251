"""Amazon SNS on the local target: moto's topics, with SNS's answers where moto falls short.

- ``api``: FIFO publishing (sequence numbers, the group id's error), as SNS answers it.
"""
