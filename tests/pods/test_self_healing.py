"""Kubernetes' own self-healing on the real node (issue 14, item 4): while orders are placed through
the gateway's NodePort, a consumer pod and a web pod are deleted mid-saga, then the Kafka and the
PostgreSQL containers are killed (SIGKILL of the container's process through containerd: a crash,
not a flag). Nothing but Kubernetes brings them back (the ReplicaSet a new pod, the kubelet the
killed container). After each fault every order placed reaches its card's final state and the
fault suite's invariants hold (ci/chaos_checks.py, run inside the release: podload.PodChecker).

The release is the session's (conftest `release`): nothing is installed again. The fault table is
printed as progress lines and is in docs/kubernetes-here.md.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import requests
from chaos_checks import EarlierViolations  # ci/, on the path through conftest
from clusterlib import RELEASE, ROOT, Cluster, run
from conftest import port_forward
from podload import (
    DECLINE_EVERY,
    Load,
    Order,
    PodChecker,
    Settled,
    final_states,
    pods_ready,
    violations_text,
    wait_settled,
)
from stack_client import new_album  # ci/, on the path through conftest

pytestmark = pytest.mark.timeout(1200)
ORDERS_PER_FAULT = 12  # at least; the load goes on until the pods are Ready again
MIN_LOAD_AFTER_FAULT = 5.0  # the kubelet has seen the deletion or the killed container by then
LEAD_SECONDS = 3.0  # orders placed (and in their sagas) before the fault
RECOVER_TIMEOUT = 240.0
UNITS = 1000


@dataclass
class Row:
    title: str
    action: str = ""
    orders: list[Order] = field(default_factory=list)
    other_answers: int = 0  # answers other than 201 (each retried with its Idempotency-Key)
    states: dict[str, int] = field(default_factory=dict)
    settled: Settled | None = None

    @property
    def wrong_states(self) -> list[str]:
        return [s for s in self.states if s not in ("COMPLETED", "CANCELLED")]

    @property
    def ok(self) -> bool:
        return (
            self.settled is not None
            and self.settled.seconds is not None
            and not any(self.settled.new.values())
            and not self.wrong_states
            and len(self.orders) >= ORDERS_PER_FAULT
        )

    def cells(self) -> list[str]:
        s = self.settled
        return [
            self.title,
            str(len(self.orders)),
            str(self.other_answers),
            ", ".join(f"{n} {state}" for state, n in sorted(self.states.items())),
            "-" if s is None or s.pods_seconds is None else f"{s.pods_seconds:.0f}",
            "-" if s is None or s.seconds is None else f"{s.seconds:.0f}",
            "none" if s is None else violations_text(s.new),
        ]


HEADER = [
    "fault",
    "orders placed",
    "non-201 answers (retried)",
    "final states",
    "pods Ready after s",
    "recovered after s",
    "new violations",
]


def _pod(cluster: Cluster, namespace: str, selector: str) -> dict:
    pods = [p for p in cluster.get("pods", "-n", namespace, "-l", selector) if not p["metadata"].get("deletionTimestamp")]
    assert len(pods) == 1, [p["metadata"]["name"] for p in pods]
    return pods[0]


def delete_pod(selector: str) -> Callable[[Cluster, str], str]:
    """`kubectl delete pod` (the usual graceful deletion): its Deployment's ReplicaSet makes a new one."""

    def inject(cluster: Cluster, namespace: str) -> str:
        name = _pod(cluster, namespace, selector)["metadata"]["name"]
        cluster.kubectl("delete", "pod", name, "-n", namespace, "--wait=false")
        return f"kubectl delete pod {name}"

    return inject


def kill_container(selector: str) -> Callable[[Cluster, str], str]:
    """SIGKILL to the container's process through the node's containerd (`ci/node ctr tasks kill`):
    the kubelet sees it exit and starts it again in the same pod."""

    def inject(cluster: Cluster, namespace: str) -> str:
        pod = _pod(cluster, namespace, selector)
        [status] = pod["status"]["containerStatuses"]
        container_id = status["containerID"].removeprefix("containerd://")
        run([str(ROOT / "ci" / "node"), "ctr", "tasks", "kill", "--signal", "SIGKILL", container_id])
        return f"SIGKILL container {status['name']} of {pod['metadata']['name']} (restarts before: {status['restartCount']})"

    return inject


def _selector(name: str, component: str) -> str:
    return f"app.kubernetes.io/instance={RELEASE},app.kubernetes.io/name={name},app.kubernetes.io/component={component}"


FAULTS = [
    ("payment consumer pod deleted", delete_pod(_selector("payment", "consumer"))),
    ("order web pod deleted", delete_pod(_selector("order", "web"))),
    ("Kafka killed (SIGKILL)", kill_container(_selector("kafka", "broker"))),
    ("PostgreSQL killed (SIGKILL)", kill_container(_selector("postgres", "database"))),
]


def _table(rows: list[Row]) -> list[str]:
    return ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER), *("| " + " | ".join(r.cells()) + " |" for r in rows)]


def test_orders_survive_pods_deleted_and_killed(cluster: Cluster, release, figures: Callable[[str], None]) -> None:
    ns, gateway = release.namespace, release.gateway
    session, staff = requests.Session(), (release.admin["DJANGO_SUPERUSER_USERNAME"], release.admin["DJANGO_SUPERUSER_PASSWORD"])
    with port_forward(cluster, ns, f"{RELEASE}-inventory") as inventory:
        stock = {new_album(session, staff, UNITS, prefix="HEAL", gateway=gateway, inventory=inventory): UNITS for _ in range(3)}
    email = f"heal-{uuid.uuid4().hex[:8]}@example.com"
    checker = PodChecker(cluster, ns, email, stock)
    assert pods_ready(cluster, ns), "a pod is not Ready before the faults"
    earlier = EarlierViolations()
    accepted: list[str] = []
    rows: list[Row] = []
    cluster.progress(f"self-healing: {len(FAULTS)} faults, at least {ORDERS_PER_FAULT} orders each, customer {email}")
    for title, inject in FAULTS:
        row = Row(title)
        rows.append(row)
        load = Load(gateway, email, list(stock), threads=2, per_thread_rate=0.75, retry=True).start()
        time.sleep(LEAD_SECONDS)
        injected = time.monotonic()
        try:
            row.action = inject(cluster, ns)
        finally:
            # Orders keep coming until the pod is back (its replacement Ready, the killed container
            # running again), so they meet the gap too, and at least ORDERS_PER_FAULT are placed.
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline and (
                len(load.orders) < ORDERS_PER_FAULT
                or time.monotonic() - injected < MIN_LOAD_AFTER_FAULT
                or not pods_ready(cluster, ns)
            ):
                time.sleep(0.5)
            load.stop()
        row.orders = list(load.orders)
        row.other_answers = sum(1 for a in load.answers if a.status != 201)
        accepted += [o.id for o in row.orders]
        cluster.progress(f"  {title}: {row.action}; {len(row.orders)} orders placed, {row.other_answers} non-201 answers")
        row.settled = wait_settled(cluster, ns, checker, accepted, earlier, injected, RECOVER_TIMEOUT)
        row.states = dict(final_states(gateway, row.orders))
        cluster.progress("  " + " | ".join(row.cells()))
    figures(
        f"self-healing through {gateway}: orders placed from {LEAD_SECONDS:.0f}s before each fault until every pod "
        f"was Ready again (at least {ORDERS_PER_FAULT}), 1 in {DECLINE_EVERY} declined"
    )
    for line in _table(rows):
        figures(line)
    failed = [r for r in rows if not r.ok]
    assert not failed, "\n".join(_failure(r) for r in failed)


def _failure(row: Row) -> str:
    s = row.settled
    if s is None:
        return f"{row.title} ({row.action}): not checked"
    return (
        f"{row.title} ({row.action}): {len(row.orders)} orders, states {row.states}; violations {violations_text(s.new)}; "
        f"still moving {s.snapshot.motion}; last check error {s.snapshot.error or 'none'}"
    )
