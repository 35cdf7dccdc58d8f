"""Kafka admin for the local stack: health probe and the contract's topics (with their DLQs).

    kafka_admin.py ping            exit 0 when the broker answers a metadata request
    kafka_admin.py create-topics   create every missing topic, 3 partitions each (idempotent)

The topic list is the contract's (shared spec, "Events"); each topic has a `<topic>.dlq` twin.
"""

from __future__ import annotations

import os
import sys

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP", "127.0.0.1:9092")
CONTRACT_TOPICS = (
    "order.placed",
    "payment.received",
    "payment.failed",
    "shipment.dispatched",
    "order.cancelled",
    "stock.released",
)
PARTITIONS = 3
REPLICATION = 1  # a single local broker


def all_topics() -> list[str]:
    """Every topic the stack needs: the contract's topics and their dead-letter topics."""
    return [name for topic in CONTRACT_TOPICS for name in (topic, f"{topic}.dlq")]


def _admin() -> AdminClient:
    return AdminClient({"bootstrap.servers": BOOTSTRAP, "socket.timeout.ms": 3000})


def ping() -> int:
    try:
        metadata = _admin().list_topics(timeout=3)
    except KafkaException as exc:
        print(f"kafka not ready: {exc}", file=sys.stderr)
        return 1
    return 0 if metadata.brokers else 1


def create_topics() -> int:
    admin = _admin()
    existing = set(admin.list_topics(timeout=10).topics)
    missing = [t for t in all_topics() if t not in existing]
    if not missing:
        print(f"    ok all {len(all_topics())} topics exist", file=sys.stderr)
        return 0
    futures = admin.create_topics(
        [NewTopic(t, num_partitions=PARTITIONS, replication_factor=REPLICATION) for t in missing],
        operation_timeout=30,
    )
    failed = 0
    for topic, future in futures.items():
        try:
            future.result()
            print(f"    ok created {topic} ({PARTITIONS} partitions)", file=sys.stderr)
        except KafkaException as exc:
            if exc.args[0].name() == "TOPIC_ALREADY_EXISTS":
                continue
            print(f"    error creating {topic}: {exc}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    commands = {"ping": ping, "create-topics": create_topics}
    if len(argv) != 2 or argv[1] not in commands:
        print(f"usage: {argv[0]} {'|'.join(commands)}", file=sys.stderr)
        return 2
    return commands[argv[1]]()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
