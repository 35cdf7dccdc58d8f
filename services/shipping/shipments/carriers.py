"""Which carrier takes an order, and the tracking number it gets (simulated: no carrier is called).

The carrier follows from the order id, so a redelivered event would pick the same one; the
tracking number comes from the shipment's own random id, prefixed with the carrier's code.
"""

import uuid

# (name, tracking number prefix)
CARRIERS = (("DHL", "JD"), ("UPS", "1Z"), ("PostNL", "3S"))


def carrier_for(order_id: uuid.UUID) -> str:
    return CARRIERS[order_id.int % len(CARRIERS)][0]


def tracking_number(carrier: str, shipment_id: uuid.UUID) -> str:
    prefix = dict(CARRIERS)[carrier]
    return f"{prefix}{shipment_id.hex[:16].upper()}"
