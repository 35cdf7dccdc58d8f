"""librdkafka configuration of MusicCorp's producers and consumers, from Django settings."""

from django.conf import settings


def security_config() -> dict:
    """Connection and authentication options shared by producer, consumer and admin clients."""
    config = {
        "bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS,
        "security.protocol": settings.KAFKA_SECURITY_PROTOCOL,
    }
    if settings.KAFKA_SECURITY_PROTOCOL.upper().startswith("SASL"):
        config.update(
            {
                "sasl.mechanism": settings.KAFKA_SASL_MECHANISM,
                "sasl.username": settings.KAFKA_SASL_USERNAME,
                "sasl.password": settings.KAFKA_SASL_PASSWORD,
            }
        )
    return config


def admin_config() -> dict:
    return {**security_config(), "client.id": f"{settings.SERVICE_NAME}-admin"}


def producer_config() -> dict:
    return {
        **security_config(),
        "client.id": f"{settings.SERVICE_NAME}-producer",
        # Idempotent producer: broker-side dedup of retries, ordering kept per partition.
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "message.timeout.ms": settings.EVENTS_PUBLISH_TIMEOUT_MS,
    }


def consumer_config(group_id: str) -> dict:
    return {
        **security_config(),
        "group.id": group_id,
        "client.id": f"{settings.SERVICE_NAME}-consumer",
        # Offsets are committed by hand, only after the handler's transaction committed: an
        # auto-commit could record a message as done that the database never saw.
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        # Cooperative rebalancing: partitions that stay with this consumer keep flowing.
        "partition.assignment.strategy": "cooperative-sticky",
        "session.timeout.ms": 10000,
        "max.poll.interval.ms": settings.EVENTS_MAX_POLL_INTERVAL_MS,
    }
