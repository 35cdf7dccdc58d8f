"""The order service's own metrics: orders by status (the Grafana overview) and the stuck sagas.

``StuckOrdersCollector`` is computed from the database at scrape time. The consumer's health
server serves it (``ConsumeCommand.collectors``): one long-running process per deployment, so
Prometheus sees one series whatever the web replicas, and nothing needs a refresh loop.
"""

import logging

from django.db import DatabaseError, connection, transaction
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger("musiccorp.order.metrics")

ORDERS = Counter(
    "musiccorp_orders", "Orders entering each status (PENDING when placed, then PAID, COMPLETED or CANCELLED).", ["status"]
)


def count_transition(status: str) -> None:
    """Count the order entering ``status`` once its transaction commits (a rollback counts nothing)."""
    transaction.on_commit(lambda: ORDERS.labels(status).inc())


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
