"""What order's consumer does with each event it subscribes to: the saga's incoming side.

Each handler runs inside the consumer's transaction that also records the event id, so a
redelivered event is skipped before it gets here; the rules themselves live in services.py.
"""

from musiccorp_common.events import Envelope
from orders import services


def on_payment_received(envelope: Envelope) -> None:
    services.mark_paid(envelope.data["order_id"], envelope.data["payment_id"])


def on_payment_failed(envelope: Envelope) -> None:
    services.cancel_order(envelope.data["order_id"], envelope.data["reason"], envelope.data["payment_id"])


def on_shipment_dispatched(envelope: Envelope) -> None:
    services.complete_order(envelope.data["order_id"], envelope.data["shipment_id"], envelope.data["tracking_number"])


HANDLERS = {
    "payment.received": on_payment_received,
    "payment.failed": on_payment_failed,
    "shipment.dispatched": on_shipment_dispatched,
}
