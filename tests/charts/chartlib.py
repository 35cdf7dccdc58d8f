"""Helpers of the chart tests: helm on PATH, offline renders of the charts, parsed manifests.

helm is looked up on PATH after prepending $MUSICCORP_CACHE/bin (where ci/bootstrap builds it);
a missing helm fails every test that needs it, never skips. Renders are made from a temporary
copy of charts/ so the tests never write into the working tree, and cached per session.
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
VALUES = Path(__file__).resolve().parent / "values"
# The umbrella's defaults are the kind development setup; values-production.yaml holds what a real
# cluster needs on top of them.
DEFAULT_VALUES = ROOT / "charts" / "umbrella" / "values.yaml"
PRODUCTION_VALUES = ROOT / "charts" / "umbrella" / "values-production.yaml"
# The bundled-infrastructure profile: PostgreSQL, Kafka and the nginx gateway as the chart's own workloads.
BUNDLED_VALUES = ROOT / "charts" / "umbrella" / "values-bundled.yaml"
CACHE = Path(os.environ.get("MUSICCORP_CACHE", Path.home() / ".cache" / "musiccorp"))
os.environ["PATH"] = f"{CACHE / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"

MONITORING_API = ["--api-versions", "monitoring.coreos.com/v1"]
# The service charts (charts/<service>), each a thin user of the musiccorp-common library.
SERVICES = ("catalog", "inventory", "order", "payment", "shipping")

# name -> (chart, helm template arguments); the render matrix every schema and policy test runs on.
CASES: dict[str, tuple[str, list[str]]] = {
    "catalog-default": ("catalog", []),
    "catalog-full": ("catalog", ["-f", str(VALUES / "catalog-consumer.yaml"), *MONITORING_API]),
    "order-monitoring": ("order", MONITORING_API),
    "umbrella-default": ("umbrella", []),
    "umbrella-values-production": ("umbrella", ["-f", str(PRODUCTION_VALUES)]),
    # values-production.yaml plus a managed database, a registry, existing Secrets, tracing.
    "umbrella-production": ("umbrella", ["-f", str(PRODUCTION_VALUES), "-f", str(VALUES / "production.yaml"), *MONITORING_API]),
    "umbrella-gatewayapi": ("umbrella", ["-f", str(VALUES / "gatewayapi.yaml")]),
    "umbrella-monitoring-off": ("umbrella", ["-f", str(VALUES / "monitoring-off.yaml"), *MONITORING_API]),
    # order.implementations (issue 13): order-go alone, and beside the Django order.
    "umbrella-order-go": ("umbrella", ["-f", str(VALUES / "order-go.yaml"), *MONITORING_API]),
    "umbrella-order-both": ("umbrella", ["-f", str(VALUES / "order-both.yaml"), *MONITORING_API]),
}


def helm_path() -> str:
    """The helm binary, or a test failure saying where it was expected."""
    path = shutil.which("helm")
    if path is None:
        pytest.fail(f"helm not found on PATH (expected in {CACHE / 'bin'}; run ci/bootstrap)", pytrace=False)
    return path


def run(cmd: list[str], *, expect_ok: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command; unless expect_ok is False, fail the test with its output when it fails."""
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    if expect_ok and proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}", pytrace=False)
    return proc


def _temp_dir(prefix: str) -> Path:
    """A directory removed when the test session's interpreter exits."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


@functools.cache
def charts_copy() -> Path:
    """A private copy of charts/ with every service chart's library dependency built."""
    tmp = _temp_dir("musiccorp-charts-")
    shutil.copytree(ROOT / "charts", tmp / "charts", ignore=shutil.ignore_patterns("*.tgz"))
    for service in SERVICES:
        run([helm_path(), "dependency", "build", str(tmp / "charts" / service)])
    return tmp / "charts"


@functools.cache
def umbrella_copy() -> Path:
    """The umbrella with its dependencies resolved offline by ci/render-umbrella --prepare, once per
    session: that step (helm dependency build and package of every subchart) costs more than a render."""
    target = _temp_dir("musiccorp-umbrella-") / "offline"
    return Path(run([str(ROOT / "ci" / "render-umbrella"), "--prepare", str(target)]).stdout.strip())


def template(
    chart: str, args: list[str], *, expect_ok: bool = True, release: str = "musiccorp"
) -> subprocess.CompletedProcess[str]:
    """`helm template` of a service chart or of the umbrella (as ci/render-umbrella renders it)."""
    chart_dir = umbrella_copy() if chart == "umbrella" else charts_copy() / chart
    return run([helm_path(), "template", release, str(chart_dir), "--namespace", "musiccorp", *args], expect_ok=expect_ok)


def lint_umbrella(args: list[str]) -> subprocess.CompletedProcess[str]:
    """`helm lint --strict` of the umbrella (as ci/render-umbrella --lint runs it)."""
    return run([helm_path(), "lint", "--strict", str(umbrella_copy()), "--namespace", "musiccorp", *args])


def parse(manifest: str) -> list[dict]:
    """The non-empty documents of a rendered manifest."""
    return [doc for doc in yaml.safe_load_all(manifest) if doc]


@functools.cache
def render_bundled(*extra: str) -> tuple[dict, ...]:
    """The umbrella rendered with values-bundled.yaml (and any further helm arguments)."""
    return tuple(parse(template("umbrella", ["-f", str(BUNDLED_VALUES), *extra]).stdout))


@functools.cache
def render_case(name: str) -> tuple[dict, ...]:
    chart, args = CASES[name]
    return tuple(parse(template(chart, args).stdout))


def of_kind(docs: tuple[dict, ...] | list[dict], kind: str) -> list[dict]:
    return [doc for doc in docs if doc.get("kind") == kind]


@functools.cache
def upstream():
    """ci/upstream_charts.py, the one reader of the pinned external charts' values.yaml and CRDs."""
    spec = importlib.util.spec_from_file_location("upstream_charts", ROOT / "ci" / "upstream_charts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def crd_schema(api_version: str, kind: str) -> dict:
    """The JSON schema of a custom resource at api_version, from the pinned charts' CRDs."""
    group, version = api_version.split("/")
    schemas = upstream().crd_schemas(group)
    key = f"{kind.lower()}_{version}"
    if key not in schemas:
        pytest.fail(f"no CRD schema for {kind} {api_version} in ci/upstream_charts.py crd_schemas({group!r})", pytrace=False)
    return schemas[key]
