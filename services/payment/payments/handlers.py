"""payment's event handlers: order.placed -> take the payment, order.cancelled -> void an unpaid order.

on_order_placed handles its own transactions (``handles_own_transaction``): the PENDING payment
must commit before the provider is called (see ``payments.services``). on_order_cancelled runs
inside the consumer's transaction like any other handler.
"""

from musiccorp_common.events import Envelope
from musiccorp_common.events.consumer import handles_own_transaction
from payments.services import take_payment, void_unpaid


@handles_own_transaction
def on_order_placed(envelope: Envelope, mark_processed) -> bool:
    """False when the event was processed before (the consumer counts it as a duplicate)."""
    fresh = True

    def record() -> bool:
        nonlocal fresh
        fresh = mark_processed()
        return fresh

    data = envelope.data
    take_payment(data["order_id"], data["total"], data["currency"], data["payment_token"], mark_processed=record)
    return fresh


def on_order_cancelled(envelope: Envelope) -> None:
    void_unpaid(envelope.data["order_id"])


HANDLERS = {"order.placed": on_order_placed, "order.cancelled": on_order_cancelled}
