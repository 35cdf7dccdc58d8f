"""Helpers of the cluster tests: kubectl and helm against the cluster ci/cluster started, the CRDs
the umbrella's objects need, and snapshots of what a release left in its namespace.

kubectl and helm are the bootstrap's ($MUSICCORP_CACHE/bin), never a machine's own: a missing one
fails the test that needs it. Every call gets the cluster's kubeconfig explicitly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("MUSICCORP_CACHE", Path.home() / ".cache" / "musiccorp"))
TOOLS_BIN = CACHE / "bin"
VALUES = ROOT / "tests" / "charts" / "values"
RELEASE = "musiccorp"
# What marks an object as the release's: helm's ownership annotation and the charts' instance label.
RELEASE_ANNOTATION = "meta.helm.sh/release-name"
# What `helm uninstall` leaves on purpose (helm.sh/resource-policy: keep, docs/charts.md): order's
# generated superuser password, so a reinstall keeps the admin login that already works.
KEPT = {"Secret/musiccorp-order-superuser"}
INSTANCE_LABEL = "app.kubernetes.io/instance"

sys.path.insert(0, str(ROOT / "ci"))
import upstream_charts  # noqa: E402  (ci/ is not a package)


def terminal_progress(request: pytest.FixtureRequest, label: str) -> Callable[[str], None]:
    """A function printing a line on the terminal while the tests run (output capture aside), with
    the elapsed time."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    start = time.monotonic()

    def say(message: str) -> None:
        line = f"[{label} {time.monotonic() - start:6.1f}s] {message}"
        if reporter is not None:
            reporter.write_line(line)
        else:
            print(line)

    return say


def bound_volume(namespace: str, claim: str, size: str, host_path: dict, reclaim: str) -> dict:
    """A hostPath PersistentVolume bound in advance to one claim of the release: these clusters have
    no provisioner (a real cluster's default StorageClass makes them)."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": f"{namespace}-{claim}"},
        "spec": {
            "capacity": {"storage": size},
            "accessModes": ["ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": reclaim,
            "storageClassName": "",
            "hostPath": host_path,
            "claimRef": {"namespace": namespace, "name": claim},
        },
    }


def tool(name: str) -> str:
    path = TOOLS_BIN / name
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} missing: run ci/bootstrap", pytrace=False)
    return str(path)


def run(
    cmd: list[str], *, stdin: str | None = None, timeout: int = 300, expect_ok: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run a command; unless expect_ok is False, fail the test with its output when it fails."""
    proc = subprocess.run(cmd, cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=timeout, check=False)
    if expect_ok and proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}", pytrace=False)
    return proc


@dataclass(frozen=True)
class Cluster:
    """The running cluster: kubectl and helm bound to its kubeconfig."""

    kubeconfig: str
    progress: Callable[[str], None]

    def kubectl(self, *args: str, **kwargs) -> subprocess.CompletedProcess[str]:
        return run([tool("kubectl"), "--kubeconfig", self.kubeconfig, *args], **kwargs)

    def helm(self, *args: str, **kwargs) -> subprocess.CompletedProcess[str]:
        return run([tool("helm"), "--kubeconfig", self.kubeconfig, *args], **kwargs)

    def get(self, *args: str) -> list[dict]:
        """The items of `kubectl get <args> -o json`."""
        return json.loads(self.kubectl("get", *args, "-o", "json").stdout).get("items", [])

    def apply(self, docs: list[dict]) -> None:
        self.kubectl("apply", "--server-side", "--field-manager=musiccorp-tests", "-f", "-", stdin=yaml.safe_dump_all(docs))


def gateway_api_crds() -> list[dict]:
    """Minimal CRDs for the Gateway API kinds the umbrella renders, made from their JSON schemas.

    The real CRDs come with a Gateway API implementation the release does not install. The API
    server wants structural schemas: no boolean additionalProperties (the JSON schemas close every
    object with `false`; pruning does the same for a CRD), and a group under k8s.io needs the
    api-approved annotation."""
    schemas = upstream_charts.crd_schemas("gateway.networking.k8s.io")
    kinds = {
        "gateway": ("Gateway", "gateways"),
        "gatewayclass": ("GatewayClass", "gatewayclasses"),
        "httproute": ("HTTPRoute", "httproutes"),
    }
    crds = []
    for key, (kind, plural) in kinds.items():
        schema = _structural(schemas[f"{key}_v1"])
        crds.append(
            {
                "apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition",
                "metadata": {
                    "name": f"{plural}.gateway.networking.k8s.io",
                    "annotations": {"api-approved.kubernetes.io": "https://github.com/kubernetes-sigs/gateway-api/pull/3328"},
                },
                "spec": {
                    "group": "gateway.networking.k8s.io",
                    "names": {"kind": kind, "plural": plural, "singular": key, "listKind": f"{kind}List"},
                    "scope": "Cluster" if kind == "GatewayClass" else "Namespaced",
                    "versions": [
                        {
                            "name": "v1",
                            "served": True,
                            "storage": True,
                            "schema": {"openAPIV3Schema": schema},
                            "subresources": {"status": {}},
                        }
                    ],
                },
            }
        )
    return crds


def _structural(schema: object) -> object:
    if isinstance(schema, dict):
        return {k: _structural(v) for k, v in schema.items() if not (k == "additionalProperties" and isinstance(v, bool))}
    if isinstance(schema, list):
        return [_structural(item) for item in schema]
    return schema


def install_crds(cluster: Cluster) -> list[str]:
    """The real Strimzi and Prometheus-operator CRDs and the Gateway API ones; waits until served."""
    crds = upstream_charts.crds() + gateway_api_crds()
    cluster.apply(crds)
    names = [crd["metadata"]["name"] for crd in crds]
    cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s", *(f"crd/{name}" for name in names))
    return names


@dataclass
class Variant:
    """One way of installing the umbrella: its namespace and its helm values arguments."""

    name: str
    values: list[str] = field(default_factory=list)

    @property
    def namespace(self) -> str:
        return f"musiccorp-{self.name}"


def namespaced_types(cluster: Cluster) -> list[str]:
    """Every namespaced resource type the API serves that can be listed (events aside: they are the
    cluster's record of what happened, not objects of the release)."""
    names = cluster.kubectl("api-resources", "--namespaced=true", "--verbs=list", "-o", "name").stdout.split()
    return [n for n in names if n not in ("events", "events.events.k8s.io")]


def release_objects(cluster: Cluster, namespace: str, types: list[str]) -> list[str]:
    """kind/name of every object in the namespace marked as the release's (label or annotation)."""
    left = []
    for item in cluster.get(",".join(types), "-n", namespace):
        meta = item["metadata"]
        if (
            meta.get("labels", {}).get(INSTANCE_LABEL) == RELEASE
            or meta.get("annotations", {}).get(RELEASE_ANNOTATION) == RELEASE
        ):
            left.append(f"{item['kind']}/{meta['name']}")
    return sorted(left)


def wait_until(what: str, check: Callable[[], object], timeout: float = 60, interval: float = 0.5) -> object:
    """Poll check() until it returns something truthy; fail naming what was awaited and the last value."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}", pytrace=False)
        time.sleep(interval)


def deployments(cluster: Cluster, namespace: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in cluster.get("deployments", "-n", namespace)}


def replica_sets_by_deployment(cluster: Cluster, namespace: str) -> dict[str, set[str]]:
    """Deployment name -> the names of its ReplicaSets (one per pod template it has run)."""
    owned: dict[str, set[str]] = {}
    for rs in cluster.get("replicasets", "-n", namespace):
        for owner in rs["metadata"].get("ownerReferences", []):
            if owner["kind"] == "Deployment":
                owned.setdefault(owner["name"], set()).add(rs["metadata"]["name"])
    return owned


def rollout_complete(deployment: dict) -> bool:
    """What `kubectl rollout status` checks: the newest generation observed, every replica updated,
    available, and no old one left."""
    spec, status = deployment["spec"], deployment.get("status", {})
    want = spec.get("replicas", 1)
    return (
        status.get("observedGeneration", 0) >= deployment["metadata"]["generation"]
        and status.get("updatedReplicas", 0) == want
        and status.get("availableReplicas", 0) == want
        and status.get("replicas", 0) == want
    )


def job_complete(job: dict) -> bool:
    return any(c["type"] == "Complete" and c["status"] == "True" for c in job.get("status", {}).get("conditions", []))


def create_restricted_namespace(cluster: Cluster, namespace: str) -> None:
    """A namespace enforcing Pod Security "restricted", checked to really reject a privileged pod
    (so a passing install proves the pods comply, not that admission was off)."""
    cluster.kubectl("create", "namespace", namespace)
    cluster.kubectl(
        "label",
        "namespace",
        namespace,
        "pod-security.kubernetes.io/enforce=restricted",
        "pod-security.kubernetes.io/enforce-version=latest",
    )
    probe = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "privileged-probe", "namespace": namespace},
        "spec": {"containers": [{"name": "c", "image": "busybox", "securityContext": {"privileged": True}}]},
    }
    rejected = cluster.kubectl("create", "--dry-run=server", "-f", "-", stdin=yaml.safe_dump(probe), expect_ok=False)
    assert rejected.returncode != 0
    assert 'violates PodSecurity "restricted' in rejected.stderr, rejected.stderr


def helm_install(cluster: Cluster, chart: Path, variant: Variant) -> None:
    cluster.helm(
        "install", RELEASE, str(chart), "-n", variant.namespace, "--wait", "--wait-for-jobs", "--timeout", "3m", *variant.values
    )


def assert_everything_rolled_out(cluster: Cluster, namespace: str) -> tuple[list[str], list[str]]:
    """Every Deployment's rollout is complete and every Job of the release (the migrations, the database
    bootstrap) completed; returns their names."""
    deps = deployments(cluster, namespace)
    assert deps, f"no Deployment in {namespace}"
    unfinished = {name: d.get("status") for name, d in deps.items() if not rollout_complete(d)}
    assert not unfinished, f"rollouts not complete: {unfinished}"
    jobs = cluster.get("jobs", "-n", namespace)
    migrations = [
        j["metadata"]["name"] for j in jobs if j["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "migrate"
    ]
    assert len(migrations) == 5, f"expected one migration Job per service, found {migrations}"
    # A CronJob's run (the periodic sweepers start every minute or so) may be running right now.
    released = [j for j in jobs if not any(o.get("kind") == "CronJob" for o in j["metadata"].get("ownerReferences", []))]
    incomplete = [j["metadata"]["name"] for j in released if not job_complete(j)]
    assert not incomplete, f"Jobs not complete: {incomplete}"
    return sorted(deps), sorted(j["metadata"]["name"] for j in jobs)


def server_side_apply_conflicts(cluster: Cluster, namespace: str) -> str:
    """A server-side apply dry run of every object of the release, as a GitOps tool (a second field
    manager) would apply the same manifests. Returns "" when all applied, else which objects failed
    and on which fields (kubectl names only the objects that applied)."""
    manifest = cluster.helm("get", "manifest", RELEASE, "-n", namespace).stdout
    objects = [f"{d['kind']}/{d['metadata']['name']}" for d in yaml.safe_load_all(manifest) if d]
    proc = cluster.kubectl(
        "apply", "--server-side", "--dry-run=server", "--field-manager=gitops", "-n", namespace, "-f", "-", "-o", "name",
        stdin=manifest, expect_ok=False,
    )  # fmt: skip
    if proc.returncode == 0:
        return ""
    # -o name prints <resource>[.<group>]/<name> for each object applied; Kind/name for the rest.
    applied = {(res.split(".")[0], name) for res, name in (line.split("/", 1) for line in proc.stdout.split() if "/" in line)}
    failed = [o for o in objects if (o.split("/")[0].lower(), o.split("/", 1)[1]) not in applied]
    fields = sorted({line.strip() for line in proc.stderr.splitlines() if line.strip().startswith("- .")})
    first = proc.stderr.split("Please review")[0].strip()
    return (
        f"server-side apply by field manager gitops: {len(failed)} of {len(objects)} objects conflict:\n  "
        + "\n  ".join(failed)
        + "\nconflicting fields (all objects):\n  "
        + "\n  ".join(fields)
        + f"\nfirst error as kubectl printed it:\n{first}"
    )


def uninstall_and_assert_nothing_left(cluster: Cluster, namespace: str) -> None:
    """helm uninstall, then no object of any namespaced type marked as the release's (its pods and
    ReplicaSets go by garbage collection, so this polls) but those kept on purpose (KEPT), then the
    namespace deleted."""
    cluster.helm("uninstall", RELEASE, "-n", namespace, "--wait", "--timeout", "2m")
    types = namespaced_types(cluster)
    last: list[str] = []

    def nothing_left() -> bool:
        nonlocal last
        last = [o for o in release_objects(cluster, namespace, types) if o not in KEPT]
        return not last

    deadline = time.monotonic() + 60
    while not nothing_left():
        assert time.monotonic() < deadline, f"left behind by helm uninstall after 60s: {last}"
        time.sleep(1)
    for kept in release_objects(cluster, namespace, types):
        meta = json.loads(cluster.kubectl("get", kept, "-n", namespace, "-o", "json").stdout)["metadata"]
        assert meta.get("annotations", {}).get("helm.sh/resource-policy") == "keep", f"{kept} kept without resource-policy keep"
    # helm's release records (Secrets owner=helm, name=<release>) go with the release too.
    records = cluster.get("secrets", "-n", namespace, "-l", f"owner=helm,name={RELEASE}")
    assert not records, [r["metadata"]["name"] for r in records]
    cluster.kubectl("delete", "namespace", namespace, "--wait", "--timeout=120s")


def _template_difference(before: dict, after: dict) -> list[str]:
    """The pod template annotations that differ, and "spec" when the pod spec does."""
    old, new = before["metadata"].get("annotations", {}), after["metadata"].get("annotations", {})
    keys = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    return keys + (["spec"] if before["spec"] != after["spec"] else [])


def upgrade_and_assert_only_rolled(
    cluster: Cluster, chart: Path, variant: Variant, change: list[str], expected: list[str]
) -> None:
    """`helm upgrade` of the variant with one more value; exactly the `expected` Deployments get a new
    pod template and a new ReplicaSet (a fingerprint that moves by itself would roll them all)."""
    ns = variant.namespace
    before = {name: d["spec"]["template"] for name, d in deployments(cluster, ns).items()}
    before_sets = replica_sets_by_deployment(cluster, ns)
    cluster.progress(f"helm upgrade ({variant.name}) {' '.join(change)}")
    cluster.helm(
        "upgrade", RELEASE, str(chart), "-n", ns, "--wait", "--wait-for-jobs", "--timeout", "3m", *variant.values, *change
    )
    after = deployments(cluster, ns)
    after_sets = replica_sets_by_deployment(cluster, ns)
    changed = sorted(name for name, d in after.items() if d["spec"]["template"] != before[name])
    rolled = sorted(name for name in after if after_sets.get(name, set()) - before_sets.get(name, set()))
    what = {name: _template_difference(before[name], after[name]["spec"]["template"]) for name in changed}
    assert rolled == expected, f"Deployments that rolled (a new ReplicaSet): {rolled}; what changed: {what}"
    assert changed == expected, f"Deployments whose pod template changed: {changed}"
    assert_everything_rolled_out(cluster, ns)


def rollback_and_assert_first_revision(cluster: Cluster, variant: Variant, installed: dict[str, dict]) -> None:
    """`helm rollback` to revision 1 brings back every pod template as installed."""
    ns = variant.namespace
    cluster.progress(f"helm rollback ({variant.name}) to revision 1")
    cluster.helm("rollback", RELEASE, "1", "-n", ns, "--wait", "--wait-for-jobs", "--timeout", "3m")
    templates = {name: d["spec"]["template"] for name, d in deployments(cluster, ns).items()}
    assert templates.keys() == installed.keys()
    differing = sorted(name for name in templates if templates[name] != installed[name])
    assert not differing, f"pod templates not as installed after the rollback: {differing}"
    assert_everything_rolled_out(cluster, ns)
