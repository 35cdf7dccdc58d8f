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
        **_failover_config(),
    }


def consumer_config(group_id: str) -> dict:
    return {
        **security_config(),
        "group.id": group_id,
        "client.id": f"{settings.SERVICE_NAME}-consumer",
        # An offset is stored by hand, only after the handler's transaction committed, and the
        # client commits what is stored every EVENTS_CONSUMER_COMMIT_INTERVAL_MS (and on
        # revocation and close): never a message the database did not see, and one OffsetCommit
        # a second instead of one per batch, a request (and a write) the broker is spared.
        "enable.auto.offset.store": False,
        "enable.auto.commit": True,
        "auto.commit.interval.ms": settings.EVENTS_CONSUMER_COMMIT_INTERVAL_MS,
        "auto.offset.reset": "earliest",
        # Cooperative rebalancing: partitions that stay with this consumer keep flowing.
        "partition.assignment.strategy": "cooperative-sticky",
        "max.poll.interval.ms": settings.EVENTS_MAX_POLL_INTERVAL_MS,
        **_failover_config(),
        # Group membership (docs/decisions/0004-consumer-error-policy.md): a dead consumer's
        # partitions move after 6 s (the broker's minimum, group.min.session.timeout.ms), and
        # three heartbeats fit in that window so one lost heartbeat is no rebalance.
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 2000,
    }


def _failover_config() -> dict:
    """How fast a client finds the broker again after it restarted (or moved, on Kubernetes).

    librdkafka's defaults double the reconnect delay up to 10 s while a broker is down, so a
    client could sit idle for up to 10 s after the broker was back (issue 9 measured 10.7 s).
    Capping the backoff at 1 s costs a connection attempt per second during an outage. Metadata
    is refreshed every 10 s rather than every 5 min, so a leader that moved is found without
    waiting for an error; keepalive lets a half-open connection (a node gone without a FIN) be
    noticed by the OS instead of after the request timeout.
    """
    return {
        "reconnect.backoff.ms": 100,
        "reconnect.backoff.max.ms": 1000,
        "socket.keepalive.enable": True,
        "socket.connection.setup.timeout.ms": 10000,
        "topic.metadata.refresh.interval.ms": 10000,
        "retry.backoff.max.ms": 1000,
    }
