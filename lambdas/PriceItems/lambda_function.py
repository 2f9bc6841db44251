"""PriceItems: price a batch of order lines, for notebook 08's Map over many items.

Called by a Map state with an ItemBatcher, it receives ``{"Items": [...]}``: one invocation
prices many lines, which is what makes processing lots of data cheap. A line with a negative
quantity is bad data: the whole batch fails, and the Map's tolerated failure budget decides
whether the run goes on.
"""


class BadOrderLine(Exception):
    """An order line that cannot be priced."""


def price(event, context):
    """Return each line's total and the batch's sum."""
    items = event["Items"] if "Items" in event else [event]
    priced = []
    for line in items:
        if line["quantity"] < 0:
            raise BadOrderLine(f"Order line {line['id']} has a negative quantity")
        priced.append({"id": line["id"], "total": round(line["quantity"] * line["unit_price"], 2)})
    return {"lines": len(priced), "sum": round(sum(p["total"] for p in priced), 2), "priced": priced}
