"""A config change rolls exactly the pods that read it: shared env is in the ConfigMap (checksum
on every pod), web-only tuning is in the web pod template, so it leaves the consumer alone."""

from __future__ import annotations

import base64
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest
from chartlib import VALUES, charts_copy, helm_path, of_kind, parse, run, template

BASE = ["-f", str(VALUES / "catalog-consumer.yaml")]


def pod_templates(args: list[str]) -> dict[str, dict]:
    docs = parse(template("catalog", BASE + args).stdout)
    return {d["metadata"]["name"]: d["spec"]["template"] for d in of_kind(docs, "Deployment")}


def test_web_tuning_rolls_only_web() -> None:
    before, after = pod_templates([]), pod_templates(["--set", "gunicorn.workers=4"])
    assert before["musiccorp-catalog"] != after["musiccorp-catalog"]
    assert before["musiccorp-catalog-consumer"] == after["musiccorp-catalog-consumer"]


def test_shared_config_rolls_every_pod() -> None:
    before, after = pod_templates([]), pod_templates(["--set", "django.logLevel=DEBUG"])
    for name in before:
        assert (
            before[name]["metadata"]["annotations"]["checksum/config"]
            != after[name]["metadata"]["annotations"]["checksum/config"]
        )


def test_secret_checksum_is_stable_across_renders() -> None:
    # Generated values are random per render; the checksum must not be, or every upgrade rolls.
    first, second = pod_templates([]), pod_templates([])
    assert first["musiccorp-catalog"]["metadata"]["annotations"] == second["musiccorp-catalog"]["metadata"]["annotations"]


def test_existing_secret_replaces_the_generated_one() -> None:
    docs = parse(template("catalog", ["--set", "secrets.existingSecret=catalog-credentials"]).stdout)
    # Only the service token's Secret is left: the chart always generates it (docs/security.md).
    assert [s["metadata"]["name"] for s in of_kind(docs, "Secret")] == ["musiccorp-catalog-service-token"]
    web = next(d for d in of_kind(docs, "Deployment"))["spec"]["template"]["spec"]["containers"][0]
    refs = {
        e["name"]: e["valueFrom"]["secretKeyRef"]["name"]
        for e in web["env"]
        if "valueFrom" in e and "secretKeyRef" in e["valueFrom"]
    }
    assert refs == {
        "DATABASE_URL": "catalog-credentials",
        "DJANGO_SECRET_KEY": "catalog-credentials",
        "SERVICE_TOKEN": "musiccorp-catalog-service-token",
        "CALLER_TOKEN_ORDER": "musiccorp-order-service-token",
        # Strimzi's Secret of the service's KafkaUser, not the service's own
        "KAFKA_SASL_PASSWORD": "musiccorp-kafka-catalog",
    }


# What `lookup` returns on an upgrade: the Secret the install generated. `helm template` has no
# cluster, so the chart's own lookup wrapper is redefined in a copy of the chart (a parent chart's
# define wins over its library's), giving the render an "upgrade" with the values unchanged.
LIVE_SECRET_TPL = """{{- define "musiccorp-common.secret.existing" -}}
DATABASE_PASSWORD: %s
DJANGO_SECRET_KEY: %s
{{- end -}}
"""


def upgrade_render(args: list[str]) -> list[dict]:
    chart = Path(tempfile.mkdtemp(prefix="musiccorp-upgrade-")) / "catalog"
    shutil.copytree(charts_copy() / "catalog", chart)
    generated = [base64.b64encode(secrets.token_hex(16).encode()).decode() for _ in range(2)]
    (chart / "templates" / "_live_secret.tpl").write_text(LIVE_SECRET_TPL % tuple(generated))
    docs = parse(run([helm_path(), "template", "musiccorp", str(chart), "--namespace", "musiccorp", *BASE, *args]).stdout)
    [secret] = [s for s in of_kind(docs, "Secret") if s["metadata"]["name"] == "musiccorp-catalog"]
    kept = {secret["data"]["DATABASE_PASSWORD"], secret["data"]["DJANGO_SECRET_KEY"]} & set(generated)
    assert kept, "the chart reads back the simulated live Secret (for each value the user does not set)"
    return docs


def secret_checksums(docs: list[dict]) -> dict[str, str]:
    return {
        f"{d['kind']}/{d['metadata']['name']}": d["spec"]["template"]["metadata"]["annotations"]["checksum/secret"]
        for d in docs
        if d["kind"] in ("Deployment", "Job")
    }


def test_first_upgrade_without_changes_rolls_nothing() -> None:
    # Install: lookup finds nothing and the chart generates the password and key; upgrade: it
    # reads them back. The pods read the same values both times, so their templates must not change.
    install = secret_checksums(parse(template("catalog", BASE).stdout))
    upgrade = secret_checksums(upgrade_render([]))
    assert {k.rsplit("-migrate-", 1)[0]: v for k, v in install.items()} == {
        k.rsplit("-migrate-", 1)[0]: v for k, v in upgrade.items()
    }


@pytest.mark.parametrize(
    "change",
    [
        "secrets.djangoSecretKey=a-key-the-user-sets",
        "database.password=a-password-the-user-sets",
        "database.host=db.example.com",
        "secrets.keys.databaseUrl=DB_URL",
    ],
)
def test_a_secret_value_the_user_changes_rolls_the_pods(change: str) -> None:
    before, after = secret_checksums(upgrade_render([])), secret_checksums(upgrade_render(["--set", change]))
    deployments = [k for k in before if k.startswith("Deployment/")]
    assert deployments
    for name in deployments:
        assert before[name] != after[name], f"{name}: {change} leaves checksum/secret unchanged"


def test_a_new_existing_secret_name_rolls_the_pods() -> None:
    first = secret_checksums(parse(template("catalog", [*BASE, "--set", "secrets.existingSecret=catalog-v1"]).stdout))
    second = secret_checksums(parse(template("catalog", [*BASE, "--set", "secrets.existingSecret=catalog-v2"]).stdout))
    assert first["Deployment/musiccorp-catalog"] != second["Deployment/musiccorp-catalog"]
