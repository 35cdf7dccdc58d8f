"""External chart pins agree everywhere: Chart.yaml, Chart.lock (including Helm's digest of the
two, which `helm dependency build` checks) and Chartfile.lock."""

from __future__ import annotations

import hashlib
import json
import re

import yaml
from chartlib import ROOT, SERVICES

UMBRELLA = ROOT / "charts" / "umbrella"
# Field order and omitempty of Helm's chart.Dependency, which its lock digest serialises.
DEPENDENCY_FIELDS = ("name", "version", "repository", "condition", "tags", "enabled", "import-values", "alias")


def chart_dependencies() -> list[dict]:
    return yaml.safe_load((UMBRELLA / "Chart.yaml").read_text())["dependencies"]


def external(deps: list[dict]) -> dict[str, dict]:
    return {d["name"]: d for d in deps if not d["repository"].startswith("file://")}


def test_external_versions_are_exact() -> None:
    for dep in external(chart_dependencies()).values():
        assert re.fullmatch(r"\d+\.\d+\.\d+", dep["version"]), f"{dep['name']}: {dep['version']} is not an exact version"
        assert dep["condition"] == f"{dep['name']}.enabled"


def test_chartfile_lock_agrees_with_chart_yaml() -> None:
    pins = {c["name"]: c for c in yaml.safe_load((ROOT / "Chartfile.lock").read_text())["charts"]}
    deps = external(chart_dependencies())
    assert pins.keys() == deps.keys()
    for name, dep in deps.items():
        assert (pins[name]["version"], pins[name]["repository"]) == (dep["version"], dep["repository"]), name
        digest = pins[name]["digest"]
        assert digest is None or re.fullmatch(r"sha256:[0-9a-f]{64}", digest), name


def test_chart_lock_is_in_sync_with_chart_yaml() -> None:
    lock = yaml.safe_load((UMBRELLA / "Chart.lock").read_text())
    deps = chart_dependencies()
    assert [(d["name"], d["version"], d["repository"]) for d in lock["dependencies"]] == [
        (d["name"], d["version"], d["repository"]) for d in deps
    ]
    req = [{k: d[k] for k in DEPENDENCY_FIELDS if k in d} for d in deps]
    locked = [{k: d[k] for k in ("name", "version", "repository")} for d in lock["dependencies"]]
    digest = hashlib.sha256(json.dumps([req, locked], separators=(",", ":")).encode()).hexdigest()
    assert lock["digest"] == f"sha256:{digest}", "Chart.lock is stale: helm dependency build would refuse it"


def test_kafka_version_matches_the_local_stack() -> None:
    pinned = re.search(r"^KAFKA_VERSION=(\S+)", (ROOT / "ci" / "versions.env").read_text(), re.M).group(1)
    assert str(yaml.safe_load((UMBRELLA / "values.yaml").read_text())["kafka"]["version"]) == pinned


def test_every_service_chart_is_a_conditional_local_dependency() -> None:
    local = {d["name"]: d for d in chart_dependencies() if d["repository"].startswith("file://")}
    assert local.pop("musiccorp-common")["repository"] == "file://../common"
    assert local.keys() == set(SERVICES)
    for name, dep in local.items():
        assert (dep["repository"], dep["condition"]) == (f"file://../{name}", f"{name}.enabled")
        chart = yaml.safe_load((ROOT / "charts" / name / "Chart.yaml").read_text())
        assert chart["version"] == dep["version"], name
        lock = yaml.safe_load((ROOT / "charts" / name / "Chart.lock").read_text())
        assert [(d["name"], d["version"]) for d in lock["dependencies"]] == [
            (d["name"], d["version"]) for d in chart["dependencies"]
        ], f"charts/{name}/Chart.lock is stale"
