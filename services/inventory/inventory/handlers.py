"""inventory's event handlers: each maps an envelope onto a rule in ``inventory.services``.

The consumer runs each one inside the transaction that records the event as processed.
"""

from inventory.services import release_order, ship_order
from musiccorp_common.events import Envelope


def on_payment_failed(envelope: Envelope) -> None:
    """Compensate: give back the order's reserved stock (publishes stock.released when any)."""
    release_order(envelope.data["order_id"])


def on_shipment_dispatched(envelope: Envelope) -> None:
    """The order's reserved units left the warehouse."""
    ship_order(envelope.data["order_id"])


HANDLERS = {"payment.failed": on_payment_failed, "shipment.dispatched": on_shipment_dispatched}
