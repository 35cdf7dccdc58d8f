"""`make kind-up` on a fresh machine: the umbrella's dependencies build with an empty helm
configuration. A local chart repository on 127.0.0.1 (http.server with an index.yaml and packaged
stub charts of the pinned names and versions) stands in for the real ones, and a copy of the
umbrella points its external dependencies there: plain `helm dependency build` fails as on a
fresh machine ("no repository definition"), ci/chart-deps (what kind/up runs) adds the repositories
from Chart.yaml to a private config, builds, and refuses a chart whose sha256 differs from the lock."""

from __future__ import annotations

import functools
import hashlib
import http.server
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
import yaml
from chartlib import ROOT, helm_path

# Every dependency the umbrella downloads (not file://), as ci/chart-deps sees them.
EXTERNAL = {
    d["name"]
    for d in yaml.safe_load((ROOT / "charts" / "umbrella" / "Chart.yaml").read_text())["dependencies"]
    if not d["repository"].startswith("file://")
}


@pytest.fixture
def chart_repository(tmp_path: Path):
    """(url, {tgz name: sha256}) of a chart repository served on 127.0.0.1 with a stub of each
    external dependency at its pinned version."""
    deps = [
        d
        for d in yaml.safe_load((ROOT / "charts" / "umbrella" / "Chart.yaml").read_text())["dependencies"]
        if d["name"] in EXTERNAL
    ]
    repo = tmp_path / "repo"
    repo.mkdir()
    for dep in deps:
        src = tmp_path / "stubs" / dep["name"]
        src.mkdir(parents=True)
        (src / "Chart.yaml").write_text(yaml.safe_dump({"apiVersion": "v2", "name": dep["name"], "version": dep["version"]}))
        subprocess.run([helm_path(), "package", str(src), "--destination", str(repo)], check=True, capture_output=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(repo))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    subprocess.run([helm_path(), "repo", "index", str(repo), "--url", url], check=True, capture_output=True)
    digests = {p.name: "sha256:" + hashlib.sha256(p.read_bytes()).hexdigest() for p in repo.glob("*.tgz")}
    yield url, digests
    server.shutdown()


@pytest.fixture
def umbrella_copy(tmp_path: Path, chart_repository) -> Path:
    """charts/ copied, the umbrella's external dependencies served by the local repository."""
    url, _ = chart_repository
    charts = tmp_path / "charts"
    shutil.copytree(ROOT / "charts", charts, ignore=shutil.ignore_patterns("*.tgz", "charts"))
    chart_yaml = charts / "umbrella" / "Chart.yaml"
    meta = yaml.safe_load(chart_yaml.read_text())
    for dep in meta["dependencies"]:
        if dep["name"] in EXTERNAL:
            dep["repository"] = url
    chart_yaml.write_text(yaml.safe_dump(meta, sort_keys=False))
    # A Chart.lock in agreement with these URLs, as the real one is with the real ones (`update`
    # resolves URLs without a repository entry; `build`, what kind/up runs, does not), then
    # nothing downloaded and no helm state left.
    scratch = {**os.environ, "HELM_CONFIG_HOME": str(tmp_path / "scratch"), "HELM_CACHE_HOME": str(tmp_path / "scratch")}
    subprocess.run([helm_path(), "dependency", "update", str(charts / "umbrella")], env=scratch, check=True, capture_output=True)
    shutil.rmtree(charts / "umbrella" / "charts")
    shutil.rmtree(tmp_path / "scratch")
    return charts / "umbrella"


@pytest.fixture
def fresh_helm(tmp_path: Path) -> dict[str, str]:
    """The environment of a machine where helm has never been configured."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELM_")}
    for name in ("HELM_CONFIG_HOME", "HELM_CACHE_HOME", "HELM_DATA_HOME"):
        env[name] = str(tmp_path / "helm-home" / name.lower())
    return env


def lock_file(tmp_path: Path, digests: dict[str, str], umbrella: Path) -> Path:
    deps = [d for d in yaml.safe_load((umbrella / "Chart.yaml").read_text())["dependencies"] if d["name"] in EXTERNAL]
    # Laid out as the real Chartfile.lock (--update rewrites the digest lines in place).
    entries = [
        f"  - name: {d['name']}\n    repository: {d['repository']}\n    version: {d['version']}\n"
        f"    digest: {digests[d['name'] + '-' + d['version'] + '.tgz'] or 'null'}\n"
        for d in deps
    ]
    path = tmp_path / "Chartfile.lock"
    path.write_text("charts:\n" + "".join(entries))
    return path


def chart_deps(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "ci" / "chart-deps"), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_plain_dependency_build_fails_on_a_fresh_machine(umbrella_copy: Path, fresh_helm: dict[str, str]) -> None:
    proc = subprocess.run(
        [helm_path(), "dependency", "build", str(umbrella_copy)], env=fresh_helm, capture_output=True, text=True, check=False
    )
    assert proc.returncode != 0
    assert "no repository definition" in proc.stderr, proc.stderr


def test_chart_deps_adds_the_repositories_and_builds(
    umbrella_copy: Path, fresh_helm: dict[str, str], chart_repository, tmp_path: Path
) -> None:
    _, digests = chart_repository
    proc = chart_deps(fresh_helm, "--lock", str(lock_file(tmp_path, digests, umbrella_copy)), str(umbrella_copy))
    assert proc.returncode == 0, proc.stderr
    built = {p.name for p in (umbrella_copy / "charts").glob("*.tgz")}
    assert set(digests) <= built
    assert {f"{svc}-0.1.0.tgz" for svc in ("catalog", "inventory", "order", "payment", "shipping")} <= built
    # The user's helm configuration is untouched: no repository was added to it.
    assert not list((tmp_path / "helm-home").rglob("repositories.yaml"))


def test_chart_deps_refuses_a_chart_whose_digest_differs(
    umbrella_copy: Path, fresh_helm: dict[str, str], chart_repository, tmp_path: Path
) -> None:
    _, digests = chart_repository
    tampered = {name: ("sha256:" + "0" * 64 if name.startswith("ingress-nginx") else d) for name, d in digests.items()}
    proc = chart_deps(fresh_helm, "--lock", str(lock_file(tmp_path, tampered, umbrella_copy)), str(umbrella_copy))
    assert proc.returncode != 0
    assert "ingress-nginx-" in proc.stderr
    assert "records sha256:000" in proc.stderr, proc.stderr


def test_vendoring_requires_recorded_digests_and_update_records_them(
    umbrella_copy: Path, fresh_helm: dict[str, str], chart_repository, tmp_path: Path
) -> None:
    """What ci/vendor-charts runs: --require-digests refuses a chart with no sha256 in the lock;
    --update downloads and records each sha256, after which the strict build passes."""
    _, digests = chart_repository
    lock = lock_file(tmp_path, dict.fromkeys(digests), umbrella_copy)
    strict = chart_deps(fresh_helm, "--lock", str(lock), "--require-digests", str(umbrella_copy))
    assert strict.returncode != 0
    assert "no sha256 recorded" in strict.stderr, strict.stderr
    update = chart_deps(fresh_helm, "--lock", str(lock), "--update", str(umbrella_copy))
    assert update.returncode == 0, update.stderr
    recorded = {f"{c['name']}-{c['version']}.tgz": c["digest"] for c in yaml.safe_load(lock.read_text())["charts"]}
    assert recorded == digests
    again = chart_deps(fresh_helm, "--lock", str(lock), "--require-digests", str(umbrella_copy))
    assert again.returncode == 0, again.stderr


def test_vendor_charts_downloads_through_chart_deps() -> None:
    script = (ROOT / "ci" / "vendor-charts").read_text()
    assert '"$ROOT/ci/chart-deps" --lock "$lockfile" --require-digests "$umbrella"' in script
    assert '"$ROOT/ci/chart-deps" --lock "$lockfile" --update "$umbrella"' in script
    assert "helm repo add" not in script


def test_kind_builds_the_umbrella_dependencies_through_chart_deps() -> None:
    lib = (ROOT / "kind" / "lib.sh").read_text()
    body = lib.split("build_chart_dependencies() {", 1)[1].split("\n}\n", 1)[0]
    assert '"$ROOT/ci/chart-deps" "$ROOT/charts/umbrella"' in body
    assert 'helm dependency build "$ROOT/charts/umbrella"' not in body
