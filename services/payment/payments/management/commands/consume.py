"""``manage.py consume``: payment's consumer (order.placed, order.cancelled) and outbox relay."""

from musiccorp_common.events.command import ConsumeCommand
from payments.handlers import HANDLERS


class Command(ConsumeCommand):
    help = (
        "Charge placed orders (order.placed), void cancelled unpaid ones (order.cancelled), relay the outbox. "
        "Example: python manage.py consume"
    )
    group_id = "payment"
    handlers = HANDLERS
