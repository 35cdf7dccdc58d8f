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
    rollback_and_assert_first_revision,
    server_side_apply_conflicts,
    uninstall_and_assert_nothing_left,
    upgrade_and_assert_only_rolled,
)

DEFAULT = Variant("default")
# A config value of catalog alone: catalog has no consumer Deployment, so exactly one Deployment
# (musiccorp-catalog) has a pod template that depends on it.
CHANGE = ["--set", "catalog.django.logLevel=DEBUG"]


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
    upgrade_and_assert_only_rolled(cluster, release["chart"], DEFAULT, CHANGE, ["musiccorp-catalog"])


def test_rollback_brings_back_the_first_revision(cluster: Cluster, release: dict) -> None:
    ns = DEFAULT.namespace
    rollback_and_assert_first_revision(cluster, DEFAULT, release["installed"])
    configmaps = {c["metadata"]["name"]: c.get("data") for c in cluster.get("configmaps", "-n", ns)}
    assert configmaps == release["configmaps"]
    history = cluster.helm("history", RELEASE, "-n", ns, "-o", "json").stdout
    assert '"revision":3' in history.replace(" ", "")


def test_uninstall_leaves_nothing_of_the_release(cluster: Cluster, release: dict) -> None:
    cluster.progress("helm uninstall")
    uninstall_and_assert_nothing_left(cluster, DEFAULT.namespace)
