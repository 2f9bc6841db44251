"""ConfirmOrder: tells the warehouse about a purchase, for notebook 13 (operating a workflow).

The warehouse's address comes from the function's environment variable ``WAREHOUSE_URL``, as a
real integration's would. Notebook 13 "breaks" the function by setting it to an address that
does not answer, and "fixes" it by setting it back: the code never changes, only the
configuration, which is how many incidents really happen.
"""

import os

WORKING_WAREHOUSE = "https://warehouse.example.com/orders"


class WarehouseUnavailable(Exception):
    """The warehouse did not answer: the order cannot be confirmed yet."""


def confirm(event, context):
    """Confirm the purchase in ``event`` with the warehouse; raise ``WarehouseUnavailable``
    while the configured address is not the warehouse's."""
    url = os.environ.get("WAREHOUSE_URL", WORKING_WAREHOUSE)
    if url != WORKING_WAREHOUSE:
        raise WarehouseUnavailable(f"no answer from {url}")
    print(f"Confirmed {event.get('TransactionType')} with {url}")
    return {"Confirmed": True, "Warehouse": "ICN-1", "Purchase": event}
