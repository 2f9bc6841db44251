"""ShipOrder: a slow call to a shipping partner, for notebook 07's timeouts."""

import time


def ship(event, context):
    """Wait ``event["partner_delay_s"]`` seconds (the partner's answer time), then confirm."""
    time.sleep(event.get("partner_delay_s", 0))
    return {"shipped": True, "order": event.get("order")}
