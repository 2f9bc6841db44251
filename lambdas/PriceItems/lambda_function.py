"""PriceItems: price a batch of order lines, for notebook 08's Map over many items.

It receives ``{"Items": [...], "BatchInput": {...}}``, the shape a Map state's ItemBatcher
sends: one invocation prices many lines, which is what makes processing lots of data cheap.
``BatchInput.work_ms`` stands in for real work (a database call, say) that takes time.
A line with a negative quantity is bad data: the whole batch fails, and the Map's tolerated
failure budget decides whether the run goes on.
"""

import time


class BadOrderLine(Exception):
    """An order line that cannot be priced."""


def price(event, context):
    """Return each line's total and the batch's sum."""
    time.sleep(event.get("BatchInput", {}).get("work_ms", 0) / 1000)
    priced = []
    for line in event["Items"]:
        if line["quantity"] < 0:
            raise BadOrderLine(f"Order line {line['id']} has a negative quantity")
        priced.append({"id": line["id"], "total": round(line["quantity"] * line["unit_price"], 2)})
    return {
        "lines": len(priced),
        "sum": round(sum(p["total"] for p in priced), 2),
        "priced": priced,
    }
