"""``manage.py consume``: order's consumer (payment and shipment events) plus its outbox relay.

Its /metrics also carries ``musiccorp_orders_stuck`` (orders.metrics.StuckOrdersCollector).
"""

from musiccorp_common.events.command import ConsumeCommand
from orders.handlers import HANDLERS
from orders.metrics import StuckOrdersCollector


class Command(ConsumeCommand):
    help = (
        "Consume payment.received, payment.failed and shipment.dispatched and relay order's outbox. "
        "Example: python manage.py consume"
    )
    group_id = "order"
    handlers = HANDLERS
    collectors = [StuckOrdersCollector()]
