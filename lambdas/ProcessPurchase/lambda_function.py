"""ProcessPurchase: the blog's purchase handler.

Input example: {"TransactionType": "PURCHASE"}
"""

import datetime

print("Loading function...")  # runs once, when Lambda loads the module (the "init" phase)


def process_purchase(message, context):
    """Log the input and answer with the transaction type, a timestamp and a greeting."""
    # 1. Log the input message: it shows up in CloudWatch Logs.
    print("Received message from Step Functions: ")
    print(message)

    # 2. Construct the response object (the blog's timestamp uses dashes in the time part).
    response = {}
    response["TransactionType"] = message["TransactionType"]
    response["Timestamp"] = datetime.datetime.now().strftime("%Y-%m-%d %H-%M-%S")
    response["Message"] = "Hello from lambda land inside the ProcessPurchase function"

    return response
