"""The chaos campaign's invariants, checked from outside: SQL in each service's database, Kafka.

A check reads the state of every order the campaign placed (its customer email) and of its SKUs,
as the PostgreSQL superuser (each service's own database, musiccorp_<svc>) and as Kafka's admin
(SASL SCRAM-SHA-512, both from $RUN_DIR/secrets.env), and sorts what is wrong into categories.
Each violation has a key (an order id, a reservation, a DLQ message), so the campaign can tell a
new violation from one an earlier fault left behind:

- stuck: an order (or its payment) not terminal
- lost: 201 answered but no order in the database; COMPLETED without a payment or a shipment
- duplicated: two payments or two shipments for an order; stock taken twice
- leaked: a RESERVED reservation of an order that is terminal or does not exist
- inconsistent: payment status against order status, shipment of a CANCELLED order, stock
  numbers that disagree, a new message in a `.dlq` topic, a program that is not running

Besides, ``motion`` counts what is still on its way (unsent outbox rows, consumer lag): the saga
is quiescent when that is zero and nothing changes any more.

The local stack's campaign (ci/chaos.py) uses a Checker in its own process. Where the databases
and the broker are reachable only from inside (the pods of tests/pods), the same file runs there:
`python -c "<this file>"` reads one JSON request on stdin and prints the answer (see ``serve``).
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from confluent_kafka import Consumer, KafkaException, TopicPartition

PG = {"host": "127.0.0.1", "port": 55432}
KAFKA = {"bootstrap.servers": "127.0.0.1:9092", "sasl.mechanism": "SCRAM-SHA-512"}
SERVICES = ("catalog", "inventory", "order", "payment", "shipping")
TERMINAL = ("COMPLETED", "CANCELLED")
CATEGORIES = ("stuck", "lost", "duplicated", "leaked", "inconsistent")


@dataclass
class Snapshot:
    violations: dict[str, set[str]] = field(default_factory=lambda: {c: set() for c in CATEGORIES})
    motion: dict[str, int] = field(default_factory=dict)  # e.g. {"outbox order": 3, "lag payment": 12}
    statuses: Counter = field(default_factory=Counter)
    error: str = ""  # the check itself failed (database or broker unreachable)

    def add(self, category: str, key: str) -> None:
        self.violations[category].add(key)

    def fingerprint(self) -> tuple:
        return (tuple(sorted(self.statuses.items())), tuple(len(self.violations[c]) for c in CATEGORIES), self.error)

    @property
    def moving(self) -> bool:
        return bool(self.error) or any(self.motion.values())

    def as_dict(self) -> dict:
        return {
            "violations": {c: sorted(v) for c, v in self.violations.items()},
            "motion": self.motion,
            "statuses": dict(self.statuses),
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Snapshot:
        snap = cls(motion=data["motion"], statuses=Counter(data["statuses"]), error=data["error"])
        for category, keys in data["violations"].items():
            snap.violations[category] = set(keys)
        return snap


class EarlierViolations:
    """The violations earlier phases of a run left behind, so that each phase is judged by what it adds."""

    def __init__(self) -> None:
        self.by_category: dict[str, set[str]] = {c: set() for c in CATEGORIES}

    def new_in(self, snap: Snapshot) -> dict[str, set[str]]:
        return {c: snap.violations[c] - self.by_category[c] for c in CATEGORIES}

    def remember(self, snap: Snapshot) -> None:
        for category in CATEGORIES:
            self.by_category[category] |= snap.violations[category]


def local_topic_table() -> list[dict]:
    """The topic table of the checkout (charts/umbrella/values.yaml, through ci/stack/kafka_admin)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent / "stack"))
    from kafka_admin import topic_table

    return topic_table()


class Checker:
    def __init__(
        self,
        secrets: dict[str, str],
        email: str,
        initial_stock: dict[str, int],
        *,
        pg: dict | None = None,
        kafka: dict | None = None,
        topics: list[dict] | None = None,
    ):
        """``pg`` (host, port), ``kafka`` (bootstrap.servers, sasl.mechanism) and ``topics`` (the
        topic table) default to the local stack's."""
        self.secrets = secrets
        self.email = email
        self.initial_stock = initial_stock
        self.pg = pg or PG
        self.kafka = {
            **KAFKA,
            **(kafka or {}),
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.username": secrets["KAFKA_ADMIN_USERNAME"],
            "sasl.password": secrets["KAFKA_ADMIN_PASSWORD"],
            "socket.timeout.ms": 5000,
            # Quiet: while the broker is down librdkafka logs every failed connect; a check reports its own error.
            "log_level": 0,
        }
        table = topics if topics is not None else local_topic_table()
        self.group_topics: dict[str, list[str]] = defaultdict(list)
        for row in table:
            for group in row["consumers"]:
                self.group_topics[group].append(row["name"])
        self.dlq_topics = [f"{row['name']}.dlq" for row in table]
        self._consumers: dict[str, Consumer] = {}
        self.dlq_baseline: dict[str, int] = {}

    # -- PostgreSQL -------------------------------------------------------------------------

    def _query(self, service: str, sql: str, params: tuple = ()) -> list[tuple]:
        conninfo = dict(
            self.pg,
            user=self.secrets["PG_SUPERUSER"],
            password=self.secrets["PG_SUPERUSER_PASSWORD"],
            dbname=f"musiccorp_{service}",
            connect_timeout=3,
        )
        with psycopg.connect(**conninfo, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    # -- Kafka ------------------------------------------------------------------------------

    def _client(self, group: str) -> Consumer:
        # A consumer that never subscribes: it reads the group's committed offsets without joining it.
        if group not in self._consumers:
            self._consumers[group] = Consumer({**self.kafka, "group.id": group, "enable.auto.commit": False})
        return self._consumers[group]

    def _partitions(self, topic: str) -> list[TopicPartition]:
        metadata = self._client("chaos-observer").list_topics(topic, timeout=10)
        return [TopicPartition(topic, p) for p in metadata.topics[topic].partitions]

    def _high(self, tp: TopicPartition) -> tuple[int, int]:
        return self._client("chaos-observer").get_watermark_offsets(tp, timeout=10, cached=False)

    def dlq_counts(self) -> dict[str, int]:
        """Messages each `.dlq` topic has ever received (sum of its partitions' high watermarks)."""
        return {topic: sum(self._high(tp)[1] for tp in self._partitions(topic)) for topic in self.dlq_topics}

    def remember_dlq(self) -> None:
        self.dlq_baseline = self.dlq_counts()

    def lag(self) -> dict[str, int]:
        """Consumer lag of each service's group: high watermark minus committed offset, summed."""
        result = {}
        for group, topics in self.group_topics.items():
            partitions = [tp for topic in topics for tp in self._partitions(topic)]
            committed = self._client(group).committed(partitions, timeout=10)
            total = 0
            for tp in committed:
                low, high = self._high(tp)
                total += high - (tp.offset if tp.offset >= 0 else low)
            result[group] = total
        return result

    def close(self) -> None:
        for consumer in self._consumers.values():
            consumer.close()
        self._consumers.clear()

    # -- the check --------------------------------------------------------------------------

    def snapshot(self, accepted: set[str], programs_down: list[str]) -> Snapshot:
        snap = Snapshot()
        try:
            self._check(snap, accepted)
        except (psycopg.Error, KafkaException, OSError) as exc:
            snap.error = f"{type(exc).__name__}: {str(exc).strip()[:200]}"
            # A broker restart leaves librdkafka handles that may take long to recover: start over.
            self.close()
        for name in programs_down:
            snap.add("inconsistent", f"{name} is not running")
        return snap

    def _check(self, snap: Snapshot, accepted: set[str]) -> None:
        orders = dict(self._query("order", "SELECT id::text, status FROM orders_order WHERE customer_email = %s", (self.email,)))
        snap.statuses.update(orders.values())
        for order_id in accepted - orders.keys():
            snap.add("lost", f"{order_id}: answered 201, not in order's database")
        for order_id, status in orders.items():
            if status not in TERMINAL:
                snap.add("stuck", f"{order_id}: {status}")
        ids = list(orders)

        payments = defaultdict(list)
        for order_id, status in self._query(
            "payment", "SELECT order_id::text, status FROM payments_payment WHERE order_id = ANY(%s::uuid[])", (ids,)
        ):
            payments[order_id].append(status)
        shipments = Counter(
            dict(
                self._query(
                    "shipping",
                    "SELECT order_id::text, count(*) FROM shipments_shipment WHERE order_id = ANY(%s::uuid[]) GROUP BY 1",
                    (ids,),
                )
            )
        )
        for order_id, status in orders.items():
            paid, shipped = payments.get(order_id, []), shipments.get(order_id, 0)
            if len(paid) > 1:
                snap.add("duplicated", f"{order_id}: {len(paid)} payments")
            if shipped > 1:
                snap.add("duplicated", f"{order_id}: {shipped} shipments")
            if any(p not in ("SUCCEEDED", "DECLINED") for p in paid):
                snap.add("stuck", f"{order_id}: payment {'/'.join(paid)}")
            if status == "COMPLETED":
                if not paid:
                    snap.add("lost", f"{order_id}: COMPLETED without a payment")
                elif "SUCCEEDED" not in paid:
                    snap.add("inconsistent", f"{order_id}: COMPLETED, payment {'/'.join(paid)}")
                if not shipped:
                    snap.add("lost", f"{order_id}: COMPLETED without a shipment")
            elif status == "CANCELLED":
                if not paid:
                    snap.add("inconsistent", f"{order_id}: CANCELLED without a payment record")
                elif "SUCCEEDED" in paid:
                    snap.add("inconsistent", f"{order_id}: CANCELLED but payment SUCCEEDED")
                if shipped:
                    snap.add("inconsistent", f"{order_id}: CANCELLED but shipped")

        skus = list(self.initial_stock)
        shipped_units = dict(
            self._query(
                "order",
                "SELECT i.sku, sum(i.quantity) FROM orders_orderitem i JOIN orders_order o ON o.id = i.order_id "
                "WHERE o.customer_email = %s AND o.status = 'COMPLETED' GROUP BY i.sku",
                (self.email,),
            )
        )
        reserved_rows = defaultdict(int)
        for order_id, sku, status, quantity in self._query(
            "inventory",
            "SELECT order_id::text, sku, status, quantity FROM inventory_reservation WHERE sku = ANY(%s)",
            (skus,),
        ):
            order_status = orders.get(order_id)
            if status == "RESERVED":
                reserved_rows[sku] += quantity
                if order_status is None or order_status in TERMINAL:
                    snap.add("leaked", f"{order_id}/{sku}: RESERVED x{quantity}, order {order_status or 'does not exist'}")
            elif status == "SHIPPED" and order_status != "COMPLETED":
                snap.add("inconsistent", f"{order_id}/{sku}: SHIPPED, order {order_status or 'does not exist'}")
        for sku, on_hand, reserved in self._query(
            "inventory", "SELECT sku, on_hand, reserved FROM inventory_stock WHERE sku = ANY(%s)", (skus,)
        ):
            expected = self.initial_stock[sku] - int(shipped_units.get(sku, 0))
            if on_hand < expected:
                snap.add("duplicated", f"{sku}: on_hand {on_hand} < initial - shipped {expected}")
            elif on_hand > expected:
                snap.add("inconsistent", f"{sku}: on_hand {on_hand} > initial - shipped {expected}")
            if reserved != reserved_rows[sku]:
                snap.add("inconsistent", f"{sku}: reserved {reserved} != RESERVED reservations {reserved_rows[sku]}")

        for service in SERVICES:
            if self._query(service, "SELECT to_regclass('musiccorp_common_outboxevent')")[0][0] is None:
                continue  # a service that publishes nothing
            (unsent,) = self._query(service, "SELECT count(*) FROM musiccorp_common_outboxevent WHERE sent_at IS NULL")[0]
            snap.motion[f"outbox {service}"] = unsent
        for group, lag in self.lag().items():
            snap.motion[f"lag {group}"] = lag
        for topic, count in self.dlq_counts().items():
            for n in range(self.dlq_baseline.get(topic, 0), count):
                snap.add("inconsistent", f"{topic}: dead letter #{n + 1}")


def serve(request: dict) -> dict:
    """One check where the databases and the broker are: a request names the endpoints (pg, kafka),
    the secrets, the campaign's customer email, initial stock and topic table, and either
    ``"op": "dlq"`` (the dead-letter counts, to remember before the faults) or ``"op": "snapshot"``
    with the accepted order ids and the remembered ``dlq_baseline``."""
    checker = Checker(
        request["secrets"], request["email"], request["stock"], pg=request["pg"], kafka=request["kafka"], topics=request["topics"]
    )
    try:
        if request["op"] == "dlq":
            return {"dlq": checker.dlq_counts()}
        checker.dlq_baseline = request["dlq_baseline"]
        return checker.snapshot(set(request["accepted"]), []).as_dict()
    finally:
        checker.close()


if __name__ == "__main__":
    json.dump(serve(json.load(sys.stdin)), sys.stdout)
