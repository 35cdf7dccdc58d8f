"""inventory's own Prometheus counters (beside django-prometheus and the event library's)."""

from prometheus_client import Counter

STOCK_RESERVATIONS = Counter(
    "musiccorp_stock_reservations_total",
    "Reserve requests, by outcome (reserved, repeated, insufficient, conflict).",
    ["outcome"],
)
STOCK_UNITS_RELEASED = Counter(
    "musiccorp_stock_units_released_total",
    "Reserved units given back, by cause (request, payment_failed, order_cancelled, expired).",
    ["cause"],
)
STOCK_UNITS_SHIPPED = Counter("musiccorp_stock_units_shipped_total", "Reserved units that left the warehouse.")
RESERVATIONS_CONFIRMED = Counter(
    "musiccorp_stock_order_confirmations_total",
    "order.placed seen by inventory, by outcome (confirmed; expired: the sweeper had released the order's stock already).",
    ["outcome"],
)
RESERVATIONS_EXPIRED = Counter(
    "musiccorp_stock_reservations_expired_total",
    "Reservations released by the sweeper: not confirmed by a placed order within RESERVATION_TTL_SECONDS.",
)
