"""ChargePayment: a payment call that can fail, for notebook 07 (error handling).

The failures are deterministic, so the notebook shows the same story every time:
* the payment gateway is "busy" on the first ``busy_attempts`` tries (a transient error worth
  retrying); the state machine passes the retry count in as ``attempt``;
* a card number starting with ``0000`` is declined (a permanent error: retrying cannot help).
"""


class GatewayBusy(Exception):
    """Transient: the payment gateway asks us to try again later."""


class CardDeclined(Exception):
    """Permanent: the bank refused the card."""


def charge(event, context):
    """Charge ``event["amount"]`` to ``event["card"]``; raise GatewayBusy or CardDeclined."""
    attempt = event.get("attempt", 0)
    print(f"Charging {event['amount']} to card {event['card'][-4:]}, attempt {attempt}")
    if attempt < event.get("busy_attempts", 0):
        raise GatewayBusy(f"Gateway busy on attempt {attempt}, try again")
    if event["card"].startswith("0000"):
        raise CardDeclined(f"Card ending {event['card'][-4:]} was declined")
    return {"status": "CHARGED", "amount": event["amount"], "attempts": attempt + 1}
