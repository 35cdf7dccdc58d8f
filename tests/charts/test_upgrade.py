"""An upgrade rolls exactly what changed: two renders of the umbrella (the second with a config
value changed for one service and the image bumped for another) differ only in those services'
pod templates and migration Job names. `helm template` always renders revision 1 (helm 4 has no
flag to set it), so the Job name's per-revision part is checked by its form; its hash part is what
changes here, as it does for renders that never see a revision (kubectl apply, GitOps)."""

from __future__ import annotations

import functools
import re

from chartlib import parse, template

CONFIG_CHANGE = ["--set", "inventory.django.logLevel=DEBUG"]
IMAGE_BUMP = ["--set", "payment.image.tag=0.2.0"]


@functools.cache
def revision(changed: bool) -> dict[str, dict]:
    """name -> object of the Deployments and Jobs of one render."""
    docs = parse(template("umbrella", [*CONFIG_CHANGE, *IMAGE_BUMP] if changed else []).stdout)
    return {f"{d['kind']}/{d['metadata']['name']}": d for d in docs if d["kind"] in ("Deployment", "Job")}


def migration_jobs(objects: dict[str, dict]) -> dict[str, str]:
    """service -> migration Job name."""
    return {
        d["metadata"]["labels"]["app.kubernetes.io/name"]: d["metadata"]["name"]
        for d in objects.values()
        if d["kind"] == "Job" and d["metadata"]["labels"].get("app.kubernetes.io/component") == "migrate"
    }


def test_only_the_changed_services_pod_templates_change() -> None:
    before, after = revision(False), revision(True)
    changed = {
        name
        for name, d in before.items()
        if d["kind"] == "Deployment" and d["spec"]["template"] != after[name]["spec"]["template"]
    }
    assert changed == {
        "Deployment/musiccorp-inventory",
        "Deployment/musiccorp-inventory-consumer",
        "Deployment/musiccorp-payment",
        "Deployment/musiccorp-payment-consumer",
    }


def test_config_change_rolls_by_checksum_and_image_bump_by_image() -> None:
    before, after = revision(False), revision(True)
    inv = "Deployment/musiccorp-inventory"
    assert (
        before[inv]["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
        != (after[inv]["spec"]["template"]["metadata"]["annotations"]["checksum/config"])
    )
    pay = "Deployment/musiccorp-payment"
    assert after[pay]["spec"]["template"]["spec"]["containers"][0]["image"] == "musiccorp/payment:0.2.0"


def test_migration_job_names_change_with_what_they_run() -> None:
    before, after = migration_jobs(revision(False)), migration_jobs(revision(True))
    assert before.keys() == after.keys() == {"catalog", "inventory", "order", "payment", "shipping"}
    assert {s for s in before if before[s] != after[s]} == {"inventory", "payment"}
    for name in (*before.values(), *after.values()):
        assert re.fullmatch(r"musiccorp-[a-z]+-migrate-1-[0-9a-f]{8}", name), name
        assert len(name) <= 63


def test_unchanged_render_is_identical() -> None:
    # Generated secrets are random per render; nothing derived from them may reach a pod template.
    again = parse(template("umbrella", []).stdout)
    objects = {f"{d['kind']}/{d['metadata']['name']}": d for d in again if d["kind"] in ("Deployment", "Job")}
    before = revision(False)
    assert objects.keys() == before.keys()
    assert all(objects[n]["spec"]["template"] == before[n]["spec"]["template"] for n in objects)
