"""The env the chart renders is the env the service code reads (services/common, musiccorp_common),
so a renamed setting on either side fails here rather than silently falling back to a default."""

from __future__ import annotations

import re

from chartlib import ROOT, of_kind, render_case

COMMON_SRC = ROOT / "services" / "common" / "src" / "musiccorp_common"
# Read by a library rather than by musiccorp_common: Django, the OpenTelemetry SDK, the pod identity.
READ_BY_LIBRARIES = {
    "DJANGO_SETTINGS_MODULE",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
    "POD_NAME",
    "POD_IP",
}


CALLER_PREFIX = "CALLER_TOKEN_"


def names_read_by_the_code() -> set[str]:
    text = "\n".join(p.read_text() for p in COMMON_SRC.rglob("*.py"))
    # Every quoted upper-case name: env_str("X"), os.environ["X"], settings lookups alike.
    return set(re.findall(r"""["']([A-Z][A-Z0-9_]+)["']""", text))


def rendered_env() -> set[str]:
    docs = render_case("catalog-full")
    names = {k for cm in of_kind(docs, "ConfigMap") for k in cm["data"]}
    for d in of_kind(docs, "Deployment"):
        for c in d["spec"]["template"]["spec"]["containers"]:
            names |= {e["name"] for e in c.get("env", [])}
    peers_and_extra = {n for n in names if n.endswith("_URL") and n != "DATABASE_URL"} | {"FEATURE_SEARCH"}
    # One variable per caller, read together by their prefix (env_prefixed), checked below.
    callers = {n for n in names if n.startswith(CALLER_PREFIX)}
    return names - READ_BY_LIBRARIES - peers_and_extra - callers


def test_every_rendered_setting_is_read_by_the_service_code() -> None:
    unread = rendered_env() - names_read_by_the_code()
    assert not unread, f"rendered but never read by musiccorp_common: {sorted(unread)}"


def test_caller_tokens_are_read_by_their_prefix() -> None:
    code = "\n".join(p.read_text() for p in COMMON_SRC.rglob("*.py"))
    assert f'env_prefixed("{CALLER_PREFIX}")' in code
