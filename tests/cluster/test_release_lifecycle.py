"""The umbrella's whole life on a real API server, in the order a user goes through it: install
into a namespace enforcing Pod Security "restricted", apply by a second field manager, upgrade one
service's value, roll back, uninstall. The tests share one release and run in file order."""

from __future__ import annotations

from pathlib import Path

import pytest
from clusterlib import (
    RELEASE,
    Cluster,
    Variant,
    assert_everything_rolled_out,
    create_restricted_namespace,
    deployments,
    helm_install,
    replica_sets_by_deployment,
    server_side_apply_conflicts,
    uninstall_and_assert_nothing_left,
)

DEFAULT = Variant("default")
# A config value of catalog alone: catalog has no consumer Deployment, so exactly one Deployment
# (musiccorp-catalog) has a pod template that depends on it.
CHANGE = ["--set", "catalog.django.logLevel=DEBUG"]


def template_difference(before: dict, after: dict) -> list[str]:
    """The pod template annotations that differ, and "spec" when the pod spec does."""
    old, new = before["metadata"].get("annotations", {}), after["metadata"].get("annotations", {})
    keys = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    return keys + (["spec"] if before["spec"] != after["spec"] else [])


@pytest.fixture(scope="module")
def release(cluster: Cluster, crds: list[str], umbrella: Path) -> dict:
    """The umbrella installed with its default values; the dict collects what later steps compare."""
    create_restricted_namespace(cluster, DEFAULT.namespace)
    cluster.progress(f"helm install {RELEASE} into {DEFAULT.namespace} (restricted)")
    helm_install(cluster, umbrella, DEFAULT)
    cluster.progress("installed")
    return {"chart": umbrella}


def test_install_rolls_out_every_deployment_and_completes_every_job(cluster: Cluster, release: dict) -> None:
    deps, _jobs = assert_everything_rolled_out(cluster, DEFAULT.namespace)
    assert len(deps) == 9, deps
    release["installed"] = {name: d["spec"]["template"] for name, d in deployments(cluster, DEFAULT.namespace).items()}
    release["configmaps"] = {c["metadata"]["name"]: c.get("data") for c in cluster.get("configmaps", "-n", DEFAULT.namespace)}


def test_a_second_field_manager_applies_the_release_without_conflict(cluster: Cluster, release: dict) -> None:
    conflicts = server_side_apply_conflicts(cluster, DEFAULT.namespace)
    assert not conflicts, conflicts


def test_upgrade_rolls_exactly_the_deployment_whose_value_changed(cluster: Cluster, release: dict) -> None:
    ns = DEFAULT.namespace
    before_templates = {name: d["spec"]["template"] for name, d in deployments(cluster, ns).items()}
    before_sets = replica_sets_by_deployment(cluster, ns)
    cluster.progress(f"helm upgrade {' '.join(CHANGE)}")
    cluster.helm("upgrade", RELEASE, str(release["chart"]), "-n", ns, "--wait", "--wait-for-jobs", "--timeout", "3m", *CHANGE)
    after = deployments(cluster, ns)
    after_sets = replica_sets_by_deployment(cluster, ns)
    changed = sorted(name for name, d in after.items() if d["spec"]["template"] != before_templates[name])
    rolled = sorted(name for name in after if after_sets.get(name, set()) - before_sets.get(name, set()))
    what = {name: template_difference(before_templates[name], after[name]["spec"]["template"]) for name in changed}
    assert rolled == ["musiccorp-catalog"], f"Deployments that rolled (a new ReplicaSet): {rolled}; what changed: {what}"
    assert changed == ["musiccorp-catalog"], f"Deployments whose pod template changed: {changed}"
    assert_everything_rolled_out(cluster, ns)


def test_rollback_brings_back_the_first_revision(cluster: Cluster, release: dict) -> None:
    ns = DEFAULT.namespace
    cluster.progress("helm rollback to revision 1")
    cluster.helm("rollback", RELEASE, "1", "-n", ns, "--wait", "--wait-for-jobs", "--timeout", "3m")
    templates = {name: d["spec"]["template"] for name, d in deployments(cluster, ns).items()}
    assert templates.keys() == release["installed"].keys()
    differing = sorted(name for name in templates if templates[name] != release["installed"][name])
    assert not differing, f"pod templates not as installed after the rollback: {differing}"
    configmaps = {c["metadata"]["name"]: c.get("data") for c in cluster.get("configmaps", "-n", ns)}
    assert configmaps == release["configmaps"]
    history = cluster.helm("history", RELEASE, "-n", ns, "-o", "json").stdout
    assert '"revision":3' in history.replace(" ", "")
    assert_everything_rolled_out(cluster, ns)


def test_uninstall_leaves_nothing_of_the_release(cluster: Cluster, release: dict) -> None:
    cluster.progress("helm uninstall")
    uninstall_and_assert_nothing_left(cluster, DEFAULT.namespace)
