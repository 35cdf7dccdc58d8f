"""The order service's own Prometheus counters (the Grafana overview's "orders by status")."""

from django.db import transaction
from prometheus_client import Counter

ORDERS = Counter(
    "musiccorp_orders", "Orders entering each status (PENDING when placed, then PAID, COMPLETED or CANCELLED).", ["status"]
)


def count_transition(status: str) -> None:
    """Count the order entering ``status`` once its transaction commits (a rollback counts nothing)."""
    transaction.on_commit(lambda: ORDERS.labels(status).inc())
