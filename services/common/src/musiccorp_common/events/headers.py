"""Message headers: the correlation id and the W3C trace context travel with every event."""

from opentelemetry import propagate

CORRELATION_HEADER = "x-correlation-id"
ERROR_HEADERS = ("x-dlq-error", "x-dlq-original-topic", "x-dlq-original-partition", "x-dlq-original-offset")


def outgoing_headers(correlation_id: str) -> dict[str, str]:
    """Headers for a new event: the correlation id plus ``traceparent`` of the current span."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    carrier[CORRELATION_HEADER] = correlation_id
    return carrier


def span_attributes(topic: str, event_id: str, correlation_id: str) -> dict[str, str]:
    """The OpenTelemetry messaging attributes of a publish or process span of one event."""
    return {
        "messaging.system": "kafka",
        "messaging.destination.name": topic,
        "messaging.message.id": event_id,
        "musiccorp.correlation_id": correlation_id,
    }


def as_kafka_headers(headers: dict[str, str]) -> list[tuple[str, bytes]]:
    return [(name, value.encode()) for name, value in headers.items()]


def from_kafka_headers(raw: list[tuple[str, bytes | None]] | None) -> dict[str, str]:
    result = {}
    for name, value in raw or []:
        result[name] = value.decode(errors="replace") if value is not None else ""
    return result
