"""Fixtures of the cluster tests: one real control plane per session (ci/cluster up, always stopped
again with ci/cluster down), the CRDs installed once, and an offline copy of the umbrella chart
(ci/render-umbrella --prepare: the external charts stubbed, as the render tests use them)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from clusterlib import ROOT, Cluster, install_crds, run, terminal_progress


@pytest.fixture(scope="session")
def progress(request: pytest.FixtureRequest) -> Callable[[str], None]:
    return terminal_progress(request, "cluster")


@pytest.fixture(scope="session")
def cluster(progress: Callable[[str], None]) -> Iterator[Cluster]:
    """The control plane of ci/cluster (etcd, kube-apiserver, controller-manager, scheduler, kwok)."""
    script = str(ROOT / "ci" / "cluster")
    progress("starting the control plane (ci/cluster up)")
    try:
        up = run([script, "up"], timeout=300)
        kubeconfig = up.stdout.strip().splitlines()[-1]
        progress(f"control plane up: {up.stderr.strip().splitlines()[-1].strip()}")
        yield Cluster(kubeconfig=kubeconfig, progress=progress)
    finally:
        down = subprocess.run([script, "down"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
        progress(f"control plane stopped (ci/cluster down exited {down.returncode})")
        if down.returncode != 0:
            pytest.fail(f"ci/cluster down failed:\n{down.stderr}", pytrace=False)


@pytest.fixture(scope="session")
def crds(cluster: Cluster) -> list[str]:
    """The real Strimzi and Prometheus-operator CRDs (ci/upstream_charts.py) and the Gateway API ones."""
    names = install_crds(cluster)
    cluster.progress(f"{len(names)} CRDs established")
    return names


@pytest.fixture(scope="session")
def umbrella(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The umbrella chart with its dependencies resolved offline (external charts as empty stubs)."""
    target = tmp_path_factory.mktemp("umbrella") / "copy"
    return Path(run([str(ROOT / "ci" / "render-umbrella"), "--prepare", str(target)]).stdout.strip())
