"""``manage.py consume``: inventory's consumer (payment.failed, shipment.dispatched) and outbox relay."""

from inventory.handlers import HANDLERS
from musiccorp_common.events.command import ConsumeCommand


class Command(ConsumeCommand):
    help = "Release stock of failed payments, ship dispatched orders, relay the outbox. Example: python manage.py consume"
    group_id = "inventory"
    handlers = HANDLERS
