"""Policies every rendered workload meets, whatever the values: probes, resources, restricted
Pod Security, pinned images, safe rollouts and shutdowns, no API token."""

from __future__ import annotations

import base64
import re

from chartlib import of_kind, parse, render_case, template

WORKLOAD_KINDS = ("Deployment", "Job")


def workloads(docs: tuple[dict, ...]) -> list[tuple[str, dict, dict]]:
    """(kind/name, workload, pod spec) of every Deployment and Job."""
    return [
        (f"{d['kind']}/{d['metadata']['name']}", d, d["spec"]["template"]["spec"]) for d in docs if d["kind"] in WORKLOAD_KINDS
    ]


def containers(pod: dict) -> list[dict]:
    return pod.get("initContainers", []) + pod["containers"]


def env_value(container: dict, name: str) -> str | None:
    return next((e.get("value") for e in container.get("env", []) if e["name"] == name), None)


def test_matrix_renders_workloads(rendered: tuple[dict, ...]) -> None:
    assert workloads(rendered), "every case renders at least one workload"


def test_every_container_has_requests_and_a_memory_limit(rendered: tuple[dict, ...]) -> None:
    for name, _, pod in workloads(rendered):
        for c in containers(pod):
            res = c.get("resources", {})
            assert res.get("requests", {}).get("cpu"), f"{name}/{c['name']}: cpu request"
            assert res["requests"].get("memory"), f"{name}/{c['name']}: memory request"
            assert res.get("limits", {}).get("memory"), f"{name}/{c['name']}: memory limit"


def test_every_container_is_restricted(rendered: tuple[dict, ...]) -> None:
    for name, _, pod in workloads(rendered):
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        for c in containers(pod):
            sc = c["securityContext"]
            where = f"{name}/{c['name']}"
            assert sc["allowPrivilegeEscalation"] is False, where
            assert sc["readOnlyRootFilesystem"] is True, where
            assert sc["capabilities"]["drop"] == ["ALL"], where
            assert sc.get("runAsNonRoot", pod["securityContext"]["runAsNonRoot"]) is True, where
            assert "/tmp" in {m["mountPath"] for m in c.get("volumeMounts", [])}, f"{where}: writable /tmp"  # noqa: S108 (asserts the mount, creates nothing)


def test_musiccorp_pods_run_as_uid_10001(rendered: tuple[dict, ...]) -> None:
    for name, _, pod in workloads(rendered):
        assert pod["securityContext"]["runAsUser"] == 10001, name


def test_images_are_pinned(rendered: tuple[dict, ...]) -> None:
    for name, _, pod in workloads(rendered):
        for c in containers(pod):
            image = c["image"].split("@")[0]
            tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else ""
            assert tag, f"{name}/{c['name']}: image {c['image']} has no tag"
            assert tag != "latest", f"{name}/{c['name']}: image {c['image']} is not pinned"


def test_no_service_account_token_is_mounted(rendered: tuple[dict, ...]) -> None:
    for name, _, pod in workloads(rendered):
        assert pod["automountServiceAccountToken"] is False, name
    for sa in of_kind(rendered, "ServiceAccount"):
        assert sa["automountServiceAccountToken"] is False, sa["metadata"]["name"]


def test_deployments_roll_without_losing_capacity(rendered: tuple[dict, ...]) -> None:
    for d in of_kind(rendered, "Deployment"):
        strategy = d["spec"]["strategy"]
        assert strategy["type"] == "RollingUpdate", d["metadata"]["name"]
        assert strategy["rollingUpdate"]["maxUnavailable"] == 0, d["metadata"]["name"]
        annotations = d["spec"]["template"]["metadata"]["annotations"]
        assert {"checksum/config", "checksum/secret"} <= annotations.keys(), d["metadata"]["name"]


def test_deployment_containers_have_all_three_probes(rendered: tuple[dict, ...]) -> None:
    for d in of_kind(rendered, "Deployment"):
        for c in d["spec"]["template"]["spec"]["containers"]:
            paths = {p: c[p]["httpGet"]["path"] for p in ("startupProbe", "readinessProbe", "livenessProbe")}
            assert paths == {"startupProbe": "/health", "readinessProbe": "/health/ready", "livenessProbe": "/health/live"}


def test_web_pods_drain_before_gunicorn_stops(rendered: tuple[dict, ...]) -> None:
    for d in of_kind(rendered, "Deployment"):
        pod = d["spec"]["template"]["spec"]
        for c in pod["containers"]:
            if c["name"] != "web":
                continue
            graceful = env_value(c, "GUNICORN_GRACEFUL_TIMEOUT")
            assert graceful is not None, "GUNICORN_GRACEFUL_TIMEOUT is rendered into the env"
            sleep = c["lifecycle"]["preStop"]["sleep"]["seconds"]
            assert sleep > 0
            assert pod["terminationGracePeriodSeconds"] > int(graceful) + sleep, d["metadata"]["name"]
            assert c["command"] == ["gunicorn", "-c", "python:musiccorp_common.gunicorn_conf", "config.wsgi"]
            assert env_value(c, "PORT") == str(c["ports"][0]["containerPort"])


def test_app_pods_wait_for_migrations(rendered: tuple[dict, ...]) -> None:
    for d in of_kind(rendered, "Deployment"):
        init = d["spec"]["template"]["spec"].get("initContainers", [])
        assert [c["name"] for c in init] == ["wait-for-migrations"], d["metadata"]["name"]
        assert "migrate --check" in init[0]["command"][-1]


def test_migration_job_is_per_revision_and_not_a_hook(rendered: tuple[dict, ...]) -> None:
    jobs = [j for j in of_kind(rendered, "Job") if j["metadata"]["labels"].get("app.kubernetes.io/component") == "migrate"]
    assert jobs
    for job in jobs:
        assert re.search(r"-migrate-1-[0-9a-f]{8}$", job["metadata"]["name"]), job["metadata"]["name"]
        assert "helm.sh/hook" not in job["metadata"].get("annotations", {})
        command = job["spec"]["template"]["spec"]["containers"][0]["command"]
        # order's Job also applies the admin superuser afterwards (tests/charts/test_superuser.py).
        assert command in (
            ["python", "manage.py", "migrate", "--noinput"],
            ["sh", "-c", "python manage.py migrate --noinput && python manage.py ensure_superuser"],
        )


def test_database_url_comes_only_from_the_pods_own_service_secret(rendered: tuple[dict, ...]) -> None:
    secrets = {s["metadata"]["name"]: s for s in of_kind(rendered, "Secret")}
    for name, workload, pod in workloads(rendered):
        service = workload["metadata"]["labels"].get("app.kubernetes.io/name")
        for c in containers(pod):
            refs = [e for e in c.get("env", []) if e["name"] == "DATABASE_URL"]
            if service == "musiccorp":  # the umbrella's own Jobs (DB bootstrap) never get one
                assert not refs, f"{name}/{c['name']}"
                continue
            [env] = refs
            assert "value" not in env, f"{name}/{c['name']}: DATABASE_URL as a literal"
            secret = env["valueFrom"]["secretKeyRef"]["name"]
            own = secrets.get(f"musiccorp-{service}")
            if own is not None:
                assert secret == f"musiccorp-{service}", f"{name}/{c['name']} reads {secret}"
                url = base64.b64decode(own["data"]["DATABASE_URL"]).decode()
                assert re.fullmatch(rf"postgres://musiccorp_{service}:[^@]+@[^/]+/musiccorp_{service}", url), url
            else:  # an existingSecret: named for the service in the production-like values
                assert secret.startswith(f"{service}-"), f"{name}/{c['name']} reads {secret}"
    for cm in of_kind(rendered, "ConfigMap"):
        assert "DATABASE_URL" not in cm.get("data", {}), cm["metadata"]["name"]


def field_refs(node: object) -> list[dict]:
    """Every downward-API fieldRef anywhere under node."""
    if isinstance(node, dict):
        found = [node["fieldRef"]] if isinstance(node.get("fieldRef"), dict) else []
        return found + [ref for value in node.values() for ref in field_refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in field_refs(item)]
    return []


def test_field_refs_name_their_api_version(rendered: tuple[dict, ...]) -> None:
    # The API server defaults apiVersion to v1; a manifest without it differs from the live object,
    # so server-side apply by a second field manager (a GitOps tool) conflicts on the field.
    refs = [(d["kind"], d["metadata"]["name"], ref) for d in rendered for ref in field_refs(d)]
    assert refs, "the pods read their name and IP from the downward API"
    for kind, name, ref in refs:
        assert ref.get("apiVersion") == "v1", f"{kind}/{name}: fieldRef {ref} without apiVersion: v1"


def test_disruption_budgets_let_drains_evict_unhealthy_pods(rendered: tuple[dict, ...]) -> None:
    for pdb in of_kind(rendered, "PodDisruptionBudget"):
        assert pdb["spec"].get("unhealthyPodEvictionPolicy") == "AlwaysAllow", pdb["metadata"]["name"]


def job_specs(docs: tuple[dict, ...] | list[dict]) -> list[tuple[str, dict]]:
    """(kind/name, Job spec) of every Job and of every CronJob's job template."""
    jobs = [(f"Job/{j['metadata']['name']}", j["spec"]) for j in of_kind(docs, "Job")]
    return jobs + [(f"CronJob/{c['metadata']['name']}", c["spec"]["jobTemplate"]["spec"]) for c in of_kind(docs, "CronJob")]


def test_finished_jobs_are_deleted_but_kept_long_enough_to_read(rendered: tuple[dict, ...]) -> None:
    for name, spec in job_specs(rendered):
        ttl = spec.get("ttlSecondsAfterFinished")
        assert isinstance(ttl, int), f"{name}: no ttlSecondsAfterFinished, the finished Job and its pod stay forever"
        # An hour at least: time to read a failed migration's log, and far beyond `helm --wait-for-jobs`.
        assert ttl >= 3600, f"{name}: ttlSecondsAfterFinished {ttl}"


def test_a_zero_job_ttl_is_rendered_not_dropped() -> None:
    docs = parse(template("catalog", ["--set", "migrations.ttlSecondsAfterFinished=0"]).stdout)
    [(_, spec)] = [(n, s) for n, s in job_specs(docs) if n.startswith("Job/")]
    assert spec["ttlSecondsAfterFinished"] == 0


def replicas(deployment: dict, hpas: dict[str, dict]) -> int:
    hpa = hpas.get(deployment["metadata"]["name"])
    return hpa["spec"]["maxReplicas"] if hpa else deployment["spec"]["replicas"]


def test_replicated_deployments_spread_over_nodes(rendered: tuple[dict, ...]) -> None:
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in of_kind(rendered, "HorizontalPodAutoscaler")}
    replicated = [d for d in of_kind(rendered, "Deployment") if replicas(d, hpas) > 1]
    for d in replicated:
        pod = d["spec"]["template"]
        spread = [c for c in pod["spec"].get("topologySpreadConstraints", []) if c["topologyKey"] == "kubernetes.io/hostname"]
        assert spread, f"{d['metadata']['name']}: {replicas(d, hpas)} replicas may all land on one node"
        [constraint] = spread
        # Preferred only: a one-node kind cluster must still schedule every replica.
        assert constraint["whenUnsatisfiable"] == "ScheduleAnyway", d["metadata"]["name"]
        selector = constraint["labelSelector"]["matchLabels"]
        assert selector == d["spec"]["selector"]["matchLabels"], d["metadata"]["name"]
        # Only the pods of one revision count, so a rolling update does not skew the new pods.
        assert constraint.get("matchLabelKeys") == ["pod-template-hash"], d["metadata"]["name"]


def test_matrix_has_replicated_deployments() -> None:
    docs = render_case("umbrella-production")
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in of_kind(docs, "HorizontalPodAutoscaler")}
    assert hpas
    assert any(replicas(d, hpas) > 1 for d in of_kind(docs, "Deployment"))


def test_spread_is_overridable() -> None:
    off = parse(template("catalog", ["--set", "topologySpread.enabled=false"]).stdout)
    zone = parse(template("catalog", ["--set", "topologySpread.topologyKey=topology.kubernetes.io/zone"]).stdout)
    [web_off] = [d for d in of_kind(off, "Deployment") if d["metadata"]["name"] == "musiccorp-catalog"]
    [web_zone] = [d for d in of_kind(zone, "Deployment") if d["metadata"]["name"] == "musiccorp-catalog"]
    assert "topologySpreadConstraints" not in web_off["spec"]["template"]["spec"]
    [constraint] = web_zone["spec"]["template"]["spec"]["topologySpreadConstraints"]
    assert constraint["topologyKey"] == "topology.kubernetes.io/zone"


def test_a_single_replica_is_not_spread() -> None:
    docs = parse(template("catalog", ["--set", "replicaCount=1"]).stdout)
    for d in of_kind(docs, "Deployment"):
        assert "topologySpreadConstraints" not in d["spec"]["template"]["spec"], d["metadata"]["name"]


def test_a_zero_disruption_budget_is_rendered_not_replaced() -> None:
    # 0 is a value, not "unset": maxUnavailable 0 blocks voluntary evictions, minAvailable 0 allows all.
    for key in ("maxUnavailable", "minAvailable"):
        docs = parse(template("catalog", ["--set", f"podDisruptionBudget.{key}=0"]).stdout)
        [pdb] = of_kind(docs, "PodDisruptionBudget")
        assert pdb["spec"].get(key) == 0, f"{key}=0 renders {pdb['spec']}"
