"""Kafka admin for the local stack: health probe, topics, SCRAM users and their ACLs.

    kafka_admin.py ping            exit 0 when the broker answers a metadata request
    kafka_admin.py create-topics   create every missing topic with kafka.topicPartitions partitions, and grow
                                   an existing topic that has fewer (idempotent)
    kafka_admin.py create-users    SCRAM-SHA-512 user and ACLs per service (idempotent)

The topics and who may write or read them come from one table, `kafka.topics` in
charts/umbrella/values.yaml (the chart's KafkaTopic and KafkaUser resources read it too); each
topic has a `<topic>.dlq` twin. The script logs in as the broker's super user
(KAFKA_ADMIN_USERNAME / KAFKA_ADMIN_PASSWORD of $RUN_DIR/secrets.env); a service's password is
KAFKA_PASSWORD_<SERVICE> there. ACLs match the chart's (docs/security.md):
producer Write+Describe on its topics; each consumer Read+Describe on what it consumes,
Read+Write+Describe on those topics' DLQs (its dead-letter producer, and `manage.py replay_dlq`
reading them back) and Read on its group.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import yaml
from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewPartitions,
    NewTopic,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

# The topic table; MUSICCORP_VALUES_FILE when this script runs outside the checkout (the images'
# smoke run mounts both into a service container).
VALUES_FILE = (
    Path(os.environ["MUSICCORP_VALUES_FILE"])
    if os.environ.get("MUSICCORP_VALUES_FILE")
    else Path(__file__).resolve().parents[2] / "charts" / "umbrella" / "values.yaml"
)
BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP", "127.0.0.1:9092")
REPLICATION = 1  # a single local broker
SCRAM_ITERATIONS = 4096


def topic_table() -> list[dict]:
    """`kafka.topics` of the umbrella's values: name, producer, consumers per contract topic."""
    return yaml.safe_load(VALUES_FILE.read_text())["kafka"]["topics"]


def topic_partitions() -> int:
    """`kafka.topicPartitions` of the umbrella's values: the chart's KafkaTopics have as many."""
    return int(yaml.safe_load(VALUES_FILE.read_text())["kafka"]["topicPartitions"])


def all_topics() -> list[str]:
    """Every topic the stack needs: the contract's topics and their dead-letter topics."""
    return [name for topic in topic_table() for name in (topic["name"], f"{topic['name']}.dlq")]


def service_acls(service: str) -> list[tuple[ResourceType, str, AclOperation]]:
    """(resource type, name, operation) the service is allowed, from the topic table."""
    topic, group = ResourceType.TOPIC, ResourceType.GROUP
    acls = []
    for row in topic_table():
        if row["producer"] == service:
            acls += [(topic, row["name"], AclOperation.WRITE), (topic, row["name"], AclOperation.DESCRIBE)]
        if service in row["consumers"]:
            dlq = f"{row['name']}.dlq"
            acls += [(topic, row["name"], AclOperation.READ), (topic, row["name"], AclOperation.DESCRIBE)]
            acls += [(topic, dlq, AclOperation.WRITE), (topic, dlq, AclOperation.DESCRIBE), (topic, dlq, AclOperation.READ)]
    if any(service in row["consumers"] for row in topic_table()):
        acls.append((group, service, AclOperation.READ))
    return acls


def admin_config() -> dict:
    if not os.environ.get("KAFKA_ADMIN_PASSWORD"):
        # A broker without authentication (the images' smoke run's plain stand-in).
        return {"bootstrap.servers": BOOTSTRAP, "socket.timeout.ms": 3000}
    return {
        "bootstrap.servers": BOOTSTRAP,
        "socket.timeout.ms": 3000,
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": os.environ.get("KAFKA_ADMIN_USERNAME", "admin"),
        "sasl.password": os.environ["KAFKA_ADMIN_PASSWORD"],
    }


def _admin() -> AdminClient:
    return AdminClient(admin_config())


def ping() -> int:
    try:
        metadata = _admin().list_topics(timeout=3)
    except KafkaException as exc:
        print(f"kafka not ready: {exc}", file=sys.stderr)
        return 1
    return 0 if metadata.brokers else 1


def create_topics() -> int:
    admin = _admin()
    partitions = topic_partitions()
    existing = admin.list_topics(timeout=10).topics
    missing = [t for t in all_topics() if t not in existing]
    # A stack made before the partition count went up: grow its topics (partitions can only be
    # added; keys of events already on a topic keep their old partition until consumed).
    short = [t for t in all_topics() if t in existing and len(existing[t].partitions) < partitions]
    if not missing and not short:
        print(f"    ok all {len(all_topics())} topics exist ({partitions} partitions)", file=sys.stderr)
        return 0
    failed = 0
    if missing:
        futures = admin.create_topics(
            [NewTopic(t, num_partitions=partitions, replication_factor=REPLICATION) for t in missing],
            operation_timeout=30,
        )
        failed += _report(futures, f"created ({partitions} partitions)", ignore="TOPIC_ALREADY_EXISTS")
    if short:
        futures = admin.create_partitions([NewPartitions(t, partitions) for t in short], operation_timeout=30)
        failed += _report(futures, f"grown to {partitions} partitions", ignore="INVALID_PARTITIONS")
    return 1 if failed else 0


def _report(futures: dict, done: str, ignore: str) -> int:
    """Print each topic's outcome; the number of failures (``ignore``: an error that means it is done already)."""
    failed = 0
    for topic, future in futures.items():
        try:
            future.result()
            print(f"    ok {topic} {done}", file=sys.stderr)
        except KafkaException as exc:
            if exc.args[0].name() == ignore:
                continue
            print(f"    error on {topic}: {exc}", file=sys.stderr)
            failed += 1
    return failed


def _services() -> list[str]:
    """Every service with a password in secrets.env: the chart too gives each service a user."""
    prefix = "KAFKA_PASSWORD_"
    return sorted(key.removeprefix(prefix).lower() for key in os.environ if key.startswith(prefix))


def create_users() -> int:
    """Upsert every service's SCRAM credential (its password may have changed) and add its ACLs.

    Creating an ACL that exists is a no-op for the broker, so this runs on every `up`.
    """
    admin = _admin()
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS)
    services = _services()
    upserts = [UserScramCredentialUpsertion(s, info, os.environ[f"KAFKA_PASSWORD_{s.upper()}"].encode()) for s in services]
    for user, future in admin.alter_user_scram_credentials(upserts).items():
        future.result()
        print(f"    ok SCRAM-SHA-512 user {user}", file=sys.stderr)
    bindings = [
        AclBinding(rtype, name, ResourcePatternType.LITERAL, f"User:{s}", "*", operation, AclPermissionType.ALLOW)
        for s in services
        for rtype, name, operation in service_acls(s)
    ]
    for future in admin.create_acls(bindings).values():
        future.result()
    print(f"    ok {len(bindings)} ACLs for {', '.join(services)}", file=sys.stderr)
    return 0


def main(argv: list[str]) -> int:
    commands = {"ping": ping, "create-topics": create_topics, "create-users": create_users}
    if len(argv) != 2 or argv[1] not in commands:
        print(f"usage: {argv[0]} {'|'.join(commands)}", file=sys.stderr)
        return 2
    return commands[argv[1]]()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
