"""inventory's event handlers: each maps an envelope onto a rule in ``inventory.services``.

The consumer runs each one inside the transaction that records the event as processed.
"""

from inventory.services import confirm_order, release_order, ship_order
from musiccorp_common.events import Envelope


def on_order_placed(envelope: Envelope) -> None:
    """The order committed: its reservations are confirmed, so the sweeper leaves them alone."""
    confirm_order(envelope.data["order_id"])


def on_payment_failed(envelope: Envelope) -> None:
    """Compensate: give back the order's reserved stock (publishes stock.released when any)."""
    release_order(envelope.data["order_id"], cause="payment_failed")


def on_order_cancelled(envelope: Envelope) -> None:
    """Compensate any cancellation (a payment timeout, say): release what the order still holds."""
    release_order(envelope.data["order_id"], cause="order_cancelled")


def on_shipment_dispatched(envelope: Envelope) -> None:
    """The order's reserved units left the warehouse."""
    ship_order(envelope.data["order_id"])


HANDLERS = {
    "order.placed": on_order_placed,
    "payment.failed": on_payment_failed,
    "order.cancelled": on_order_cancelled,
    "shipment.dispatched": on_shipment_dispatched,
}
