"""payment's event handler: order.placed -> take the payment (see ``payments.services``).

The consumer runs it inside the transaction that records the event as processed.
"""

from musiccorp_common.events import Envelope
from payments.services import take_payment


def on_order_placed(envelope: Envelope) -> None:
    data = envelope.data
    take_payment(data["order_id"], data["total"], data["currency"], data["payment_token"])


HANDLERS = {"order.placed": on_order_placed}
