"""What the umbrella sets for the external charts is what those charts read, at the pinned versions
(their real values.yaml, through ci/upstream_charts.py):

- no key under `global` that MusicCorp sets is a key of an external chart's `global` (helm passes
  `global` to every subchart, so such a key would rewrite, say, every postgres and Grafana image);
- every key under an external chart's section exists in that chart's values.yaml: only postgres
  ships a values schema, and it allows unknown keys, so a typo (`postgres.persistance.size`) would
  otherwise render silently. Free-form maps (FREE_FORM) are the documented exception.

The values files are the umbrella's own (values.yaml, values-production.yaml) and every test values
file given to the umbrella (tests/charts/values).

Tempo, Loki and Alloy have no values copy beside the checkout (ci/upstream_charts.py
NO_FALLBACK_VALUES): their keys are checked only where ci/vendor-charts has vendored their packages;
test_charts_checked_only_when_vendored names the ones this run could not check.
"""

from __future__ import annotations

import pytest
import yaml
from chartlib import DEFAULT_VALUES, PRODUCTION_VALUES, VALUES, of_kind, render_case, upstream

# The umbrella's sections that are external charts, and the charts inside kube-prometheus-stack
# whose values are set through it (its subcharts read their own section of its values).
EXTERNAL = ("postgres", "strimzi-kafka-operator", "ingress-nginx", "kube-prometheus-stack", "tempo", "loki", "alloy")
SUBCHARTS = {
    "kube-prometheus-stack": ("grafana", "kube-state-metrics", "prometheus-node-exporter", "prometheus-windows-exporter"),
}
# Maps whose keys are the user's, not the chart's: any key below them is accepted. The last path
# segment or the whole dotted path (below the chart's section) names them. Besides these, a map the
# chart's values.yaml leaves empty ({}) is free-form by the chart's own statement.
FREE_FORM = {
    "nodeSelector": "Kubernetes node labels",
    "resources": "Kubernetes ResourceRequirements (the charts' examples list requests only)",
    "podAnnotations": "annotations of the pods",
    "podLabels": "labels of the pods",
    "annotations": "Kubernetes annotations",
    "labels": "Kubernetes labels",
    "extraEnv": "environment variables of the container",
    "grafana.ini": "Grafana's own configuration file, section by section",
    "controller.config": "ingress-nginx's ConfigMap: nginx settings by name",
    "prometheus.prometheusSpec.storageSpec": "a Prometheus Operator StorageSpec",
    "loki.limits_config": "Loki's own limits_config block (any key of Loki's configuration)",
}
# Keys a chart reads that its values.yaml does not list (path below the chart's own values).
UNLISTED = {
    "grafana.adminPassword": "listed commented out in grafana's values.yaml (`# adminPassword: strongpassword`)",
    "grafana.service.nodePort": "grafana's templates/service.yaml reads .Values.service.nodePort for type NodePort",
}
# The umbrella's dependency condition (<chart>.enabled), read by helm, not by the chart.
CONDITION = "enabled"
# Test values files of a service chart alone, not of the umbrella.
SERVICE_CHART_FILES = {"catalog-consumer.yaml": "rendered with charts/catalog (case catalog-full)"}


def upstream_values(chart: str) -> dict | None:
    """The chart's values.yaml; None for a chart without a fallback copy that is not vendored."""
    try:
        return upstream().values(chart)
    except upstream().UpstreamDataMissing:
        if chart in upstream().NO_FALLBACK_VALUES:
            return None
        raise


def unchecked_charts() -> list[str]:
    return [chart for chart in EXTERNAL if upstream_values(chart) is None]


def umbrella_value_files() -> dict[str, dict]:
    files = {"values.yaml": DEFAULT_VALUES, "values-production.yaml": PRODUCTION_VALUES}
    files |= {f"tests/charts/values/{p.name}": p for p in sorted(VALUES.glob("*.yaml")) if p.name not in SERVICE_CHART_FILES}
    return {name: yaml.safe_load(path.read_text()) or {} for name, path in files.items()}


def free_form(path: tuple[str, ...]) -> bool:
    return path[-1] in FREE_FORM or ".".join(path) in FREE_FORM or any(".".join(path[i:]) in FREE_FORM for i in range(len(path)))


def unknown_keys(ours: dict, theirs: list[dict], path: tuple[str, ...] = (), chart: str = "") -> list[str]:
    """Dotted paths of `ours` that none of `theirs` (upstream values at the same place) has."""
    found = []
    for key, value in ours.items():
        here = (*path, key)
        present = [t[key] for t in theirs if isinstance(t, dict) and key in t]
        if not present:
            if ".".join((chart, *here)) not in UNLISTED:
                found.append(".".join(here))
        elif isinstance(value, dict) and not free_form(here):
            maps = [p for p in present if isinstance(p, dict)]
            if maps and all(maps):  # an empty upstream map is free-form
                found += unknown_keys(value, maps, here, chart)
    return found


def section_errors(values: dict) -> list[str]:
    """`<chart>.<path>` for each key of an external chart's section its values.yaml lacks."""
    errors = []
    for chart in EXTERNAL:
        theirs = upstream_values(chart)
        if theirs is None:
            continue  # not vendored, no copy: see test_charts_checked_only_when_vendored
        section = dict(values.get(chart) or {})
        section.pop(CONDITION, None)
        for subchart in SUBCHARTS.get(chart, ()):
            if subchart in section:
                sub = dict(section.pop(subchart) or {})
                sub.pop(CONDITION, None)
                places = [theirs.get(subchart) or {}, upstream().values(subchart)]
                errors += [f"{chart}.{subchart}.{p}" for p in unknown_keys(sub, places, chart=subchart)]
        errors += [f"{chart}.{p}" for p in unknown_keys(section, [theirs], chart=chart)]
    return errors


@pytest.mark.parametrize(("name", "values"), umbrella_value_files().items(), ids=list(umbrella_value_files()))
def test_musiccorp_global_keys_are_read_by_no_external_chart(name: str, values: dict) -> None:
    external_globals = {}
    for chart in (*EXTERNAL, *(s for subs in SUBCHARTS.values() for s in subs)):
        for key in (upstream_values(chart) or {}).get("global") or {}:
            external_globals.setdefault(key, []).append(chart)
    clashes = {key: external_globals[key] for key in (values.get("global") or {}) if key in external_globals}
    assert not clashes, f"{name}: global keys the external charts read too: {clashes}"


@pytest.mark.parametrize(("name", "values"), umbrella_value_files().items(), ids=list(umbrella_value_files()))
def test_every_external_chart_key_exists_upstream(name: str, values: dict) -> None:
    errors = section_errors(values)
    assert not errors, f"{name}: keys the pinned charts' values.yaml do not have (typo? free-form map?):\n" + "\n".join(errors)


def test_charts_checked_only_when_vendored() -> None:
    """The charts whose keys this run could not check are only those without a values copy, and
    the umbrella still sets their keys where the tests can see them (tests/charts/test_observability.py)."""
    unchecked = unchecked_charts()
    assert set(unchecked) <= upstream().NO_FALLBACK_VALUES
    print(f"values keys not checked (no vendored package, no copy in ../shared): {unchecked or 'none'}")


def test_an_injected_typo_is_caught() -> None:
    values = yaml.safe_load(DEFAULT_VALUES.read_text())
    values["postgres"]["persistance"] = {"size": "1Gi"}
    values["ingress-nginx"]["controller"]["hostPortt"] = {"enabled": True}
    values["kube-prometheus-stack"]["grafana"]["sidecar"]["dashboards"]["lable"] = "x"
    assert section_errors(values) == [
        "postgres.persistance",
        "ingress-nginx.controller.hostPortt",
        "kube-prometheus-stack.grafana.sidecar.dashboards.lable",
    ]


def test_free_form_maps_accept_any_key() -> None:
    values = {"ingress-nginx": {"controller": {"nodeSelector": {"ingress-ready": "true"}, "config": {"any-nginx-key": "1"}}}}
    assert section_errors(values) == []


def test_services_take_their_registry_from_service_defaults() -> None:
    # tests/charts/values/production.yaml sets global.serviceDefaults.image.registry.
    deployments = of_kind(render_case("umbrella-production"), "Deployment")
    images = {c["image"] for d in deployments for c in d["spec"]["template"]["spec"]["containers"]}
    assert images
    assert all(image.startswith("registry.example.com/musiccorp/") for image in images), images
