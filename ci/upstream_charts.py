#!/usr/bin/env python3
"""The real data of the umbrella's pinned external charts: their values.yaml files and CRDs.

    ci/upstream_charts.py values <chart>       the chart's values.yaml (YAML on stdout)
    ci/upstream_charts.py crds                 every CRD of the Strimzi and Prometheus-operator charts
    ci/upstream_charts.py schemas <group>      JSON schemas of a CRD group, {kind_version: schema}
    ci/upstream_charts.py sources              where each piece comes from

The tests use it to check the umbrella against what the charts really accept. Sources, in order:
1. the chart packages ci/vendor-charts downloads into charts/umbrella/charts/<name>-<version>.tgz,
   each checked here again against its sha256 in Chartfile.lock;
2. where no chart repository is reachable (no package was vendored): copies made from the upstream
   sources at the same versions, kept beside the checkout in ../shared (upstream-charts/ for values
   and CRDs, schemas/crds/ for CRD JSON schemas). $MUSICCORP_UPSTREAM_DATA names another place.
Data missing from both is an UpstreamDataMissing that names both places, never a silent gap.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import sys
import tarfile
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
VENDORED = ROOT / "charts" / "umbrella" / "charts"
LOCKFILE = ROOT / "Chartfile.lock"
FALLBACK = Path(os.environ.get("MUSICCORP_UPSTREAM_DATA", ROOT.parent / "shared"))

# Subcharts of a pinned chart whose values the umbrella sets, at the versions the parent pins.
SUBCHARTS = {
    "grafana": ("kube-prometheus-stack", "10.5.5"),
    "kube-state-metrics": ("kube-prometheus-stack", "7.0.0"),
    "prometheus-node-exporter": ("kube-prometheus-stack", "4.50.0"),
    "prometheus-windows-exporter": ("kube-prometheus-stack", "0.12.2"),
}
# Pinned charts of which ../shared has no values copy (made where their repositories were not
# reachable either): their values are known only from a vendored package. Tests that read values
# check these charts where a package is vendored and say which ones they could not check.
NO_FALLBACK_VALUES = frozenset({"tempo", "loki", "alloy"})
# Where each chart package keeps the CRDs the umbrella's objects need, and their API groups.
CRD_GROUPS = {"kafka.strimzi.io": "strimzi-kafka-operator", "monitoring.coreos.com": "kube-prometheus-stack"}
CRD_DIRS = {
    "strimzi-kafka-operator": "strimzi-kafka-operator/crds/",
    "kube-prometheus-stack": "kube-prometheus-stack/charts/crds/crds/",
}


class UpstreamDataMissing(RuntimeError):
    """Neither a vendored chart package nor the fallback copy holds the data asked for."""


@cache
def pins() -> dict[str, dict]:
    """Chartfile.lock's entries by chart name (version, repository, digest)."""
    return {pin["name"]: pin for pin in yaml.safe_load(LOCKFILE.read_text())["charts"]}


def _pin(chart: str) -> dict:
    if chart not in pins():
        raise KeyError(f"{chart} is not pinned in {LOCKFILE.name}")
    return pins()[chart]


@cache
def _package(chart: str) -> tarfile.TarFile | None:
    """The vendored package of a pinned chart, digest-checked; None when it was not vendored."""
    pin = _pin(chart)
    path = VENDORED / f"{chart}-{pin['version']}.tgz"
    if not path.exists():
        return None
    data = path.read_bytes()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    if pin.get("digest") != digest:
        raise UpstreamDataMissing(
            f"{path} has {digest} but {LOCKFILE.name} records {pin.get('digest')}: "
            "run ci/vendor-charts (or --update after reviewing the change)"
        )
    return tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")


def _member_text(package: tarfile.TarFile, name: str) -> str | None:
    try:
        member = package.extractfile(name)
    except KeyError:
        return None
    return member.read().decode() if member else None


def _missing(what: str, packaged: str, fallback: Path) -> UpstreamDataMissing:
    return UpstreamDataMissing(
        f"no upstream data for {what}: neither the vendored chart package ({packaged}; ci/vendor-charts "
        f"downloads it where a chart repository is reachable) nor the fallback copy ({fallback}) has it"
    )


def values(chart: str) -> dict:
    """The values.yaml of a pinned chart, or of a subchart of one (SUBCHARTS)."""
    parent, version = SUBCHARTS[chart] if chart in SUBCHARTS else (chart, _pin(chart)["version"])
    inner = f"{parent}/values.yaml" if parent == chart else f"{parent}/charts/{chart}/values.yaml"
    package = _package(parent)
    if package is not None:
        text = _member_text(package, inner)
        if text is not None:
            if parent != chart:
                meta = yaml.safe_load(_member_text(package, f"{parent}/charts/{chart}/Chart.yaml") or "{}")
                if meta.get("version") != version:
                    raise UpstreamDataMissing(f"{parent} ships {chart} {meta.get('version')}, SUBCHARTS says {version}")
            return yaml.safe_load(text) or {}
    fallback = FALLBACK / "upstream-charts" / "values" / f"{chart}-{version}" / "values.yaml"
    if fallback.exists():
        return yaml.safe_load(fallback.read_text()) or {}
    packaged = VENDORED / f"{parent}-{_pin(parent)['version']}.tgz"
    raise _missing(f"{chart} {version} values.yaml", f"{inner} in {packaged}", fallback)


def _crd_docs(text: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(text) if doc and doc.get("kind") == "CustomResourceDefinition"]


def crds() -> list[dict]:
    """Every CRD document of the Strimzi and Prometheus-operator charts at their pinned versions."""
    found: list[dict] = []
    unvendored = []
    for chart, prefix in CRD_DIRS.items():
        package = _package(chart)
        if package is None:
            unvendored.append(chart)
            continue
        for member in sorted(package.getnames()):
            if member.startswith(prefix) and member.endswith((".yaml", ".yml")):
                found += _crd_docs(_member_text(package, member) or "")
    if unvendored:
        directory = FALLBACK / "upstream-charts" / "crds"
        files = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
        wanted = {group for group, chart in CRD_GROUPS.items() if chart in unvendored}
        fallback = [doc for path in files for doc in _crd_docs(path.read_text()) if doc["spec"]["group"] in wanted]
        if {doc["spec"]["group"] for doc in fallback} != wanted:
            raise _missing(f"the CRDs of {', '.join(unvendored)}", f"{', '.join(unvendored)} packages in {VENDORED}", directory)
        found += fallback
    return found


def _strict(schema: object) -> object:
    """What kubeconform-style validation expects of a CRD's openAPIV3Schema: an object with declared
    properties accepts no other key, as the API server (fieldValidation=Strict) would reject it."""
    if isinstance(schema, dict):
        schema = {key: _strict(value) for key, value in schema.items()}
        open_ended = "additionalProperties" in schema or schema.get("x-kubernetes-preserve-unknown-fields")
        if "properties" in schema and not open_ended:
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


def crd_schemas(group: str) -> dict[str, dict]:
    """JSON schemas of one CRD group as {"<kind lowercased>_<version>": schema}: from the real CRDs
    where a vendored package has them, else the fallback schemas (schemas/crds/<group>/*.json)."""
    chart = CRD_GROUPS.get(group)
    if chart is not None and _package(chart) is not None:
        vendored = [doc for doc in crds() if doc["spec"]["group"] == group]
        return {
            f"{doc['spec']['names']['kind'].lower()}_{served['name']}": _strict(
                copy.deepcopy(served["schema"]["openAPIV3Schema"])
            )
            for doc in vendored
            for served in doc["spec"]["versions"]
        }
    directory = FALLBACK / "schemas" / "crds" / group
    files = sorted(directory.glob("*.json")) if directory.is_dir() else []
    if not files:
        raise _missing(f"CRD schemas of {group}", f"the CRDs in the packages in {VENDORED}", directory)
    return {path.stem: json.loads(path.read_text()) for path in files}


def sources() -> dict[str, str]:
    """For each pinned chart, whether its data comes from the vendored package or the fallback."""
    return {chart: ("vendored package" if _package(chart) is not None else f"fallback {FALLBACK}") for chart in pins()}


def main(argv: list[str]) -> int:
    try:
        match argv:
            case ["values", chart]:
                yaml.safe_dump(values(chart), sys.stdout, sort_keys=False)
            case ["crds"]:
                yaml.safe_dump_all(crds(), sys.stdout, sort_keys=False)
            case ["schemas", group]:
                json.dump(crd_schemas(group), sys.stdout, indent=1)
            case ["sources"]:
                for chart, source in sources().items():
                    print(f"{chart}: {source}")
            case _:
                print(__doc__.split("\n\n")[1], file=sys.stderr)
                return 2
    except (UpstreamDataMissing, KeyError) as exc:
        print(f"ci/upstream_charts.py: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
