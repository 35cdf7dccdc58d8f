"""shipping's event handler: payment.received -> dispatch the order (see ``shipments.services``).

The consumer runs it inside the transaction that records the event as processed.
"""

from musiccorp_common.events import Envelope
from shipments.services import dispatch_order


def on_payment_received(envelope: Envelope) -> None:
    dispatch_order(envelope.data["order_id"])


HANDLERS = {"payment.received": on_payment_received}
