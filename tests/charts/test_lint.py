"""`helm lint --strict` of every chart is clean (the umbrella through its offline stubbed copy)."""

from __future__ import annotations

import pytest
from chartlib import ROOT, SERVICES, charts_copy, helm_path, lint_umbrella, parse, run, template


@pytest.mark.parametrize("chart", ["common", *SERVICES])
def test_chart_lints_clean(chart: str) -> None:
    proc = run([helm_path(), "lint", "--strict", str(charts_copy() / chart)])
    assert "0 chart(s) failed" in proc.stdout
    assert "[WARNING]" not in proc.stdout
    assert "[ERROR]" not in proc.stdout


UMBRELLA_VALUES = [
    [],
    ["-f", "charts/umbrella/values-production.yaml"],
    ["-f", "charts/umbrella/values-production.yaml", "-f", "tests/charts/values/production.yaml"],
    ["-f", "tests/charts/values/gatewayapi.yaml"],
]


@pytest.mark.parametrize("values", UMBRELLA_VALUES)
def test_umbrella_lints_clean(values: list[str]) -> None:
    proc = lint_umbrella(values)
    assert "0 chart(s) failed" in proc.stdout
    assert "[WARNING]" not in proc.stdout
    assert "[ERROR]" not in proc.stdout


def _without_generated(value):
    """A rendered object without what each render generates anew: Secret values and checksums of them."""
    if isinstance(value, dict):
        if value.get("kind") == "Secret":
            value = {**value, "data": sorted(value.get("data") or {}), "stringData": sorted(value.get("stringData") or {})}
        return {k: _without_generated(v) for k, v in value.items() if not str(k).startswith("checksum/")}
    if isinstance(value, list):
        return [_without_generated(v) for v in value]
    return value


def test_render_umbrella_renders_what_the_chart_tests_check() -> None:
    """The tests render one offline copy prepared once (ci/render-umbrella --prepare); the script's
    own render, as a user runs it, must give the same manifests, and its --lint the same verdict."""
    helm_path()
    script = str(ROOT / "ci" / "render-umbrella")
    values = ["-f", "charts/umbrella/values-production.yaml"]
    by_script = [_without_generated(doc) for doc in parse(run([script, *values]).stdout)]
    by_tests = [_without_generated(doc) for doc in parse(template("umbrella", values).stdout)]
    assert len(by_script) > 50
    assert by_script == by_tests
    linted = run([script, "--lint", *values])
    assert "0 chart(s) failed" in linted.stderr
    assert "[WARNING]" not in linted.stderr
