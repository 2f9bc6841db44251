"""ShipOrder: a slow call to a shipping partner, for notebook 07's timeouts."""

import time


def ship(event, context):
    """Wait ``event["partner_delay_s"]`` seconds (the partner's answer time), then confirm
    (naming the order when the input has one)."""
    time.sleep(event.get("partner_delay_s", 0))
    confirmation = {"shipped": True}
    if "order" in event:
        confirmation["order"] = event["order"]
    return confirmation
