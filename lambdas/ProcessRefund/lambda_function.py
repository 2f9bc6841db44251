"""ProcessRefund: the blog's refund handler.

Input example: {"TransactionType": "REFUND"}
"""

import datetime

print("Loading message function...")  # runs once, when Lambda loads the module (the "init" phase)


def process_refund(message, context):
    """Log the input and answer with the transaction type, a timestamp and a refund message."""
    # 1. Log the input message.
    print("Received message from Step Function:")
    print(message)

    # 2. Construct the response.
    response = {}
    response["TransactionType"] = message["TransactionType"]
    response["Timestamp"] = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    response["Message"] = "Hello from Refund Processor!"

    # 3. Return the response (printed too, so it appears in the log).
    print(response)

    return response
