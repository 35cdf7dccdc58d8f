"""payment's own Prometheus counters (beside django-prometheus and the event library's)."""

from prometheus_client import Counter

PAYMENTS = Counter(
    "musiccorp_payments_total",
    "Payments taken, by status (SUCCEEDED, DECLINED) and reason.",
    ["status", "reason"],
)
PAYMENTS_SKIPPED = Counter("musiccorp_payments_skipped_total", "order.placed events for orders that already have a payment.")
PAYMENTS_VOIDED = Counter(
    "musiccorp_payments_voided_total", "Orders cancelled before any payment: a VOIDED tombstone, never charged."
)
