"""The umbrella's own containers on a real node (ci/node): the bundled profile installed with
`helm install --wait --wait-for-jobs`, every pod Running and Ready on that node from the images
`make images` built, an order placed through the gateway's NodePort COMPLETED, and the local stack's
end-to-end scenarios (tests/e2e, unchanged) passing against that NodePort."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests
from clusterlib import RELEASE, ROOT, Cluster, assert_everything_rolled_out
from conftest import port_forward

# The first test waits for the images to be imported and the release to be installed (fixtures).
pytestmark = pytest.mark.timeout(1800)
SAGA_TIMEOUT = 90
# The e2e scenarios of issue 14: happy path, declined and compensated, short stock, idempotency,
# concurrency, bad inputs (test_saga.py) and the order admin (test_admin_login.py). Left out:
# the tests that need the local stack's processes, ports or broker (catalog's own port, supervisord,
# Kafka clients, Prometheus, Zipkin).
E2E_SCENARIOS = [
    "tests/e2e/test_saga.py",
    "tests/e2e/test_admin_login.py::test_order_admin_works_through_the_gateway",
    "tests/e2e/test_admin_login.py::test_admins_of_other_services_are_not_behind_the_gateway",
]


def _pod_ready(pod: dict) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions", []))


def test_every_pod_runs_on_the_real_node_from_the_imported_images(cluster: Cluster, release) -> None:
    [node] = cluster.get("nodes")
    assert node["metadata"]["name"] == "musiccorp-node"
    assert "kwok.x-k8s.io/node" not in node["metadata"].get("annotations", {})
    assert node["status"]["nodeInfo"]["containerRuntimeVersion"].startswith("containerd://")
    deployments, _ = assert_everything_rolled_out(cluster, release.namespace)
    assert f"{RELEASE}-gateway" in deployments
    # A CronJob's run (the periodic sweepers) may be starting right now: its pods are left out.
    periodic = {
        j["metadata"]["name"]
        for j in cluster.get("jobs", "-n", release.namespace)
        if any(o.get("kind") == "CronJob" for o in j["metadata"].get("ownerReferences", []))
    }
    pods = [
        p
        for p in cluster.get("pods", "-n", release.namespace)
        if p["metadata"].get("labels", {}).get("batch.kubernetes.io/job-name") not in periodic
    ]
    # The release's Jobs completed (checked above); an attempt of theirs may have failed first (a
    # migration started before PostgreSQL accepted connections is retried). Every other pod runs.
    job_pods = [p for p in pods if "batch.kubernetes.io/job-name" in p["metadata"].get("labels", {})]
    assert all(p["status"]["phase"] in ("Succeeded", "Failed") for p in job_pods), [
        (p["metadata"]["name"], p["status"]["phase"]) for p in job_pods
    ]
    running = [p for p in pods if p not in job_pods]
    assert all(p["status"]["phase"] == "Running" for p in running), [
        (p["metadata"]["name"], p["status"]["phase"]) for p in running
    ]
    not_ready = [p["metadata"]["name"] for p in running if not _pod_ready(p)]
    assert not not_ready, f"Running but not Ready: {not_ready}"
    assert {p["spec"]["nodeName"] for p in pods} == {"musiccorp-node"}
    # Real containers: each has a container id from containerd and the image it was given.
    images = set()
    for pod in running:
        for status in pod["status"]["containerStatuses"]:
            assert status["containerID"].startswith("containerd://"), status
            assert status["ready"], status
            images.add(status["image"])
    assert any(f"localhost/musiccorp/order:{release.image_tag}" in i for i in images), images
    assert any("postgres:15" in i for i in images), images
    assert any("kafka:4.1.1" in i for i in images), images
    # 9 service pods (5 web, 4 consumers), postgres, kafka, gateway
    assert len(running) == 12, [p["metadata"]["name"] for p in running]


def test_an_order_through_the_node_port_completes(release) -> None:
    gateway = release.gateway
    assert requests.get(f"{gateway}/healthz", timeout=10).status_code == 200
    albums = requests.get(f"{gateway}/api/catalog/albums", timeout=10)
    assert albums.status_code == 200, albums.text
    body = {"customer_email": "pods@example.com", "items": [{"sku": "CD001", "quantity": 1}], "payment_token": "tok_visa"}
    placed = requests.post(
        f"{gateway}/api/orders/orders", json=body, headers={"X-Correlation-ID": f"pods-{uuid.uuid4()}"}, timeout=15
    )
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    deadline = time.monotonic() + SAGA_TIMEOUT
    while (status := requests.get(f"{gateway}/api/orders/orders/{order_id}", timeout=15).json()["status"]) != "COMPLETED":
        assert time.monotonic() < deadline, f"order {order_id} is {status} after {SAGA_TIMEOUT}s"
        time.sleep(0.5)
    payments = requests.get(f"{gateway}/api/payments/payments", params={"order_id": order_id}, timeout=15).json()
    assert [p["status"] for p in payments["results"]] == ["SUCCEEDED"], payments


def test_the_e2e_scenarios_pass_through_the_node_port(cluster: Cluster, release) -> None:
    """tests/e2e as they run against the local stack, pointed at the NodePort; inventory's own port
    (stock writes are not routed through the gateway) through `kubectl port-forward` on loopback."""
    secrets_file = Path(tempfile.mkstemp(suffix=".env")[1])
    secrets_file.write_text("".join(f"{k}={v}\n" for k, v in release.admin.items()))
    try:
        with port_forward(cluster, release.namespace, f"{RELEASE}-inventory") as inventory:
            env = {
                **os.environ,
                "MUSICCORP_E2E_GATEWAY_URL": release.gateway,
                "MUSICCORP_E2E_SECRETS": str(secrets_file),
                "MUSICCORP_E2E_INVENTORY_URL": inventory,
            }
            cluster.progress(f"tests/e2e against {release.gateway}: {' '.join(E2E_SCENARIOS)}")
            proc = subprocess.run(
                [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA", *E2E_SCENARIOS],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False,
            )  # fmt: skip
        summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
        cluster.progress(f"tests/e2e: {summary}")
        assert proc.returncode == 0, f"{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}"
    finally:
        secrets_file.unlink(missing_ok=True)
