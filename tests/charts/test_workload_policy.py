"""Policies every rendered workload meets, whatever the values: probes, resources, restricted
Pod Security, pinned images, safe rollouts and shutdowns, no API token."""

from __future__ import annotations

import base64
import re

from chartlib import of_kind

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
