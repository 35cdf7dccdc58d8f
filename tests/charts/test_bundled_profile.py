"""The bundled-infrastructure profile (charts/umbrella/values-bundled.yaml) renders, lints and is
valid Kubernetes; it installs nothing of the external charts; its own workloads are locked down
(non-root, no privilege, read-only root where the image allows), sized, probed and shut down
gracefully."""

from __future__ import annotations

import kubernetes_validate
from chartlib import BUNDLED_VALUES, lint_umbrella, of_kind, render_bundled, template

KUBERNETES_VERSION = "1.33"
BUNDLED = ("musiccorp-postgres", "musiccorp-kafka", "musiccorp-gateway")


def bundled_workloads() -> dict[str, dict]:
    docs = render_bundled()
    return {
        d["metadata"]["name"]: d
        for d in of_kind(docs, "StatefulSet") + of_kind(docs, "Deployment")
        if d["metadata"]["name"] in BUNDLED
    }


def test_the_profile_passes_helm_lint() -> None:
    proc = lint_umbrella(["-f", str(BUNDLED_VALUES)])
    assert "0 chart(s) failed" in proc.stdout + proc.stderr


def test_every_object_matches_the_kubernetes_schemas() -> None:
    errors = []
    for doc in render_bundled():
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message} at {list(exc.path)}")
    assert not errors, "\n".join(errors)
    assert all(doc["metadata"].get("namespace") == "musiccorp" for doc in render_bundled())


def test_nothing_of_the_external_charts_is_rendered() -> None:
    docs = render_bundled()
    groups = {d["apiVersion"].split("/")[0] for d in docs}
    # No Strimzi, Prometheus Operator or Gateway API resources, no Ingress for a controller that is not there.
    assert not groups & {"kafka.strimzi.io", "monitoring.coreos.com", "gateway.networking.k8s.io"}, groups
    assert not of_kind(docs, "Ingress")
    # Every object is the umbrella's or a MusicCorp service chart's (the external charts are off, not stubbed away).
    ours = {"musiccorp-0.1.0", *(f"{s}-0.1.0" for s in ("catalog", "inventory", "order", "payment", "shipping"))}
    charts = {d["metadata"]["labels"]["helm.sh/chart"] for d in docs}
    assert charts <= ours, charts - ours


def test_the_profile_runs_postgres_kafka_and_the_gateway_itself() -> None:
    workloads = bundled_workloads()
    assert workloads["musiccorp-postgres"]["kind"] == "StatefulSet"
    assert workloads["musiccorp-kafka"]["kind"] == "StatefulSet"
    assert workloads["musiccorp-gateway"]["kind"] == "Deployment"
    images = {name: w["spec"]["template"]["spec"]["containers"][0]["image"] for name, w in workloads.items()}
    # The official images, under the names ci/images/standins tags its stand-ins with.
    assert images["musiccorp-postgres"] == "docker.io/library/postgres:15"
    assert images["musiccorp-kafka"] == "docker.io/apache/kafka:4.1.1"
    assert images["musiccorp-gateway"].startswith("docker.io/library/nginx:")


def test_statefulsets_keep_their_data_on_claims() -> None:
    for name in ("musiccorp-postgres", "musiccorp-kafka"):
        sts = bundled_workloads()[name]
        [claim] = sts["spec"]["volumeClaimTemplates"]
        assert claim["spec"]["resources"]["requests"]["storage"], name
        container = sts["spec"]["template"]["spec"]["containers"][0]
        data = next(m for m in container["volumeMounts"] if m["name"] == claim["metadata"]["name"])
        assert data["mountPath"].startswith("/var/lib/"), name
        # Uninstalling the release or scaling down does not delete the data.
        assert sts["spec"]["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}


def test_workloads_are_locked_down_where_the_images_allow() -> None:
    read_only = {"musiccorp-postgres": True, "musiccorp-kafka": False, "musiccorp-gateway": True}
    for name, workload in bundled_workloads().items():
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] > 0, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert pod["automountServiceAccountToken"] is False, name
        [container] = pod["containers"]
        sc = container["securityContext"]
        assert sc["allowPrivilegeEscalation"] is False, name
        assert sc["capabilities"]["drop"] == ["ALL"], name
        # Kafka's image writes its generated config into /opt/kafka/config (templates/bundled/kafka.yaml).
        assert sc["readOnlyRootFilesystem"] is read_only[name], name
        assert "/tmp" in {m["mountPath"] for m in container["volumeMounts"]}, name  # noqa: S108 (the mount, not a file)


def test_workloads_are_sized_and_probed() -> None:
    for name, workload in bundled_workloads().items():
        [container] = workload["spec"]["template"]["spec"]["containers"]
        resources = container["resources"]
        assert resources["requests"]["cpu"], name
        assert resources["requests"]["memory"], name
        assert resources["limits"]["memory"], name
        assert {"startupProbe", "readinessProbe", "livenessProbe"} <= container.keys(), name
    # Sized for a one-node kind-sized cluster: all three fit in 2 GiB of requests.
    mebibytes = {"Mi": 1, "Gi": 1024}
    total = sum(
        int(c["resources"]["requests"]["memory"][:-2]) * mebibytes[c["resources"]["requests"]["memory"][-2:]]
        for w in bundled_workloads().values()
        for c in w["spec"]["template"]["spec"]["containers"]
    )
    assert total <= 2048, total


def test_workloads_shut_down_gracefully() -> None:
    workloads = bundled_workloads()
    postgres = workloads["musiccorp-postgres"]["spec"]["template"]["spec"]
    stop = postgres["containers"][0]["lifecycle"]["preStop"]["exec"]["command"][-1]
    assert "pg_ctl" in stop
    assert "-m fast" in stop
    assert postgres["terminationGracePeriodSeconds"] >= 30
    assert workloads["musiccorp-kafka"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= 30
    gateway = workloads["musiccorp-gateway"]
    pod = gateway["spec"]["template"]["spec"]
    hook = pod["containers"][0]["lifecycle"]["preStop"]["exec"]["command"][-1]
    assert hook.startswith("sleep 5;")
    assert "-s quit" in hook
    assert pod["terminationGracePeriodSeconds"] > 5
    assert gateway["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_the_node_port_is_a_value() -> None:
    def service(docs: tuple[dict, ...]) -> dict:
        return next(s for s in of_kind(docs, "Service") if s["metadata"]["name"] == "musiccorp-gateway")

    assert service(render_bundled())["spec"]["type"] == "NodePort"
    assert service(render_bundled())["spec"]["ports"][0]["nodePort"] == 30080
    moved = service(render_bundled("--set", "gateway.nginx.service.nodePort=31234"))
    assert moved["spec"]["ports"][0]["nodePort"] == 31234


def test_clashing_with_the_external_charts_fails_naming_the_key() -> None:
    cases = {
        "postgres.enabled=true": "set postgres.enabled=false",
        "kafka.enabled=true": "set kafka.enabled=false",
        "kafka.replicationFactor=3": "set kafka.replicationFactor=1",
        "ingress-nginx.enabled=true": "set ingress-nginx.enabled=false",
    }
    for setting, message in cases.items():
        proc = template("umbrella", ["-f", str(BUNDLED_VALUES), "--set", setting], expect_ok=False)
        assert proc.returncode != 0, setting
        assert message in proc.stderr, (setting, proc.stderr[-500:])


def test_web_pods_answer_probes_while_busy() -> None:
    """Zero-downtime rollouts on a small node (tests/pods/test_zero_downtime.py): two gunicorn workers
    per web pod, so a probe is not queued behind a slow request, and 5 s before a probe fails."""
    docs = render_bundled()
    webs = [
        d
        for d in of_kind(docs, "Deployment")
        if d["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component") == "web"
    ]
    assert len(webs) == 5, [d["metadata"]["name"] for d in webs]
    for web in webs:
        [container] = web["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        assert env.get("WEB_CONCURRENCY") == "2", web["metadata"]["name"]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["timeoutSeconds"] == 5, (web["metadata"]["name"], probe)
        assert web["spec"]["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}
        assert container["lifecycle"]["preStop"]["sleep"]["seconds"] > 0
