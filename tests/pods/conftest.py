"""Fixtures of the real-pod tests (make pods-test): they run inside `ci/node run`, which starts the
control plane and one real node (kubelet, kube-proxy, containerd, CNI, CoreDNS) and takes them down
again afterwards. Here: the images imported into the node, the umbrella installed with the bundled
profile and seeded, and the gateway's NodePort on the node address."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "cluster"))
# The stack's clients and checkers (ci/stack_client.py, ci/chaos_checks.py, ci/bench_report.py).
sys.path.insert(0, str(ROOT / "ci"))
from clusterlib import RELEASE, Cluster, bound_volume, create_restricted_namespace, run, terminal_progress, tool  # noqa: E402

NAMESPACE = "musiccorp-pods"
NODE_PORT = 30080
# The admin every service gets (ensure_superuser in each migration Job): the e2e scenarios write
# albums and stock as staff and read the order admin.
ADMIN_SECRET = "musiccorp-e2e-admin"
# The StatefulSets' claims, what they ask for, and the uid their pods run as (values.yaml bundled.*.uid).
RESERVATION_TTL_SECONDS = 40
CLAIMS = {"data-musiccorp-postgres-0": ("1Gi", 999), "data-musiccorp-kafka-0": ("2Gi", 1000)}


@dataclass(frozen=True)
class Release:
    namespace: str
    gateway: str
    admin: dict[str, str]
    image_tag: str


# Figures the tests measured (the fault table, the rollout's requests): printed again in the
# terminal summary, where they show without -s.
FIGURES: list[str] = []


@pytest.fixture(scope="session")
def figures(progress: Callable[[str], None]) -> Callable[[str], None]:
    """Say a line now (progress) and again in the terminal summary."""

    def say(line: str) -> None:
        progress(line)
        FIGURES.append(line)

    return say


def pytest_terminal_summary(terminalreporter) -> None:
    if FIGURES:
        terminalreporter.section("pods: measured")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def progress(request: pytest.FixtureRequest) -> Callable[[str], None]:
    return terminal_progress(request, "pods")


@pytest.fixture(scope="session")
def node_address() -> str:
    address = os.environ.get("MUSICCORP_NODE_ADDRESS", "")
    if not address or not os.environ.get("KUBECONFIG"):
        pytest.fail("no node: run these tests through `ci/node run` (make pods-test)", pytrace=False)
    return address


@pytest.fixture(scope="session")
def cluster(node_address: str, progress: Callable[[str], None]) -> Cluster:
    return Cluster(kubeconfig=os.environ["KUBECONFIG"], progress=progress)


def _podman_lib(expression: str) -> str:
    """A value of ci/podman/lib.sh (image names and tag), as `make images` used them."""
    return run(["bash", "-c", f'. "{ROOT}/ci/podman/lib.sh" && {expression}']).stdout.strip()


def _stream(cmd: list[str], say: Callable[[str], None], timeout: int) -> None:
    """Run a long command, passing each line it prints on as progress; fail on a non-zero exit."""
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line.rstrip())
        say(line.rstrip())
        if time.monotonic() > deadline:
            proc.kill()
            break
    if proc.wait() != 0:
        pytest.fail(f"{' '.join(cmd)} exited {proc.returncode}:\n" + "\n".join(lines[-30:]), pytrace=False)


# A session fixture that failed is set up again for every test that asks for it: the import and
# the install take minutes, so a failure is remembered and repeated instead.
_FAILED: dict[str, str] = {}


def _once(name: str, setup: Callable[[], object]) -> object:
    if name in _FAILED:
        pytest.fail(f"{name} failed before (see the first error): {_FAILED[name]}", pytrace=False)
    try:
        return setup()
    except BaseException as error:
        _FAILED[name] = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise


@pytest.fixture(scope="session")
def image_tag(cluster: Cluster) -> str:
    """The service images `make images` built, the stand-ins, imported into the node's containerd."""
    return _once("the image import", lambda: _import_images(cluster))


def _import_images(cluster: Cluster) -> str:
    tag = _podman_lib("image_tag")
    services = _podman_lib("image_services | cut -d' ' -f1").split()
    images = [f"localhost/musiccorp/{s}:{tag}" for s in services]
    images += _podman_lib('echo "$POSTGRES_OFFICIAL_IMAGE $KAFKA_OFFICIAL_IMAGE $NGINX_OFFICIAL_IMAGE"').split()
    cluster.progress(f"importing {len(images)} images into the node's containerd")
    started = time.monotonic()
    _stream([str(ROOT / "ci" / "node"), "load", *images], cluster.progress, timeout=900)
    cluster.progress(f"images in the node after {time.monotonic() - started:.0f}s")
    return tag


def _volumes(namespace: str, base: Path) -> list[dict]:
    """A hostPath PersistentVolume per claim, bound to it in advance (no provisioner here), on a
    directory of the node's run state owned by the uid its pod runs as."""
    volumes = []
    for claim, (size, uid) in CLAIMS.items():
        path = base / claim
        path.mkdir(parents=True, exist_ok=True)
        os.chown(path, uid, uid)
        path.chmod(0o700)
        volumes.append(bound_volume(namespace, claim, size, {"path": str(path), "type": "Directory"}, "Retain"))
    return volumes


@pytest.fixture(scope="session")
def umbrella(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("umbrella") / "copy"
    return Path(run([str(ROOT / "ci" / "render-umbrella"), "--prepare", str(target)]).stdout.strip())


@pytest.fixture(scope="session")
def release(cluster: Cluster, image_tag: str, umbrella: Path, node_address: str) -> Release:
    """The umbrella with values-bundled.yaml: `helm install --wait --wait-for-jobs`, then seeded."""
    return _once("the install", lambda: _install(cluster, image_tag, umbrella, node_address))


def _install(cluster: Cluster, image_tag: str, umbrella: Path, node_address: str) -> Release:
    ns = NAMESPACE
    create_restricted_namespace(cluster, ns)
    run_dir = Path(os.environ.get("MUSICCORP_RUN_DIR", ROOT / ".run"))
    cluster.apply(_volumes(ns, run_dir / "node" / "run" / "volumes" / ns))
    admin = {"DJANGO_SUPERUSER_USERNAME": "admin", "DJANGO_SUPERUSER_PASSWORD": secrets.token_urlsafe(18)}
    cluster.kubectl(
        "create", "secret", "generic", ADMIN_SECRET, "-n", ns,
        *(f"--from-literal={k}={v}" for k, v in admin.items()),
        "--from-literal=DJANGO_SUPERUSER_EMAIL=admin@musiccorp.invalid",
    )  # fmt: skip
    cluster.progress(f"helm install (bundled profile, images localhost/musiccorp/*:{image_tag}) into {ns}")
    started = time.monotonic()
    cluster.helm(
        "install", RELEASE, str(umbrella), "-n", ns, "--wait", "--wait-for-jobs", "--timeout", "10m",
        "-f", str(ROOT / "charts" / "umbrella" / "values-bundled.yaml"),
        "--set", "global.serviceDefaults.image.registry=localhost",
        "--set", f"global.serviceDefaults.image.tag={image_tag}",
        "--set", "global.serviceDefaults.superuser.enabled=true",
        "--set", f"global.serviceDefaults.superuser.existingSecret={ADMIN_SECRET}",
        "--set", f"order.superuser.existingSecret={ADMIN_SECRET}",
        # Clients reach the shop at the node address (Host 10.86.0.1:30080), not a DNS name.
        "--set", f"global.serviceDefaults.django.extraAllowedHosts[0]={node_address}",
        # As ci/chaos runs the local stack: a reservation whose order was never stored (PostgreSQL
        # killed between inventory's reservation and the order's insert, test_self_healing.py) is
        # released by the sweeper within the test's bound, not after the default 300 s.
        "--set", f"inventory.extraEnv.RESERVATION_TTL_SECONDS={RESERVATION_TTL_SECONDS}",
        "--set", "inventory.periodic.release-expired-reservations.schedule=* * * * *",
        timeout=700,
    )  # fmt: skip
    cluster.progress(f"helm install done in {time.monotonic() - started:.0f}s")
    for service in ("catalog", "inventory"):
        cluster.kubectl("exec", "-n", ns, f"deploy/{RELEASE}-{service}", "-c", "web", "--", "python", "manage.py", "seed")
    cluster.progress("sample data seeded (catalog, inventory)")
    # Nothing to undo: `ci/node run` takes the whole cluster down after the session.
    return Release(ns, f"http://{node_address}:{NODE_PORT}", admin, image_tag)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def port_forward(cluster: Cluster, namespace: str, service: str) -> Iterator[str]:
    """`kubectl port-forward` of a service's http port to a free loopback port, once its /health
    answers; yields the URL. Stock writes (inventory's own port) are not routed through the gateway."""
    port = _free_port()
    forward = subprocess.Popen(
        [tool("kubectl"), "--kubeconfig", cluster.kubeconfig, "port-forward", "-n", namespace,
         "--address", "127.0.0.1", f"svc/{service}", f"{port}:http"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert forward.poll() is None, forward.stdout.read() if forward.stdout else "port-forward exited"
            assert time.monotonic() < deadline, f"kubectl port-forward to {service} did not answer in 30s"
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}"
    finally:
        forward.terminate()
        forward.wait(timeout=10)
