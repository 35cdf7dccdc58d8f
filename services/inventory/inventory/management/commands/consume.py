"""``manage.py consume``: inventory's consumer and outbox relay.

It consumes order.placed, payment.failed, order.cancelled and shipment.dispatched.
"""

from inventory.handlers import HANDLERS
from musiccorp_common.events.command import ConsumeCommand


class Command(ConsumeCommand):
    help = (
        "Confirm placed orders' reservations, release the stock of failed payments and cancelled orders, "
        "ship dispatched orders, relay the outbox. Example: python manage.py consume"
    )
    group_id = "inventory"
    handlers = HANDLERS
