"""Logs and traces in the chart: Tempo, Loki and Grafana Alloy (pinned Grafana charts) are on in the
default (kind) profile and off in the bundled one, and the umbrella wires them together:

- every service's OTEL_EXPORTER_OTLP_ENDPOINT is Alloy's Service on its OTLP/HTTP port, which
  Alloy's configuration listens on, and the service's NetworkPolicy lets it reach Alloy's pods there;
- Alloy's configuration pushes logs to Loki's Service and exports spans to Tempo's OTLP receiver;
- Grafana gets Loki and Tempo data sources linked both ways (trace -> its log lines, log line ->
  its trace, correlation id -> its traces), and every data source a dashboard names is provisioned.

Where the Services come from: render-umbrella renders the real tempo, loki and alloy charts when
ci/vendor-charts has put their packages in charts/umbrella/charts/; then the Services are looked up
in the render. Without network to their repositories (this machine) they are empty stubs, and the
names are those the charts' own fullname rule gives (release "musiccorp": "musiccorp-<chart>"),
with the ports their values.yaml default to (Tempo 3200/4317, Loki 3100; Alloy's OTLP ports are
the umbrella's own alloy.alloy.extraPorts).
"""

from __future__ import annotations

import json
import re

import pytest
import yaml
from chartlib import (
    BUNDLED_VALUES,
    DEFAULT_VALUES,
    ROOT,
    SERVICES,
    charts_copy,
    helm_path,
    of_kind,
    parse,
    render_bundled,
    render_case,
    run,
    template,
)

UMBRELLA = ROOT / "charts" / "umbrella"
DASHBOARDS = sorted((UMBRELLA / "files" / "dashboards").glob("*.json"))
RELEASE = NAMESPACE = "musiccorp"
CHARTS = ("tempo", "loki", "alloy")
VALUES = yaml.safe_load(DEFAULT_VALUES.read_text())
# What each chart's values.yaml defaults to (the umbrella does not change them).
TEMPO_HTTP_PORT, TEMPO_OTLP_GRPC_PORT, LOKI_HTTP_PORT = 3200, 4317, 3100


def pinned_version(chart: str) -> str:
    [dep] = [d for d in yaml.safe_load((UMBRELLA / "Chart.yaml").read_text())["dependencies"] if d["name"] == chart]
    return dep["version"]


def vendored(chart: str) -> bool:
    return (UMBRELLA / "charts" / f"{chart}-{pinned_version(chart)}.tgz").exists()


def service_name(chart: str) -> str:
    """The chart's Service in the default render: found there when the chart is vendored, else the
    name its fullname rule gives (and then the stub must have rendered nothing of it)."""
    expected = f"{RELEASE}-{chart}"
    services = {s["metadata"]["name"]: s for s in of_kind(render_case("umbrella-default"), "Service")}
    if vendored(chart):
        assert expected in services, f"{chart} is vendored but renders no Service {expected}: {sorted(services)}"
    else:
        assert expected not in services, f"{chart} is not vendored, yet something renders {expected}"
    return expected


def service_ports(chart: str) -> set[int] | None:
    """The ports of the chart's rendered Service, or None when the chart is a stub."""
    if not vendored(chart):
        return None
    [svc] = [s for s in of_kind(render_case("umbrella-default"), "Service") if s["metadata"]["name"] == service_name(chart)]
    return {p["port"] for p in svc["spec"]["ports"]}


def configmaps(docs) -> dict[str, dict]:
    return {cm["metadata"]["name"]: cm for cm in of_kind(docs, "ConfigMap")}


def alloy_config(docs=None) -> str:
    settings = VALUES["alloy"]["alloy"]["configMap"]
    cm = configmaps(docs or render_case("umbrella-default"))[settings["name"]]
    return cm["data"][settings["key"]]


def block(config: str, header: str) -> str:
    """The body of the first Alloy block starting with `header` (braces balanced)."""
    start = config.index(header + " {") + len(header) + 2
    depth, end = 1, start
    while depth:
        depth += {"{": 1, "}": -1}.get(config[end], 0)
        end += 1
    return config[start : end - 1]


def attribute(body: str, name: str) -> str:
    match = re.search(rf'^\s*{re.escape(name)}\s*=\s*"([^"]*)"', body, re.M)
    assert match, f"no {name} in {body}"
    return match.group(1)


def alloy_otlp_http_port() -> int:
    [port] = [p for p in VALUES["alloy"]["alloy"]["extraPorts"] if p["name"] == "otlp-http"]
    assert port["port"] == port["targetPort"]
    return port["port"]


def datasources(docs) -> list[dict]:
    sidecar = VALUES["kube-prometheus-stack"]["grafana"]["sidecar"]["datasources"]
    found = []
    for cm in of_kind(docs, "ConfigMap"):
        if cm["metadata"]["labels"].get(sidecar["label"]) == sidecar["labelValue"]:
            for text in cm["data"].values():
                found += yaml.safe_load(text)["datasources"]
    return found


def by_type(docs) -> dict[str, dict]:
    return {ds["type"]: ds for ds in datasources(docs)}


def test_the_observability_charts_are_on_by_default_and_off_in_the_bundled_profile() -> None:
    bundled = yaml.safe_load(BUNDLED_VALUES.read_text())
    for chart in CHARTS:
        assert VALUES[chart]["enabled"] is True, chart
        assert bundled[chart]["enabled"] is False, chart
    assert VALUES["loki"]["deploymentMode"] == "Monolithic"
    for target in ("read", "write", "backend"):
        assert VALUES["loki"][target]["replicas"] == 0, target
    assert VALUES["loki"]["singleBinary"]["replicas"] == 1
    # The bundled profile has no collector: nothing exports, and no Alloy config or data source is rendered.
    docs = render_bundled()
    for cm in of_kind(docs, "ConfigMap"):
        if "OTEL_TRACES_EXPORTER" in cm.get("data", {}):
            assert cm["data"]["OTEL_TRACES_EXPORTER"] == "none", cm["metadata"]["name"]
            assert "OTEL_EXPORTER_OTLP_ENDPOINT" not in cm["data"]
    assert VALUES["alloy"]["alloy"]["configMap"]["name"] not in configmaps(docs)
    assert not datasources(docs)


def test_every_service_exports_its_traces_to_alloys_otlp_http_receiver() -> None:
    docs = render_case("umbrella-default")
    endpoint = f"http://{service_name('alloy')}:{alloy_otlp_http_port()}"
    exported = {
        cm["metadata"]["name"]: cm["data"]["OTEL_EXPORTER_OTLP_ENDPOINT"]
        for cm in of_kind(docs, "ConfigMap")
        if cm["data"].get("OTEL_TRACES_EXPORTER") == "otlp"
    }
    assert exported == {f"{RELEASE}-{service}": endpoint for service in SERVICES}
    # Alloy listens there: its OTLP receiver's HTTP endpoint is on that port ...
    receiver = block(alloy_config(docs), 'otelcol.receiver.otlp "services"')
    assert attribute(block(receiver, "http"), "endpoint") == f"0.0.0.0:{alloy_otlp_http_port()}"
    # ... which is a port of Alloy's Service (when the real chart renders it).
    ports = service_ports("alloy")
    assert ports is None or alloy_otlp_http_port() in ports


def test_the_services_network_policies_allow_egress_to_alloy() -> None:
    policies = {p["metadata"]["name"]: p for p in of_kind(render_case("umbrella-default"), "NetworkPolicy")}
    alloy_pods = {"app.kubernetes.io/name": "alloy", "app.kubernetes.io/instance": RELEASE}
    if vendored("alloy"):
        deployments = of_kind(render_case("umbrella-default"), "Deployment")
        [deployment] = [d for d in deployments if d["metadata"]["name"] == service_name("alloy")]
        assert alloy_pods.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    for service in SERVICES:
        egress = policies[f"{RELEASE}-{service}"]["spec"]["egress"]
        to_alloy = [
            rule for rule in egress if any(peer.get("podSelector", {}).get("matchLabels") == alloy_pods for peer in rule["to"])
        ]
        assert to_alloy, f"{service}: no egress rule to Alloy's pods"
        assert {"port": alloy_otlp_http_port(), "protocol": "TCP"} in to_alloy[0]["ports"]
        namespaces = [peer["namespaceSelector"]["matchLabels"] for peer in to_alloy[0]["to"]]
        assert namespaces == [{"kubernetes.io/metadata.name": NAMESPACE}]


def test_no_egress_to_alloy_when_tracing_is_off() -> None:
    docs = parse(template("umbrella", ["--set", "global.serviceDefaults.otel.enabled=false"]).stdout)
    for policy in of_kind(docs, "NetworkPolicy"):
        for rule in policy["spec"].get("egress", []):
            for peer in rule["to"]:
                assert peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name") != "alloy"


def test_alloy_pushes_logs_to_lokis_service_and_spans_to_tempos() -> None:
    config = alloy_config()
    push = attribute(block(block(config, 'loki.write "loki"'), "endpoint"), "url")
    assert push == f"http://{service_name('loki')}.{NAMESPACE}.svc:{LOKI_HTTP_PORT}/loki/api/v1/push"
    tempo = attribute(block(block(config, 'otelcol.exporter.otlp "tempo"'), "client"), "endpoint")
    assert tempo == f"{service_name('tempo')}.{NAMESPACE}.svc:{TEMPO_OTLP_GRPC_PORT}"
    for chart, port in (("loki", LOKI_HTTP_PORT), ("tempo", TEMPO_OTLP_GRPC_PORT)):
        ports = service_ports(chart)
        assert ports is None or port in ports, f"{chart}'s Service has {ports}"
    # The pipelines are connected end to end (each component forwards to one that exists).
    assert "forward_to = [loki.process.pods.receiver]" in config
    assert "forward_to = [loki.write.loki.receiver]" in config
    assert "traces = [otelcol.processor.batch.traces.input]" in config
    assert "traces = [otelcol.exporter.otlp.tempo.input]" in config
    # Logs of the release namespace; trace_id and correlation_id kept as structured metadata.
    assert block(block(config, 'discovery.kubernetes "pods"'), "namespaces").strip() == f'names = ["{NAMESPACE}"]'
    metadata = block(block(config, 'loki.process "pods"'), "stage.structured_metadata")
    assert "trace_id" in metadata
    assert "correlation_id" in metadata


def test_alloy_mounts_the_umbrellas_configuration() -> None:
    settings = VALUES["alloy"]["alloy"]["configMap"]
    assert settings["create"] is False
    assert settings["name"] in configmaps(render_case("umbrella-default"))
    proc = template("umbrella", ["--set", "alloy.alloy.configMap.create=true"], expect_ok=False)
    assert proc.returncode != 0
    assert "alloy.alloy.configMap.create must stay false" in proc.stderr


def test_loki_and_tempo_data_sources_point_at_their_services_and_at_each_other() -> None:
    docs = render_case("umbrella-default")
    sources = by_type(docs)
    loki, tempo = sources["loki"], sources["tempo"]
    assert loki["url"] == f"http://{service_name('loki')}.{NAMESPACE}.svc:{LOKI_HTTP_PORT}"
    assert tempo["url"] == f"http://{service_name('tempo')}.{NAMESPACE}.svc:{TEMPO_HTTP_PORT}"
    for chart, port in (("loki", LOKI_HTTP_PORT), ("tempo", TEMPO_HTTP_PORT)):
        ports = service_ports(chart)
        assert ports is None or port in ports
    # Trace -> logs: the log lines whose trace_id (structured metadata Alloy attaches) is the trace's.
    to_logs = tempo["jsonData"]["tracesToLogsV2"]
    assert to_logs["datasourceUid"] == loki["uid"]
    assert to_logs["customQuery"] is True
    assert to_logs["query"] == f'{{namespace=~"{NAMESPACE}"}} | trace_id="${{__trace.traceId}}"'
    # Log line -> trace: the derived field finds the trace id in a line as musiccorp_common.logging writes it.
    fields = {f["name"]: f for f in loki["jsonData"]["derivedFields"]}
    line = json.dumps({"message": "order placed", "correlation_id": "c-42", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"})
    assert fields["trace_id"]["datasourceUid"] == tempo["uid"]
    assert re.search(fields["trace_id"]["matcherRegex"], line).group(1) == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert fields["trace_id"]["url"] == "${__value.raw}"
    # Correlation id -> its traces (TraceQL on the span attribute the services set), and a search field in Tempo.
    assert re.search(fields["correlation_id"]["matcherRegex"], line).group(1) == "c-42"
    assert fields["correlation_id"]["datasourceUid"] == tempo["uid"]
    assert fields["correlation_id"]["url"] == '{ span.musiccorp.correlation_id = "${__value.raw}" }'
    filters = {f["id"]: f for f in tempo["jsonData"]["search"]["filters"]}
    assert (filters["correlation-id"]["tag"], filters["correlation-id"]["scope"]) == ("musiccorp.correlation_id", "span")
    correlation = (ROOT / "services/common/src/musiccorp_common/correlation.py").read_text()
    assert 'set_attribute("musiccorp.correlation_id", correlation_id)' in correlation
    logging_module = (ROOT / "services/common/src/musiccorp_common/logging.py").read_text()
    assert 'entry["trace_id"] = trace.format_trace_id(' in logging_module


def test_no_data_sources_without_grafana() -> None:
    docs = render_case("umbrella-monitoring-off")
    assert not datasources(docs)


def dashboard_uid_refs(dashboard: dict) -> list[tuple[str, str]]:
    """(where, data source uid) of every data source reference, variables resolved to their value."""
    variables = {v["name"]: v.get("current", {}).get("value") for v in dashboard.get("templating", {}).get("list", [])}
    refs = []

    def walk(node, where):
        if isinstance(node, dict):
            ds = node.get("datasource")
            if isinstance(ds, dict) and "uid" in ds:
                uid = ds["uid"]
                name = re.fullmatch(r"\$\{(\w+)\}|\$(\w+)", uid)
                if name:
                    uid = variables.get(name.group(1) or name.group(2))
                refs.append((f"{where}/{node.get('title') or node.get('name') or node.get('refId')}", uid))
            for _key, value in node.items():
                walk(value, where)
        elif isinstance(node, list):
            for item in node:
                walk(item, where)

    walk(dashboard, dashboard["uid"])
    return refs


@pytest.mark.parametrize("case", ["umbrella-default", "umbrella-values-production", "umbrella-production"])
def test_every_data_source_a_dashboard_names_is_provisioned(case: str) -> None:
    docs = render_case(case)
    provisioned = {ds["uid"] for ds in datasources(docs)}
    # kube-prometheus-stack's own Prometheus data source (its ConfigMap is that chart's).
    provisioned.add(VALUES["kube-prometheus-stack"]["grafana"]["sidecar"]["datasources"]["uid"])
    shipped = [
        json.loads(text)
        for cm in of_kind(docs, "ConfigMap")
        if cm["metadata"]["labels"].get("grafana_dashboard") == "1"
        for text in cm["data"].values()
    ]
    assert len(shipped) == len(DASHBOARDS)
    refs = [ref for dashboard in shipped for ref in dashboard_uid_refs(dashboard)]
    assert refs
    missing = [(where, uid) for where, uid in refs if uid not in provisioned]
    assert not missing, f"data sources not provisioned ({sorted(provisioned)}): {missing}"


def test_dashboards_parse_and_ship_unchanged_one_configmap_each() -> None:
    shipped = {
        key: text
        for cm in of_kind(render_case("umbrella-default"), "ConfigMap")
        if cm["metadata"]["labels"].get("grafana_dashboard") == "1"
        for key, text in cm["data"].items()
    }
    assert shipped.keys() == {path.name for path in DASHBOARDS}
    uids = set()
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())
        assert json.loads(shipped[path.name]) == dashboard, path.name
        assert dashboard["uid"] not in uids
        uids.add(dashboard["uid"])
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(ids) == len(set(ids)), path.name
        for panel in dashboard["panels"]:
            assert panel["targets"], f"{path.name}: {panel['title']}"
            assert panel["description"], f"{path.name}: {panel['title']}"


# Metric name -> where it is defined, for every metric a dashboard reads that MusicCorp's code exports.
def exported_metric_names() -> set[str]:
    names = set()
    for path in (ROOT / "services").rglob("*.py"):
        if "tests" in path.parts or "testing" in path.parts:
            continue
        names |= set(re.findall(r'"(musiccorp_[a-z_]+)"', path.read_text()))
    return names


def dashboard_metrics() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel["targets"]:
                for name in re.findall(r"\b([a-z_:][a-z0-9_:]*)\{", target["expr"]):
                    found.setdefault(name, set()).add(f"{path.stem}/{panel['title']}")
    return found


def test_dashboard_queries_read_metrics_the_services_export() -> None:
    exported = exported_metric_names()
    unknown = {}
    for metric, panels in dashboard_metrics().items():
        if metric.startswith("musiccorp_"):
            base = re.sub(r"_(bucket|count|sum|total)$", "", metric)
            if metric not in exported and base not in exported:
                unknown[metric] = sorted(panels)
        elif metric.startswith("django_"):
            continue  # django-prometheus's middleware (settings.py), checked by tests/e2e/test_metrics.py
        elif metric.startswith("pg_"):
            continue  # postgres_exporter beside the postgres chart's server (postgres.metrics)
        else:
            unknown[metric] = sorted(panels)
    assert not unknown, f"dashboard metrics nobody exports: {unknown}"
    read = dashboard_metrics().keys()
    assert {"musiccorp_order_saga_seconds_bucket", "musiccorp_orders_total", "musiccorp_consumer_lag"} <= read


def test_the_saga_dashboard_shows_the_funnel_and_the_saga_histogram() -> None:
    saga = json.loads((UMBRELLA / "files/dashboards/musiccorp-saga.json").read_text())
    exprs = {panel["title"]: " ".join(t["expr"] for t in panel["targets"]) for panel in saga["panels"]}
    funnel = exprs["Saga funnel (orders per minute)"]
    assert funnel.startswith("sum by (status) (rate(musiccorp_orders_total{")
    assert funnel.endswith("* 60")
    quantiles = exprs["Placed to terminal: p50 / p95 / p99"]
    assert "histogram_quantile(0.95, sum by (status, le) (rate(musiccorp_order_saga_seconds_bucket{" in quantiles


def test_prometheus_scrapes_the_postgres_exporter() -> None:
    docs = render_case("umbrella-default")
    monitors = of_kind(docs, "ServiceMonitor")
    [monitor] = [m for m in monitors if m["metadata"]["labels"].get("app.kubernetes.io/component") == "postgres-metrics"]
    assert monitor["metadata"]["labels"]["release"] == RELEASE
    assert monitor["spec"]["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "postgres",
        "app.kubernetes.io/instance": RELEASE,
        "app.kubernetes.io/component": "metrics",
    }
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    assert VALUES["postgres"]["metrics"]["enabled"] is True
    # No monitor where there is no postgres chart (the production case's managed database).
    assert not [m for m in of_kind(render_case("umbrella-production"), "ServiceMonitor") if "postgres" in m["metadata"]["name"]]


def test_docs_describe_every_panel() -> None:
    docs = (ROOT / "docs" / "observability.md").read_text()
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            assert f"**{panel['title']}**" in docs, f"docs/observability.md does not describe {path.stem}/{panel['title']}"
    assert "Promtail" in docs
    assert "successor" in docs


def test_the_library_default_endpoint_follows_the_alloy_charts_naming() -> None:
    # A release whose name contains "alloy" has a Service named after the release alone.
    docs = parse(template("order", ["--set", "otel.enabled=true"]).stdout)
    [cm] = [c for c in of_kind(docs, "ConfigMap") if "OTEL_EXPORTER_OTLP_ENDPOINT" in c.get("data", {})]
    assert cm["data"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://musiccorp-alloy:4318"
    proc = run([helm_path(), "template", "my-alloy", str(charts_copy() / "order"), "--set", "otel.enabled=true"])
    [cm] = [c for c in of_kind(parse(proc.stdout), "ConfigMap") if "OTEL_EXPORTER_OTLP_ENDPOINT" in c.get("data", {})]
    assert cm["data"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://my-alloy:4318"
