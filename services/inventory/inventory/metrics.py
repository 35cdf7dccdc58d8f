"""inventory's own Prometheus counters (beside django-prometheus and the event library's)."""

from prometheus_client import Counter

STOCK_RESERVATIONS = Counter(
    "musiccorp_stock_reservations_total",
    "Reserve requests, by outcome (reserved, repeated, insufficient, conflict).",
    ["outcome"],
)
STOCK_UNITS_RELEASED = Counter("musiccorp_stock_units_released_total", "Reserved units given back, by cause.", ["cause"])
STOCK_UNITS_SHIPPED = Counter("musiccorp_stock_units_shipped_total", "Reserved units that left the warehouse.")
