"""shipping's own Prometheus counters (beside django-prometheus and the event library's)."""

from prometheus_client import Counter

SHIPMENTS_DISPATCHED = Counter("musiccorp_shipments_dispatched_total", "Shipments dispatched, by carrier.", ["carrier"])
