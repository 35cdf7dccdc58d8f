"""The order service's own metrics: orders by status (the Grafana overview), how long sagas take
from placement to their end (the saga dashboard) and the stuck sagas.

``StuckOrdersCollector`` is computed from the database at scrape time. The consumer's health
server serves it (``ConsumeCommand.collectors``): one long-running process per deployment, so
Prometheus sees one series whatever the web replicas, and nothing needs a refresh loop.
"""

import logging

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger("musiccorp.order.metrics")

ORDERS = Counter(
    "musiccorp_orders", "Orders entering each status (PENDING when placed, then PAID, COMPLETED or CANCELLED).", ["status"]
)

# Sagas end in seconds when payment and shipping answer at once, and up to ORDER_PAYMENT_TIMEOUT_SECONDS
# (expire_orders) when payment never does: buckets from 100 ms to an hour.
SAGA_SECONDS = Histogram(
    "musiccorp_order_saga_seconds",
    "Seconds from an order's placement to its terminal status (COMPLETED or CANCELLED), observed once per order.",
    ["status"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)


def count_transition(status: str) -> None:
    """Count the order entering ``status`` once its transaction commits (a rollback counts nothing)."""
    transaction.on_commit(lambda: ORDERS.labels(status).inc())


def observe_saga_end(status: str, placed_at) -> None:
    """Observe placed -> ``status`` (a terminal one) once the transaction that ends the saga commits.

    Callers call it only on the transition into the terminal status, so a redelivered event or a
    late contradictory one observes nothing; a rollback observes nothing either.
    """
    transaction.on_commit(lambda: SAGA_SECONDS.labels(status).observe((timezone.now() - placed_at).total_seconds()))


class StuckOrdersCollector:
    """``musiccorp_orders_stuck{status}``: orders PENDING or PAID beyond their deadline (orders.services)."""

    def describe(self):
        # Registering must not query the database (a registry calls describe() at once).
        return [GaugeMetricFamily("musiccorp_orders_stuck", "")]

    def collect(self):
        from orders.services import stuck_order_counts

        try:
            counts = stuck_order_counts()
        except DatabaseError:
            # No sample rather than a wrong zero; the database's own alerts cover the outage.
            logger.warning("stuck orders: the database did not answer", exc_info=True)
            return
        finally:
            # The health server answers each scrape on a new thread: leave no connection behind.
            connection.close()
        gauge = GaugeMetricFamily(
            "musiccorp_orders_stuck",
            "Orders PENDING longer than ORDER_PENDING_DEADLINE_SECONDS or PAID longer than ORDER_PAID_DEADLINE_SECONDS.",
            labels=["status"],
        )
        for status, count in sorted(counts.items()):
            gauge.add_metric([str(status)], count)
        yield gauge
