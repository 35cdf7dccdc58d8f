"""The service images as they run in production: healthy, read-only root filesystem, non-root."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from .conftest import consumers, django_web_services, podman, web_services


@pytest.mark.parametrize("service", web_services())
def test_web_container_is_healthy_and_ready(urls, service):
    for path in ("/health", "/health/ready"):
        response = requests.get(f"{urls[service]}{path}", timeout=5)
        assert response.status_code == 200, f"{service} {path}: {response.status_code} {response.text[:200]}"
    assert response.headers.get("X-Correlation-ID")


@pytest.mark.parametrize("consumer", consumers())
def test_consumer_is_ready(urls, consumer):
    response = requests.get(f"{urls[consumer]}/health/ready", timeout=5)
    assert response.status_code == 200, f"{consumer}: {response.status_code} {response.text[:200]}"


@pytest.mark.parametrize("component", django_web_services() + consumers())
def test_runs_read_only_as_a_non_root_user(container_name, component):
    name = container_name(component)
    inspect = podman("inspect", "--format", "{{.HostConfig.ReadonlyRootfs}}", name)
    assert inspect.stdout.strip() == "true", inspect.stderr
    uid = podman("exec", name, "id", "-u")
    assert uid.returncode == 0, uid.stderr
    assert uid.stdout.strip() != "0"
    write = podman("exec", name, "touch", "/app/written-at-run-time")
    assert write.returncode != 0, "the root filesystem is writable"
    assert "Read-only file system" in write.stderr


@pytest.mark.skipif("order-go" not in web_services(), reason="ORDER_IMPL=python: no order-go container")
def test_order_go_runs_read_only_as_a_non_root_user(container_name):
    """order-go's image has no shell, `id`, `ps` or `touch` (FROM scratch): podman and /proc say
    what runs (the process's real and effective uid, seen from the host)."""
    name = container_name("order-go")
    inspect = podman("inspect", "--format", "{{.HostConfig.ReadonlyRootfs}} {{.Config.User}} {{.State.Pid}}", name)
    readonly, user, pid = inspect.stdout.split()
    assert (readonly, user) == ("true", "10001:10001"), inspect.stdout + inspect.stderr
    uids = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("Uid:"))
    assert "0" not in uids.split()[1:], uids


@pytest.mark.parametrize("service", django_web_services())
def test_static_files_were_collected_into_the_image(urls, service):
    response = requests.get(f"{urls[service]}/admin/login/", timeout=5)
    assert response.status_code == 200
    css = requests.get(f"{urls[service]}/static/admin/css/base.css", timeout=5)
    assert css.status_code == 200, f"{service}: admin CSS {css.status_code}"
