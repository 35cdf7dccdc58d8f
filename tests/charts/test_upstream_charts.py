"""ci/upstream_charts.py: the real data of the pinned external charts, from a vendored package
(digest-checked) before the fallback copy, and a clear failure naming both when neither has it."""

from __future__ import annotations

import hashlib
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from chartlib import ROOT, helm_path, run

sys.path.insert(0, str(ROOT / "ci"))
import upstream_charts

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "kafkausers.kafka.strimzi.io"},
    "spec": {
        "group": "kafka.strimzi.io",
        "names": {"kind": "KafkaUser", "plural": "kafkausers"},
        "scope": "Namespaced",
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {"spec": {"type": "object", "properties": {"quota": {"type": "integer"}}}},
                    }
                },
            }
        ],
    },
}


@pytest.fixture
def vendored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A packaged strimzi-kafka-operator 1.0.0 (values.yaml + one CRD) recorded in a Chartfile.lock."""
    chart = tmp_path / "src" / "strimzi-kafka-operator"
    (chart / "crds").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: strimzi-kafka-operator\nversion: 1.0.0\n")
    (chart / "values.yaml").write_text("watchAnyNamespace: false\nfromThePackage: true\n")
    (chart / "crds" / "044-Crd-kafkauser.yaml").write_text(yaml.safe_dump(CRD))
    vendor_dir = tmp_path / "charts"
    run([helm_path(), "package", str(chart), "--destination", str(vendor_dir)])
    digest = "sha256:" + hashlib.sha256((vendor_dir / "strimzi-kafka-operator-1.0.0.tgz").read_bytes()).hexdigest()
    lock = tmp_path / "Chartfile.lock"
    lock.write_text(
        textwrap.dedent(f"""\
            charts:
              - name: strimzi-kafka-operator
                repository: oci://example.invalid/strimzi
                version: 1.0.0
                digest: {digest}
              - name: kube-prometheus-stack
                repository: https://example.invalid/charts
                version: 80.13.3
                digest: null
            """)
    )
    monkeypatch.setattr(upstream_charts, "VENDORED", vendor_dir)
    monkeypatch.setattr(upstream_charts, "LOCKFILE", lock)
    for cached in (upstream_charts.pins, upstream_charts._package):
        cached.cache_clear()
    yield vendor_dir
    for cached in (upstream_charts.pins, upstream_charts._package):
        cached.cache_clear()


def test_the_vendored_package_comes_before_the_fallback(vendored: Path) -> None:
    assert upstream_charts.values("strimzi-kafka-operator")["fromThePackage"] is True
    assert upstream_charts.sources()["strimzi-kafka-operator"] == "vendored package"
    strimzi = [crd for crd in upstream_charts.crds() if crd["spec"]["group"] == "kafka.strimzi.io"]
    assert [crd["metadata"]["name"] for crd in strimzi] == ["kafkausers.kafka.strimzi.io"]
    # Derived from the real CRD, strict like the API server: an undeclared key is an error.
    schema = upstream_charts.crd_schemas("kafka.strimzi.io")["kafkauser_v1"]
    assert schema["properties"]["spec"]["additionalProperties"] is False


def test_a_package_whose_digest_differs_from_the_lock_is_refused(vendored: Path) -> None:
    with (vendored / "strimzi-kafka-operator-1.0.0.tgz").open("ab") as package:
        package.write(b"tampered")
    with pytest.raises(upstream_charts.UpstreamDataMissing, match=r"Chartfile\.lock records sha256:"):
        upstream_charts.values("strimzi-kafka-operator")


def test_missing_data_names_both_sources(vendored: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(upstream_charts, "FALLBACK", tmp_path / "no-fallback")
    with pytest.raises(upstream_charts.UpstreamDataMissing) as missing:
        upstream_charts.values("grafana")
    message = str(missing.value)
    assert "kube-prometheus-stack-80.13.3.tgz" in message
    assert str(tmp_path / "no-fallback") in message


def test_every_pinned_chart_has_its_values_and_crds() -> None:
    """On this checkout's real sources (vendored or fallback): what the chart tests rely on exists.
    The charts without a fallback copy (NO_FALLBACK_VALUES) have values only once vendored."""
    for chart in [*upstream_charts.pins(), *upstream_charts.SUBCHARTS]:
        if chart in upstream_charts.NO_FALLBACK_VALUES and upstream_charts.sources()[chart] != "vendored package":
            with pytest.raises(upstream_charts.UpstreamDataMissing, match=f"{chart}-"):
                upstream_charts.values(chart)
            continue
        assert upstream_charts.values(chart), f"{chart}: empty values.yaml"
    groups = {crd["spec"]["group"] for crd in upstream_charts.crds()}
    assert groups == set(upstream_charts.CRD_GROUPS)
