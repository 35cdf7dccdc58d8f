"""What the self-healing and the zero-downtime tests share: a bounded client of the shop behind the
gateway's NodePort, the fault suite's invariant checker (ci/chaos_checks.py) run inside the release,
and waiting for every order to reach its final state.

The checker reads each service's database as the PostgreSQL superuser and the broker as the Kafka
admin. Both are reachable only from inside the cluster (the broker advertises its pod's DNS name),
so the same file runs in the catalog web pod (`kubectl exec ... python -c <ci/chaos_checks.py>`,
one JSON request on stdin): the service images have psycopg and confluent_kafka.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import requests
from chaos_checks import EarlierViolations, Snapshot, local_topic_table  # ci/, on the path through conftest
from clusterlib import RELEASE, ROOT, Cluster
from stack_client import place_order  # ci/, on the path through conftest

# The card decides the final state: tok_visa is charged (COMPLETED), tok_chargeDeclined is declined
# and the order compensated (CANCELLED). Stock is plenty, so no order is refused for it.
CARDS = {"tok_visa": "COMPLETED", "tok_chargeDeclined": "CANCELLED"}
DECLINE_EVERY = 4  # one order in four is declined


@dataclass
class Order:
    id: str
    card: str
    placed_at: float  # monotonic, when the 201 came back


@dataclass
class Answer:
    kind: str  # "order" or "catalog"
    status: int | None  # None: no HTTP answer (connection error, timeout)
    seconds: float
    at: float  # monotonic, when it was sent

    @property
    def ok(self) -> bool:
        return self.status in (200, 201)


@dataclass
class Load:
    """A few client threads through the gateway: each places an order (or, with ``catalog_every``,
    reads the catalog on the other turns) and keeps a pace of ``per_thread_rate`` requests a second.

    ``retry``: an order answered with anything but 201 (or not at all) is sent again with the same
    Idempotency-Key until it is placed (what a careful client does while a pod is replaced); every
    answer is recorded either way. Without it, every request is sent once: a failure stays one."""

    gateway: str
    email: str
    skus: list[str]
    threads: int = 2
    per_thread_rate: float = 1.0
    retry: bool = False
    catalog_every: int = 0  # 0: orders only; 2: every second request reads the catalog
    orders: list[Order] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _count: int = 0

    def start(self) -> Load:
        self._stop.clear()
        self._workers = [threading.Thread(target=self._work, args=(i,), daemon=True) for i in range(self.threads)]
        for worker in self._workers:
            worker.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=60)

    def placed_since(self, since: float) -> list[Order]:
        with self._lock:
            return [o for o in self.orders if o.placed_at >= since]

    def _next(self) -> int:
        with self._lock:
            self._count += 1
            return self._count

    def _record(self, answer: Answer) -> None:
        with self._lock:
            self.answers.append(answer)

    def _send(self, session: requests.Session, kind: str, method: str, url: str, **kwargs) -> requests.Response | None:
        started = time.monotonic()
        try:
            response = session.request(method, url, timeout=30, **kwargs)
        except requests.RequestException:
            response = None
        self._record(Answer(kind, response.status_code if response is not None else None, time.monotonic() - started, started))
        return response

    def _work(self, index: int) -> None:
        session = requests.Session()
        interval = 1 / self.per_thread_rate
        turn = 0
        while not self._stop.is_set():
            began = time.monotonic()
            turn += 1
            if self.catalog_every and turn % self.catalog_every == 0:
                self._send(session, "catalog", "GET", f"{self.gateway}/api/catalog/albums")
            else:
                self._place(session)
            self._stop.wait(max(0.0, interval - (time.monotonic() - began)))

    def _place(self, session: requests.Session) -> None:
        n = self._next()
        card = "tok_chargeDeclined" if n % DECLINE_EVERY == 0 else "tok_visa"
        sku = self.skus[n % len(self.skus)]
        keys = {"idempotency_key": f"pods-{uuid.uuid4()}", "correlation_id": f"pods-{uuid.uuid4()}"}
        deadline = time.monotonic() + 120
        while True:
            started = time.monotonic()
            status, order_id, _error = place_order(session, sku, self.email, card, gateway=self.gateway, **keys)
            self._record(Answer("order", status, time.monotonic() - started, started))
            if status == 201:
                with self._lock:
                    self.orders.append(Order(order_id, card, time.monotonic()))
                return
            if not self.retry or self._stop.is_set() or time.monotonic() > deadline:
                return
            time.sleep(1)  # the gateway admits 2 orders a second per client: retries count too


class PodChecker:
    """ci/chaos_checks.py's Checker, run in the catalog web pod for each snapshot."""

    def __init__(self, cluster: Cluster, namespace: str, email: str, stock: dict[str, int]):
        self.cluster, self.namespace = cluster, namespace
        self.source = (ROOT / "ci" / "chaos_checks.py").read_text()
        pg_password = self._secret(f"{RELEASE}-postgres", "postgres-password")
        self.request = {
            "secrets": {
                "PG_SUPERUSER": "postgres",
                "PG_SUPERUSER_PASSWORD": pg_password,
                "KAFKA_ADMIN_USERNAME": self._secret(f"{RELEASE}-kafka-admin", "username"),
                "KAFKA_ADMIN_PASSWORD": self._secret(f"{RELEASE}-kafka-admin", "password"),
            },
            "email": email,
            "stock": stock,
            "pg": {"host": f"{RELEASE}-postgres", "port": 5432},
            # The admin is a PLAIN user on the broker's INTERNAL listener (charts/umbrella bundled/kafka.yaml).
            "kafka": {"bootstrap.servers": f"{RELEASE}-kafka-brokers.{namespace}.svc:9091", "sasl.mechanism": "PLAIN"},
            "topics": local_topic_table(),
        }
        answer = self._call({"op": "dlq"})
        assert "dlq" in answer, f"the checker could not read the dead-letter topics: {answer}"
        self.request["dlq_baseline"] = answer["dlq"]

    def _secret(self, name: str, key: str) -> str:
        encoded = self.cluster.kubectl("get", "secret", name, "-n", self.namespace, "-o", f"jsonpath={{.data.{key}}}").stdout
        return base64.b64decode(encoded).decode()

    def _call(self, extra: dict) -> dict:
        proc = self.cluster.kubectl(
            "exec", "-i", "-n", self.namespace, f"deploy/{RELEASE}-catalog", "-c", "web", "--", "python", "-c", self.source,
            stdin=json.dumps({**self.request, **extra}), timeout=90, expect_ok=False,
        )  # fmt: skip
        if proc.returncode != 0:
            return {"error": f"kubectl exec exited {proc.returncode}: {proc.stderr.strip()[-300:]}"}
        return json.loads(proc.stdout)

    def snapshot(self, accepted: list[str]) -> Snapshot:
        answer = self._call({"op": "snapshot", "accepted": accepted})
        if "violations" not in answer:
            return Snapshot(error=answer.get("error", str(answer)))
        return Snapshot.from_dict(answer)


def pods_ready(cluster: Cluster, namespace: str) -> bool:
    """Every pod of a Deployment or StatefulSet (not a Job's) is Running and Ready, none terminating."""
    for pod in cluster.get("pods", "-n", namespace):
        if "batch.kubernetes.io/job-name" in pod["metadata"].get("labels", {}):
            continue
        if pod["metadata"].get("deletionTimestamp") or pod["status"].get("phase") != "Running":
            return False
        if not all(c.get("ready") for c in pod["status"].get("containerStatuses", [])):
            return False
    return True


@dataclass
class Settled:
    snapshot: Snapshot
    new: dict[str, set[str]]
    seconds: float | None  # from the start until every order was final and the invariants held; None: not in time
    pods_seconds: float | None  # from the start until every pod was Ready again


def wait_settled(
    cluster: Cluster,
    namespace: str,
    checker: PodChecker,
    accepted: list[str],
    earlier: EarlierViolations,
    since: float,
    timeout: float,
) -> Settled:
    """Poll until every pod is Ready, every accepted order is final, nothing is still on its way
    (outbox, consumer lag) and no violation the earlier phases did not already have: the fault
    suite's notion of recovered. ``earlier`` remembers what this phase leaves."""
    deadline = time.monotonic() + timeout
    pods_seconds = None
    while True:
        if pods_seconds is None and pods_ready(cluster, namespace):
            pods_seconds = time.monotonic() - since
        snap = checker.snapshot(accepted)
        new = earlier.new_in(snap)
        now = time.monotonic()
        if pods_seconds is not None and not snap.moving and not any(new.values()):
            seconds = now - since
            break
        if now > deadline:
            seconds = None
            break
        time.sleep(1)
    earlier.remember(snap)
    return Settled(snap, new, seconds, pods_seconds)


def final_states(gateway: str, orders: list[Order]) -> Counter:
    """Each order's status as the shop shows it (through the gateway), against its card's outcome:
    a Counter of "COMPLETED", "CANCELLED" and "<status>, expected <final>" for the wrong ones."""
    session, states = requests.Session(), Counter()
    for order in orders:
        status = session.get(f"{gateway}/api/orders/orders/{order.id}", timeout=30).json()["status"]
        expected = CARDS[order.card]
        states[status if status == expected else f"{order.id} {status}, expected {expected}"] += 1
    return states


def violations_text(new: dict[str, set[str]]) -> str:
    return "; ".join(f"{c}: {', '.join(sorted(v)[:3])}" for c, v in new.items() if v) or "none"
