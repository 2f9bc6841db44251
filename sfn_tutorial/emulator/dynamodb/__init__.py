"""Amazon DynamoDB on the local target: moto's tables, with DynamoDB's request validation.

- ``api``: the validation errors DynamoDB answers before it looks for a table.
"""
