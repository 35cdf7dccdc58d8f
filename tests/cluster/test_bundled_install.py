"""The bundled profile (charts/umbrella/values-bundled.yaml) on the real API server: `helm install
--wait --wait-for-jobs` into a namespace enforcing Pod Security "restricted" completes (the
StatefulSets ready on their bound claims, every Deployment rolled out, the migrations, the database
bootstrap and the Kafka setup Jobs complete), with no external chart's objects; the gateway is on
its NodePort; uninstalling leaves only the data claims, which are kept on purpose. kwok runs no
containers: what the pods do is tests/charts/test_bundled_kafka_broker.py's and the real-node
tests' business."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from clusterlib import (
    INSTANCE_LABEL,
    KEPT,
    RELEASE,
    ROOT,
    Cluster,
    Variant,
    assert_everything_rolled_out,
    bound_volume,
    create_restricted_namespace,
    helm_install,
    namespaced_types,
    release_objects,
    wait_until,
)

BUNDLED = Variant("bundled", ["-f", str(ROOT / "charts" / "umbrella" / "values-bundled.yaml")])
# The StatefulSets' claims (volumeClaimTemplate "data") and what they ask for.
CLAIMS = {"data-musiccorp-postgres-0": "1Gi", "data-musiccorp-kafka-0": "2Gi"}


def volumes(namespace: str) -> list[dict]:
    """A PersistentVolume per claim (kwok never mounts it)."""
    return [
        bound_volume(namespace, claim, size, {"path": f"/var/lib/musiccorp-test/{namespace}/{claim}"}, "Delete")
        for claim, size in CLAIMS.items()
    ]


@pytest.fixture
def bundled(cluster: Cluster, crds: list[str], umbrella: Path):
    ns = BUNDLED.namespace
    create_restricted_namespace(cluster, ns)
    cluster.apply(volumes(ns))
    cluster.progress(f"helm install (bundled) into {ns}")
    helm_install(cluster, umbrella, BUNDLED)
    yield ns
    cluster.kubectl("delete", "namespace", ns, "--wait", "--timeout=120s", expect_ok=False)
    cluster.kubectl("delete", "pv", *(f"{ns}-{claim}" for claim in CLAIMS), "--wait=false", expect_ok=False)


def test_the_bundled_profile_installs_and_uninstalls(cluster: Cluster, bundled: str) -> None:
    ns = bundled
    deployments, jobs = assert_everything_rolled_out(cluster, ns)
    assert "musiccorp-gateway" in deployments
    components = {j["metadata"]["labels"].get("app.kubernetes.io/component") for j in cluster.get("jobs", "-n", ns)}
    assert {"db-bootstrap", "kafka-setup", "migrate"} <= components, jobs
    statefulsets = {s["metadata"]["name"]: s for s in cluster.get("statefulsets", "-n", ns)}
    assert set(statefulsets) == {"musiccorp-postgres", "musiccorp-kafka"}
    for name, sts in statefulsets.items():
        assert sts["status"].get("readyReplicas") == 1, (name, sts["status"])
    claims = {c["metadata"]["name"]: c["status"]["phase"] for c in cluster.get("persistentvolumeclaims", "-n", ns)}
    assert claims == dict.fromkeys(CLAIMS, "Bound")
    # Nothing of the external charts: no Ingress, no Strimzi resource. (The Prometheus Operator's
    # monitors are there: this cluster serves their CRDs, and the profile renders them only then.)
    manifest = cluster.helm("get", "manifest", RELEASE, "-n", ns).stdout
    kinds = {d["kind"] for d in yaml.safe_load_all(manifest) if d}
    assert not kinds & {"Ingress", "Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser"}, kinds
    [gateway] = [s for s in cluster.get("services", "-n", ns) if s["metadata"]["name"] == "musiccorp-gateway"]
    assert gateway["spec"]["type"] == "NodePort"
    assert gateway["spec"]["ports"][0]["nodePort"] == 30080

    cluster.helm("uninstall", RELEASE, "-n", ns, "--wait", "--timeout", "2m")
    types = namespaced_types(cluster)
    kept = {f"PersistentVolumeClaim/{claim}" for claim in CLAIMS} | KEPT
    left: list[str] = []

    def only_kept_left() -> bool:
        nonlocal left
        left = release_objects(cluster, ns, types)
        return set(left) <= kept

    wait_until(f"nothing but {sorted(kept)} left after helm uninstall (left: {left})", only_kept_left, timeout=60)
    # The data claims stay (persistentVolumeClaimRetentionPolicy Retain), still labelled as the release's.
    remaining = {c["metadata"]["name"]: c for c in cluster.get("persistentvolumeclaims", "-n", ns)}
    assert set(remaining) == set(CLAIMS)
    assert all(c["metadata"]["labels"][INSTANCE_LABEL] == RELEASE for c in remaining.values())
