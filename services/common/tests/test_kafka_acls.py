"""Kafka authentication and ACLs on the real broker (docs/security.md): a client without
credentials or with a wrong password is refused, and a service user writes only the topics it
publishes (and the DLQs of what it consumes) and reads only what it consumes.

The restricted users are made per test (random name and password, ACLs from the topic table
kafka.topics of charts/umbrella/values.yaml, on this test's prefixed topics), so the tests leave
the stack's users alone; test_stack_users_have_exactly_the_table_acls checks those.
"""

import secrets
import uuid
from pathlib import Path

import pytest
import yaml
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)
from django.conf import settings

from musiccorp_common.events.envelope import TOPIC_OWNERS
from musiccorp_common.testing.kafka import client_config

# Needs the broker with SCRAM and ACLs (the local stack's, tox env unit); the containers' plain
# stand-in broker (tox env integration) deselects them with -m "not kafka_auth".
pytestmark = pytest.mark.kafka_auth

VALUES = Path(__file__).resolve().parents[3] / "charts" / "umbrella" / "values.yaml"
TOPIC, GROUP = ResourceType.TOPIC, ResourceType.GROUP
WRITE, READ, DESCRIBE = AclOperation.WRITE, AclOperation.READ, AclOperation.DESCRIBE


def topic_table() -> list[dict]:
    return yaml.safe_load(VALUES.read_text())["kafka"]["topics"]


def table_acls(service: str, prefix: str = "", group: str | None = None) -> set[tuple]:
    """What the chart and ci/stack/kafka_admin.py grant ``service``, on ``prefix``ed topics."""
    acls = set()
    for row in topic_table():
        name = f"{prefix}{row['name']}"
        if row["producer"] == service:
            acls |= {(TOPIC, name, WRITE), (TOPIC, name, DESCRIBE)}
        if service in row["consumers"]:
            acls |= {(TOPIC, name, READ), (TOPIC, name, DESCRIBE)}
            acls |= {(TOPIC, f"{name}.dlq", WRITE), (TOPIC, f"{name}.dlq", DESCRIBE), (TOPIC, f"{name}.dlq", READ)}
    if any(service in row["consumers"] for row in topic_table()):
        acls.add((GROUP, group or service, READ))
    return acls


def admin() -> AdminClient:
    return AdminClient(client_config(settings.KAFKA_BOOTSTRAP_SERVERS))


@pytest.fixture
def service_user(kafka_topics):
    """make(service) -> librdkafka credentials of a fresh user with that service's ACLs."""
    made, client = [], admin()  # the client must outlive its futures

    def make(service: str) -> dict:
        name, password = f"test-{uuid.uuid4().hex[:8]}-{service}", secrets.token_hex(16)
        info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096)
        for future in client.alter_user_scram_credentials([UserScramCredentialUpsertion(name, info, password.encode())]).values():
            future.result(30)
        bindings = [
            AclBinding(rtype, rname, ResourcePatternType.LITERAL, f"User:{name}", "*", op, AclPermissionType.ALLOW)
            for rtype, rname, op in table_acls(service, kafka_topics, group=f"{name}-group")
        ]
        for future in client.create_acls(bindings).values():
            future.result(30)
        made.append(name)
        return sasl(name, password) | {"group.id": f"{name}-group"}

    yield make
    deletions = [UserScramCredentialDeletion(name, ScramMechanism.SCRAM_SHA_512) for name in made]
    if deletions:
        for future in client.alter_user_scram_credentials(deletions).values():
            future.result(30)
        filters = [
            AclBindingFilter(
                ResourceType.ANY, None, ResourcePatternType.ANY, f"User:{name}", None, AclOperation.ANY, AclPermissionType.ANY
            )
            for name in made
        ]
        for future in client.delete_acls(filters).values():
            future.result(30)


def sasl(username: str, password: str) -> dict:
    return {
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": username,
        "sasl.password": password,
    }


def produce(config: dict, topic: str) -> KafkaError | None:
    """Produce one message; the delivery error (None when the broker acknowledged it)."""
    producer = Producer(
        {"bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS, "message.timeout.ms": 8000, "log_level": 3, **config}
    )
    result = {}
    producer.produce(topic, key=b"k", value=b"v", on_delivery=lambda err, msg: result.setdefault("error", err))
    producer.flush(15)
    return result.get("error", "no delivery report")


def consume_error(config: dict, topic: str) -> KafkaError | None:
    """Subscribe and poll for a while: the first error the broker sends back (None: none came)."""
    consumer = Consumer(
        {
            "bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS,
            "log_level": 3,  # refused connections are the point here: keep librdkafka quiet
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "group.id": config.pop("group.id", f"test-{uuid.uuid4().hex[:8]}"),
            **config,
        }
    )
    errors = []
    consumer_config_error = None
    try:
        # Metadata first: an unauthenticated client never gets a poll error, only this timeout.
        consumer.list_topics(topic, timeout=5)
        consumer.subscribe([topic])
        for _ in range(10):
            message = consumer.poll(1.0)
            if message is not None and message.error():
                errors.append(message.error())
                break
            if message is not None:
                return None
    except KafkaException as exc:
        consumer_config_error = exc.args[0]
    finally:
        consumer.close()
    return consumer_config_error or (errors[0] if errors else None)


def test_client_without_credentials_cannot_produce_or_consume(kafka_topics):
    topic = f"{kafka_topics}order.placed"
    error = produce({"security.protocol": "PLAINTEXT"}, topic)
    assert error is not None
    assert error.code() in (KafkaError._MSG_TIMED_OUT, KafkaError._TRANSPORT), error
    error = consume_error({"security.protocol": "PLAINTEXT"}, topic)
    assert error is not None
    assert error.code() in (KafkaError._TIMED_OUT, KafkaError._TRANSPORT), error


def test_wrong_password_is_refused_on_produce_and_consume(kafka_topics, service_user):
    config = service_user("order")
    config["sasl.password"] = "not-the-password"
    topic = f"{kafka_topics}order.placed"
    refusals = []
    config["error_cb"] = refusals.append  # the SASL failure reaches the client as an error event
    assert produce(dict(config), topic) is not None
    assert consume_error(dict(config), topic) is not None
    codes = {e.code() for e in refusals}
    assert KafkaError._AUTHENTICATION in codes, refusals
    # After the refusal librdkafka may also report that no broker is usable; nothing else.
    assert codes <= {KafkaError._AUTHENTICATION, KafkaError._ALL_BROKERS_DOWN}, refusals
    assert any("Authentication failed" in e.str() for e in refusals if e.code() == KafkaError._AUTHENTICATION)


def test_service_user_cannot_publish_a_topic_another_service_owns(kafka_topics, service_user):
    order = service_user("order")
    assert TOPIC_OWNERS["payment.received"] == "payment"
    error = produce(order, f"{kafka_topics}payment.received")
    assert error is not None
    assert error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, error


def test_service_user_cannot_read_a_topic_it_does_not_consume(kafka_topics, service_user):
    shipping = service_user("shipping")  # consumes payment.received only
    error = consume_error(shipping, f"{kafka_topics}order.placed")
    assert error is not None
    assert error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, error


def test_service_user_publishes_its_topics_reads_what_it_consumes_and_writes_their_dlq(kafka_topics, service_user):
    payment = service_user("payment")
    assert produce(dict(payment), f"{kafka_topics}payment.received") is None
    assert produce(dict(payment), f"{kafka_topics}order.placed.dlq") is None  # its EventConsumer's DLQ producer
    order = service_user("order")
    assert produce(dict(order), f"{kafka_topics}order.placed") is None
    assert consume_error(dict(payment), f"{kafka_topics}order.placed") is None
    assert consume_error(dict(payment), f"{kafka_topics}order.placed.dlq") is None  # replay_dlq reads it back


def test_stack_users_have_exactly_the_table_acls():
    """The local stack's users (ci/stack/kafka_admin.py create-users), as the broker has them."""
    client = admin()
    for service in sorted({row["producer"] for row in topic_table()}):
        pattern = AclBindingFilter(
            ResourceType.ANY, None, ResourcePatternType.ANY, f"User:{service}", None, AclOperation.ANY, AclPermissionType.ANY
        )
        bindings = client.describe_acls(pattern).result(30)
        got = {(b.restype, b.name, b.operation) for b in bindings}
        assert got == table_acls(service), service
