"""A zero-downtime release on the real node, measured (issue 14, item 5): while a bounded client
places orders and reads the catalog through the gateway's NodePort, `helm upgrade` moves every
service to a new image tag (the imported images tagged again in the node's containerd: no rebuild),
migration Jobs included, and `helm rollback` brings the previous revision back, still under load.
Every request is sent once (no retry): a failed one counts. What makes it zero is the charts'
(docs/kubernetes-here.md): maxUnavailable 0 with a surge pod, readiness probes, the preStop sleep
before gunicorn's graceful shutdown and a grace period that covers both.

The release is the session's (conftest `release`); the figures are printed as progress lines and
are in docs/kubernetes-here.md.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from bench_report import percentile  # ci/, on the path through conftest
from chaos_checks import EarlierViolations  # ci/, on the path through conftest
from clusterlib import RELEASE, ROOT, Cluster, assert_everything_rolled_out, deployments, run
from conftest import _podman_lib, port_forward
from podload import Load, PodChecker, final_states, violations_text, wait_settled
from stack_client import new_album  # ci/, on the path through conftest

pytestmark = pytest.mark.timeout(1800)
UNITS = 1000
SETTLE_TIMEOUT = 180.0


def _service_images(cluster: Cluster, namespace: str) -> dict[str, set[str]]:
    """Deployment -> the images of its pod template's containers (init containers included)."""
    images = {}
    for name, deployment in deployments(cluster, namespace).items():
        spec = deployment["spec"]["template"]["spec"]
        images[name] = {c["image"] for c in spec["containers"] + spec.get("initContainers", [])}
    return images


def _revision(cluster: Cluster, namespace: str) -> int:
    return int(json.loads(cluster.helm("status", RELEASE, "-n", namespace, "-o", "json").stdout)["version"])


def test_upgrade_and_rollback_under_load_fail_no_request(
    cluster: Cluster, release, umbrella: Path, figures: Callable[[str], None]
) -> None:
    ns, gateway, tag = release.namespace, release.gateway, release.image_tag
    new_tag = f"{tag}-next"
    services = _podman_lib("image_services | cut -d' ' -f1").split()
    for service in services:
        run([str(ROOT / "ci" / "node"), "ctr", "images", "tag", "--force",
             f"localhost/musiccorp/{service}:{tag}", f"localhost/musiccorp/{service}:{new_tag}"])  # fmt: skip
    cluster.progress(f"zero downtime: {len(services)} images tagged {new_tag} in the node's containerd")

    session, staff = requests.Session(), (release.admin["DJANGO_SUPERUSER_USERNAME"], release.admin["DJANGO_SUPERUSER_PASSWORD"])
    with port_forward(cluster, ns, f"{RELEASE}-inventory") as inventory:
        stock = {new_album(session, staff, UNITS, prefix="ROLL", gateway=gateway, inventory=inventory): UNITS for _ in range(3)}
    email = f"roll-{uuid.uuid4().hex[:8]}@example.com"
    checker = PodChecker(cluster, ns, email, stock)
    before = _service_images(cluster, ns)
    revision = _revision(cluster, ns)

    # 1.5 orders and 1.5 catalog reads a second (the gateway admits 2 orders a second per client), each request once.
    load = Load(gateway, email, list(stock), threads=4, per_thread_rate=0.75, catalog_every=2).start()
    try:
        time.sleep(3)
        started = time.monotonic()
        cluster.progress(f"helm upgrade to images :{new_tag} under load")
        cluster.helm(
            "upgrade", RELEASE, str(umbrella), "-n", ns, "--reuse-values",
            "--set", f"global.serviceDefaults.image.tag={new_tag}",
            "--wait", "--wait-for-jobs", "--timeout", "10m", timeout=700,
        )  # fmt: skip
        upgraded = time.monotonic()
        upgraded_images = _service_images(cluster, ns)
        _, jobs = assert_everything_rolled_out(cluster, ns)
        cluster.progress(f"upgraded in {upgraded - started:.0f}s; helm rollback to revision {revision} under load")
        cluster.helm("rollback", RELEASE, str(revision), "-n", ns, "--wait", "--wait-for-jobs", "--timeout", "10m", timeout=700)
        finished = time.monotonic()
        assert_everything_rolled_out(cluster, ns)
        time.sleep(3)
    finally:
        load.stop()

    # Every service Deployment ran the new tag after the upgrade, its migration Job too, and the old one after the rollback.
    for name, images in before.items():
        if any("/musiccorp/" in i for i in images):
            assert all(i.endswith(f":{new_tag}") for i in upgraded_images[name]), (name, upgraded_images[name])
    migrations = [j for j in jobs if "-migrate-" in j]
    assert len(migrations) == len(services), migrations
    assert all(f"-migrate-{revision + 1}-" in j for j in migrations), migrations
    assert _service_images(cluster, ns) == before

    during = [a for a in load.answers if started <= a.at <= finished]
    failed = [a for a in during if not a.ok]
    p99 = percentile([a.seconds for a in during], 0.99)
    kinds = {k: sum(1 for a in during if a.kind == k) for k in ("order", "catalog")}
    figures(
        f"rollout (upgrade {upgraded - started:.0f}s + rollback {finished - upgraded:.0f}s): {len(during)} requests sent "
        f"({kinds['order']} orders, {kinds['catalog']} catalog reads), {len(failed)} failed, "
        f"p99 {p99 * 1000:.0f} ms, p50 {percentile([a.seconds for a in during], 0.5) * 1000:.0f} ms, "
        f"max {max((a.seconds for a in during), default=0) * 1000:.0f} ms"
    )

    earlier = EarlierViolations()
    settled = wait_settled(cluster, ns, checker, [o.id for o in load.orders], earlier, finished, SETTLE_TIMEOUT)
    states = final_states(gateway, load.orders)
    figures(
        f"{len(load.orders)} orders placed during the load: {dict(states)}; settled after "
        f"{'-' if settled.seconds is None else f'{settled.seconds:.0f}'}s; violations: {violations_text(settled.new)}"
    )
    assert not failed, [(a.kind, a.status, round(a.seconds, 2)) for a in failed]
    assert kinds["order"], "no order was sent during the rollout"
    assert kinds["catalog"], "no catalog read was sent during the rollout"
    assert settled.seconds is not None, (settled.snapshot.motion, settled.snapshot.error, violations_text(settled.new))
    assert not any(settled.new.values()), violations_text(settled.new)
    assert set(states) <= {"COMPLETED", "CANCELLED"}, states
