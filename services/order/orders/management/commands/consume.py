"""``manage.py consume``: order's consumer (payment and shipment events) plus its outbox relay."""

from musiccorp_common.events.command import ConsumeCommand
from orders.handlers import HANDLERS


class Command(ConsumeCommand):
    help = (
        "Consume payment.received, payment.failed and shipment.dispatched and relay order's outbox. "
        "Example: python manage.py consume"
    )
    group_id = "order"
    handlers = HANDLERS
