"""Prometheus metrics of the event machinery (consumer loop and outbox relay)."""

from prometheus_client import Counter, Gauge, Histogram

EVENTS_CONSUMED = Counter(
    "musiccorp_events_consumed_total",
    "Messages the consumer finished, by outcome (handled, duplicate, dead_lettered).",
    ["topic", "event_type", "outcome"],
)
EVENT_HANDLER_ERRORS = Counter("musiccorp_event_handler_errors_total", "Failed handler attempts (each retry counts).", ["topic"])
EVENTS_DEAD_LETTERED = Counter("musiccorp_events_dead_lettered_total", "Messages sent to <topic>.dlq.", ["topic"])
EVENT_HANDLE_SECONDS = Histogram("musiccorp_event_handle_seconds", "Time to handle one message, retries included.", ["topic"])
CONSUMER_LAG = Gauge(
    "musiccorp_consumer_lag",
    "Messages behind the partition's end after the last commit.",
    ["topic", "partition"],
    multiprocess_mode="max",
)
OUTBOX_PUBLISHED = Counter("musiccorp_outbox_published_total", "Outbox events delivered to Kafka.", ["topic"])
OUTBOX_PUBLISH_ERRORS = Counter("musiccorp_outbox_publish_errors_total", "Outbox deliveries that failed.", ["topic"])
# The relay's backlog gauges are read from the outbox table; every relay (each process) sets
# them, so the most recent reading is the truth ("mostrecent"), and a dead relay's is superseded.
OUTBOX_PENDING = Gauge(
    "musiccorp_outbox_pending",
    "Outbox events not yet delivered and not parked (read by the last relay pass).",
    multiprocess_mode="mostrecent",
)
OUTBOX_PARKED = Gauge(
    "musiccorp_outbox_parked",
    "Outbox events parked after EVENTS_RELAY_MAX_ATTEMPTS failed deliveries (docs/runbooks/outbox.md).",
    multiprocess_mode="mostrecent",
)
OUTBOX_OLDEST_UNSENT_AGE = Gauge(
    "musiccorp_outbox_oldest_unsent_age_seconds",
    "Age of the oldest outbox event neither delivered nor parked; 0 when there is none.",
    multiprocess_mode="mostrecent",
)
CONSUMER_RETRYING = Gauge(
    "musiccorp_consumer_retrying",
    "1 while the consumer retries a message after a transient failure (database or Kafka away); it is not ready then.",
    multiprocess_mode="max",
)
