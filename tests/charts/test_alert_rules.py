"""The alert rules the charts render, run by promtool (Debian's prometheus package, installed by
ci/bootstrap): `promtool check rules` on every rendered rule group, and `promtool test rules` with
the unit tests in tests/charts/rules/<service>.yaml (each alert fires when it should, stays silent
for finished Job pods and through a rolling update). Every alert rendered must have a test that
expects it to fire, so a new alert without one fails here.

The rendered groups are written to a temp dir as rules.yaml next to a copy of each test file
(whose `rule_files` is [rules.yaml]), once per render: the umbrella with the monitoring API, the
production-like umbrella, and each service chart on its own.
"""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

import pytest
import yaml
from chartlib import CASES, MONITORING_API, SERVICES, of_kind, parse, run, template

RULE_TESTS = Path(__file__).resolve().parent / "rules"

# name -> (chart, helm template arguments): every render with PrometheusRules a user would install.
SOURCES: dict[str, tuple[str, list[str]]] = {
    "umbrella": ("umbrella", MONITORING_API),
    "umbrella-production": CASES["umbrella-production"],
    **{service: (service, MONITORING_API) for service in SERVICES},
}


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool not found on PATH (Debian's prometheus package; run ci/bootstrap)", pytrace=False)
    return path


@functools.cache
def rendered_groups(source: str) -> tuple[dict, ...]:
    chart, args = SOURCES[source]
    docs = parse(template(chart, args).stdout)
    return tuple(group for rule in of_kind(docs, "PrometheusRule") for group in rule["spec"]["groups"])


def write_rules(source: str, where: Path) -> Path:
    """The source's rendered groups, written to where/rules.yaml."""
    path = where / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": list(rendered_groups(source))}, sort_keys=False))
    return path


def rendered_alerts(source: str) -> set[str]:
    return {rule["alert"] for group in rendered_groups(source) for rule in group["rules"] if "alert" in rule}


def alerts_with_tests(*, firing_only: bool) -> set[str]:
    """Alert names with a unit test in tests/charts/rules (with firing_only: one that expects it to fire)."""
    names = set()
    for path in RULE_TESTS.glob("*.yaml"):
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                if check.get("exp_alerts") or not firing_only:
                    names.add(check["alertname"])
    return names


def rule_tests_for(source: str) -> list[Path]:
    """The test files of the services whose rule group the source renders."""
    groups = {group["name"] for group in rendered_groups(source)}
    return [RULE_TESTS / f"{s}.yaml" for s in SERVICES if f"musiccorp-{s}.rules" in groups]


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_rendered_rules_pass_promtool_check(source: str, tmp_path: Path) -> None:
    assert rendered_groups(source), f"{source} renders no PrometheusRule"
    run([promtool(), "check", "rules", str(write_rules(source, tmp_path))])


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_rendered_rules_pass_their_unit_tests(source: str, tmp_path: Path) -> None:
    tests = rule_tests_for(source)
    assert tests, f"{source}: no rule tests apply"
    write_rules(source, tmp_path)
    for test in tests:
        assert test.exists(), f"{test.relative_to(RULE_TESTS.parent)} is missing: every service's alerts need tests"
        shutil.copy(test, tmp_path / test.name)
    run([promtool(), "test", "rules", *(str(tmp_path / t.name) for t in tests)])


def test_every_rendered_alert_has_a_test_that_fires_it() -> None:
    rendered = set().union(*(rendered_alerts(source) for source in SOURCES))
    assert rendered
    untested = rendered - alerts_with_tests(firing_only=True)
    assert not untested, f"alerts without a promtool test that fires them (add one in tests/charts/rules/): {sorted(untested)}"
