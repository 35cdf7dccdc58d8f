"""The umbrella's defaults are the kind setup: `helm install musiccorp charts/umbrella` with no values
file comes up on a cluster made from kind/kind-config.yaml (host ports, ingress node, no admission
webhook, the image tags kind/up loads, monitoring on); the kind scripts parse and fail fast, naming
the missing tool, where docker/kind/kubectl are absent (as in CI); build_and_load_images builds
and loads the five service images and order-go's under the names the chart uses (run with
recording stand-ins for docker, kind and go, since CI has no Docker daemon)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml
from chartlib import DEFAULT_VALUES, ROOT, SERVICES, VALUES, of_kind, parse, render_case, template

KIND = ROOT / "kind"
SCRIPTS = ("up", "upgrade", "down")


def port_mappings() -> dict[int, int]:
    """hostPort -> containerPort of the kind node."""
    [node] = yaml.safe_load((KIND / "kind-config.yaml").read_text())["nodes"]
    return {m["hostPort"]: m["containerPort"] for m in node["extraPortMappings"]}


def test_host_ports_reach_the_gateway_grafana_and_prometheus() -> None:
    values = yaml.safe_load(DEFAULT_VALUES.read_text())
    kps = values["kube-prometheus-stack"]
    assert port_mappings() == {
        80: 80,
        443: 443,
        3000: kps["grafana"]["service"]["nodePort"],
        9090: kps["prometheus"]["service"]["nodePort"],
    }
    controller = values["ingress-nginx"]["controller"]
    assert controller["hostPort"] == {"enabled": True, "ports": {"http": 80, "https": 443}}
    # No Service of type LoadBalancer (pending for ever on kind) and no admission webhook (its
    # certificate Job races the first install on a fresh cluster).
    assert controller["service"]["type"] == "NodePort"
    assert controller["admissionWebhooks"]["enabled"] is False


def kind_image_refs(services: tuple[str, ...] = SERVICES) -> dict[str, str]:
    """service -> the image reference kind/up builds and loads into the node (kind/lib.sh)."""
    script = f'. "{KIND / "lib.sh"}"; for svc in {" ".join(services)}; do echo "$svc $(default_image "$svc")"; done'
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr
    return dict(line.split(" ", 1) for line in proc.stdout.splitlines())


def test_kind_up_loads_exactly_the_images_the_defaults_name() -> None:
    deployments = of_kind(render_case("umbrella-default"), "Deployment")
    named = {
        d["metadata"]["labels"]["app.kubernetes.io/name"]: d["spec"]["template"]["spec"]["containers"][0]["image"]
        for d in deployments
    }
    assert named == kind_image_refs()


def deployment_images(docs: tuple[dict, ...] | list[dict]) -> dict[str, str]:
    """Deployment name -> image of the MusicCorp services' Deployments (first container)."""
    return {
        d["metadata"]["name"]: d["spec"]["template"]["spec"]["containers"][0]["image"]
        for d in of_kind(docs, "Deployment")
        if d["metadata"]["labels"].get("app.kubernetes.io/name") in SERVICES
    }


def test_kind_up_loads_the_order_go_image_the_chart_names() -> None:
    images = deployment_images(render_case("umbrella-order-go"))
    assert images["musiccorp-order-go"] == kind_image_refs(("order-go",))["order-go"]
    assert images["musiccorp-order-go"].split(":")[1] == kind_image_refs(("order",))["order"].split(":")[1]


FAKE_TOOL = """#!/usr/bin/env bash
printf '%s\\0' "$(basename "$0")" "$@" >> "$FAKE_LOG"; printf '\\n' >> "$FAKE_LOG"
case "$(basename "$0") $1" in
  "go build")  # create the -o file, as go build does; note the environment that matters
    printf 'go-env\\0CGO_ENABLED=%s\\n' "${CGO_ENABLED:-}" >> "$FAKE_LOG"
    while [ $# -gt 0 ]; do [ "$1" = -o ] && { mkdir -p "$(dirname "$2")"; echo binary > "$2"; }; shift; done ;;
  "docker build")  # a named context must hold the binary when docker reads it
    for a in "$@"; do case "$a" in build=*) test -s "${a#build=}/out/order-go" || exit 9 ;; esac; done ;;
esac
"""


def run_build_and_load(tmp_path, tag: str) -> list[list[str]]:
    """kind/lib.sh build_and_load_images [tag] with recording docker, kind and go; their calls, in order."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    for tool in ("docker", "kind", "go"):
        (bin_dir / tool).write_text(FAKE_TOOL)
        (bin_dir / tool).chmod(0o755)
    log = tmp_path / "calls"
    proc = subprocess.run(
        ["bash", "-c", f'. "{KIND / "lib.sh"}"; PATH="{bin_dir}:$PATH"; build_and_load_images {tag}'],
        env={**os.environ, "FAKE_LOG": str(log)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return [line.rstrip("\0").split("\0") for line in log.read_text().splitlines()]


def option(call: list[str], flag: str) -> list[str]:
    return [call[i + 1] for i, arg in enumerate(call) if arg == flag]


@pytest.mark.parametrize("tag", ["", "abc1234"])
def test_build_and_load_images_builds_order_go_too(tmp_path, tag: str) -> None:
    calls = run_build_and_load(tmp_path, tag)
    builds = [c for c in calls if c[:2] == ["docker", "build"]]
    loads = [c for c in calls if c[:2] == ["kind", "load"]]
    built = [option(c, "-t")[0] for c in builds]
    if tag:
        expected = [f"musiccorp/{svc}:{tag}" for svc in (*SERVICES, "order-go")]
    else:
        expected = list(kind_image_refs((*SERVICES, "order-go")).values())
    assert built == expected
    assert [c[-1] for c in loads] == expected  # each image loaded into the node
    assert all(option(c, "--name") == ["musiccorp"] for c in loads)
    # The Python images from services/Dockerfile; order-go's from its Containerfile, its build
    # stage replaced by the binary the host's go built with the stage's flags.
    *python, order_go = builds
    assert all(option(c, "-f") == [str(ROOT / "services" / "Dockerfile")] for c in python)
    assert option(order_go, "-f") == [str(ROOT / "services" / "order-go" / "Containerfile")]
    assert order_go[-1] == str(ROOT)
    [context] = option(order_go, "--build-context")
    assert context.startswith("build=")
    [go_build] = [c for c in calls if c[:2] == ["go", "build"]]
    assert option(go_build, "-o") == [context.removeprefix("build=") + "/out/order-go"]
    assert go_build[-1] == "./cmd/order-go"
    # The Containerfile's build stage: a static (CGO_ENABLED=0), stripped, path-free binary.
    assert {"-trimpath", "-ldflags=-s -w"} <= set(go_build)
    assert ["go-env", "CGO_ENABLED=0"] in calls
    base = {a.split("=", 1)[0]: a.split("=", 1)[1] for a in option(order_go, "--build-arg")}
    assert base["CERTS_BASE"].startswith("python:")  # services/Dockerfile's BASE_IMAGE, with CA certificates
    assert calls.index(go_build) < calls.index(order_go)
    assert not os.path.exists(context.removeprefix("build="))  # the temporary context is removed


def test_kind_upgrade_tag_reaches_every_service_image_order_go_included() -> None:
    """kind/upgrade's --set global.serviceDefaults.image.tag=<tag> names the images build_and_load_images <tag> built."""
    args = ["-f", str(VALUES / "order-both.yaml"), "--set", "global.serviceDefaults.image.tag=abc1234"]
    images = deployment_images(parse(template("umbrella", args).stdout))
    assert "musiccorp-order-go" in images
    assert set(images.values()) == {f"musiccorp/{svc}:abc1234" for svc in (*SERVICES, "order-go")}


def test_default_install_renders_the_monitoring_objects() -> None:
    # kube-prometheus-stack is in the same release, so its CRDs are not on the server before the
    # install: the defaults must not ask the server (requireCRD) and still render the monitors.
    docs = render_case("umbrella-default")
    monitors = of_kind(docs, "ServiceMonitor")
    labels = [m["metadata"]["labels"] for m in monitors]
    monitored = {m["app.kubernetes.io/name"] for m in labels if m.get("app.kubernetes.io/component") != "postgres-metrics"}
    assert monitored == set(SERVICES)
    # and the postgres chart's exporter, through the umbrella's own monitor (tests/charts/test_observability.py)
    assert len(monitors) == len(SERVICES) + 1
    assert of_kind(docs, "PrometheusRule")


def test_defaults_fit_a_laptop() -> None:
    for deployment in of_kind(render_case("umbrella-default"), "Deployment"):
        assert deployment["spec"]["replicas"] == 1, deployment["metadata"]["name"]
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            assert container["resources"]["requests"]["cpu"] in ("50m", "25m", "10m"), deployment["metadata"]["name"]


def test_ingress_controller_lands_on_the_labelled_node() -> None:
    [node] = yaml.safe_load((KIND / "kind-config.yaml").read_text())["nodes"]
    assert 'node-labels: "ingress-ready=true"' in node["kubeadmConfigPatches"][0]
    controller = yaml.safe_load(DEFAULT_VALUES.read_text())["ingress-nginx"]["controller"]
    assert controller["nodeSelector"]["ingress-ready"] == "true"


@pytest.mark.parametrize("script", [*SCRIPTS, "lib.sh"])
def test_script_parses(script: str) -> None:
    subprocess.run(["bash", "-n", str(KIND / script)], check=True)


def path_without(tools: set[str], bin_dir) -> str:
    """A PATH directory with every command of the current PATH except `tools` (as symlinks)."""
    bin_dir.mkdir()
    for directory in reversed(os.environ.get("PATH", "").split(os.pathsep)):
        if not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            if entry.name not in tools and os.access(entry.path, os.X_OK) and not entry.is_dir():
                link = bin_dir / entry.name
                link.unlink(missing_ok=True)
                link.symlink_to(entry.path)
    return str(bin_dir)


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_fails_fast_without_the_tools(script: str, tmp_path) -> None:
    # No kind, docker, kubectl or helm on PATH (and an empty MUSICCORP_CACHE, whose bin/ ci/lib.sh
    # puts on PATH), so nothing real can run even on a machine that has them.
    path = path_without({"kind", "docker", "kubectl", "helm"}, tmp_path / "bin")
    proc = subprocess.run(
        [shutil.which("bash"), str(KIND / script)],
        env={**os.environ, "PATH": path, "MUSICCORP_CACHE": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode != 0
    assert "missing on PATH: " in proc.stderr, proc.stderr
    assert "kind" in proc.stderr


def test_makefile_has_the_kind_targets() -> None:
    makefile = (ROOT / "Makefile").read_text()
    for target, script in (("kind-up", "kind/up"), ("kind-upgrade", "kind/upgrade"), ("kind-down", "kind/down")):
        assert f"\n{target}: ##" in makefile
        assert script in makefile.split(f"\n{target}:", 1)[1].split("\n\n", 1)[0]
