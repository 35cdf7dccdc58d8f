"""`helm lint --strict` of every chart is clean (the umbrella through its offline stubbed copy)."""

from __future__ import annotations

import pytest
from chartlib import ROOT, SERVICES, charts_copy, helm_path, run


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
    helm_path()
    proc = run([str(ROOT / "ci" / "render-umbrella"), "--lint", *values])
    assert "0 chart(s) failed" in proc.stderr
    assert "[WARNING]" not in proc.stderr
    assert "[ERROR]" not in proc.stderr
