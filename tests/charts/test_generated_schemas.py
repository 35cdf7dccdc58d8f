"""The service charts stay thin: their values.schema.json (and the umbrella's
global.serviceDefaults) is generated from the library's one schema source (ci/chart_schemas.py)
and up to date, their values.yaml holds only what differs per
service, and every default the library provides is described by that schema."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import yaml
from chartlib import ROOT, SERVICES

COMMON = ROOT / "charts" / "common"
# superuser: only order has the operators' admin superuser. periodic: each service's own periodic
# commands (inventory's sweeper, order's expiry), an empty map in the library.
PER_SERVICE_KEYS = {"service", "consumer", "peers", "networkPolicy", "superuser", "periodic"}


def test_generated_schemas_are_up_to_date() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "ci" / "chart_schemas.py"), "--check"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr


def test_generator_finds_exactly_the_service_charts() -> None:
    sys.path.insert(0, str(ROOT / "ci"))
    try:
        import chart_schemas
    finally:
        sys.path.pop(0)
    assert sorted(p.name for p in chart_schemas.service_charts()) == sorted(SERVICES)


def test_service_values_hold_only_what_differs() -> None:
    for service in SERVICES:
        values = yaml.safe_load((ROOT / "charts" / service / "values.yaml").read_text())
        # Keys only that chart reads (order: implementations, go) are declared in its extra schema.
        extra = ROOT / "charts" / service / "values.schema.extra.json"
        own = set(json.loads(extra.read_text())["properties"]) if extra.exists() else set()
        assert set(values) <= PER_SERVICE_KEYS | own, (
            f"{service}: {sorted(set(values) - PER_SERVICE_KEYS - own)} belong in the library defaults"
        )
        assert values["service"]["port"] == 5001 + SERVICES.index(service)


def library_defaults() -> dict:
    """The YAML of musiccorp-common.values.defaults with its template actions replaced by a string."""
    text = (COMMON / "templates" / "values" / "_defaults.tpl").read_text()
    body = text.split('{{- define "musiccorp-common.values.defaults" -}}', 1)[1].rsplit("{{- end -}}", 1)[0]
    lines = [line for line in body.splitlines() if not line.lstrip().startswith("{{")]
    return yaml.safe_load(re.sub(r"\{\{.*\}\}", '"templated"', "\n".join(lines)))


def missing_from_schema(values: dict, schema: dict, path: str = "") -> list[str]:
    missing = []
    for key, value in values.items():
        prop = schema.get("properties", {}).get(key)
        if prop is None:
            missing.append(f"{path}{key}")
        elif isinstance(value, dict) and "properties" in prop:
            missing += missing_from_schema(value, prop, f"{path}{key}.")
    return missing


def test_every_library_default_is_in_the_schema() -> None:
    schema = yaml.safe_load((COMMON / "schema" / "service-values.schema.json").read_text())
    defaults = library_defaults()
    assert defaults["database"]["port"] == 5432, "the defaults parse"
    assert not missing_from_schema(defaults, schema)
