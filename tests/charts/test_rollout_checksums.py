"""A config change rolls exactly the pods that read it: shared env is in the ConfigMap (checksum
on every pod), web-only tuning is in the web pod template, so it leaves the consumer alone."""

from __future__ import annotations

from chartlib import VALUES, of_kind, parse, template

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
