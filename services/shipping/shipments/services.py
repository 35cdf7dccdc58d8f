"""shipping's business rule: dispatch a paid order once and publish shipment.dispatched.

``dispatch_order`` runs in the consumer's transaction. The unique ``order_id`` makes a second
dispatch of one order impossible, even for two deliveries that race.
"""

import logging
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from musiccorp_common.events import publish_event
from shipments.carriers import carrier_for, tracking_number
from shipments.metrics import SHIPMENTS_DISPATCHED
from shipments.models import Shipment

logger = logging.getLogger("musiccorp.shipments")


def dispatch_order(order_id: str) -> Shipment | None:
    """Create the order's shipment and publish shipment.dispatched; None when it was dispatched already."""
    order_id = uuid.UUID(str(order_id))
    # Only its event handler calls it, in the consumer's transaction (a savepoint per message),
    # and lets any error through: no savepoint of its own needed (one round trip pair less).
    with transaction.atomic(savepoint=False):
        if Shipment.objects.filter(order_id=order_id).exists():
            logger.info("order %s already dispatched", order_id)
            return None
        shipment_id = uuid.uuid4()
        carrier = carrier_for(order_id)
        try:
            # A savepoint: a concurrent duplicate loses on the unique order_id without aborting the outer transaction.
            with transaction.atomic():
                shipment = Shipment.objects.create(
                    id=shipment_id,
                    order_id=order_id,
                    carrier=carrier,
                    tracking_number=tracking_number(carrier, shipment_id),
                    dispatched_at=timezone.now(),
                )
        except IntegrityError:
            logger.info("order %s was dispatched meanwhile", order_id)
            return None
        publish_event(
            "shipment.dispatched",
            str(order_id),
            {
                "order_id": str(order_id),
                "shipment_id": str(shipment.id),
                "carrier": shipment.carrier,
                "tracking_number": shipment.tracking_number,
                "dispatched_at": shipment.dispatched_at.isoformat(),
            },
        )
        transaction.on_commit(lambda: SHIPMENTS_DISPATCHED.labels(carrier).inc())
    logger.info("order %s dispatched with %s, tracking %s", order_id, shipment.carrier, shipment.tracking_number)
    return shipment
