"""``manage.py consume``: shipping's consumer (payment.received) and outbox relay."""

from musiccorp_common.events.command import ConsumeCommand
from shipments.handlers import HANDLERS


class Command(ConsumeCommand):
    help = "Dispatch paid orders, publish shipment.dispatched, relay the outbox. Example: python manage.py consume"
    group_id = "shipping"
    handlers = HANDLERS
