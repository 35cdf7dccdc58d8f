"""The order admin's superuser on Kubernetes (issue 8, item 7): a Secret with a generated password,
applied by the migration Job (`ensure_superuser` after `migrate`), its password read back from the
live Secret on upgrade (`lookup`, which `helm template` cannot exercise: checked by the template's
form here), and NOTES.txt saying how to read it."""

from __future__ import annotations

import base64

from chartlib import ROOT, of_kind, parse, render_case, template

SECRET = "musiccorp-order-superuser"


def _superuser_secrets(docs) -> list[dict]:
    return [d for d in of_kind(docs, "Secret") if d["metadata"]["name"].endswith("-superuser")]


def test_only_order_gets_a_superuser_secret_with_a_generated_password() -> None:
    docs = render_case("umbrella-production")
    (secret,) = _superuser_secrets(docs)
    assert secret["metadata"]["name"] == SECRET
    assert secret["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert data["DJANGO_SUPERUSER_USERNAME"] == "admin"
    assert len(data["DJANGO_SUPERUSER_PASSWORD"]) == 32


def test_migration_job_applies_the_superuser_from_the_secret() -> None:
    docs = render_case("umbrella-production")
    jobs = {d["metadata"]["labels"]["app.kubernetes.io/name"]: d for d in of_kind(docs, "Job")}
    (container,) = jobs["order"]["spec"]["template"]["spec"]["containers"]
    assert container["command"][-1].endswith("python manage.py migrate --noinput && python manage.py ensure_superuser")
    assert {"secretRef": {"name": SECRET}} in container["envFrom"]
    (other,) = jobs["catalog"]["spec"]["template"]["spec"]["containers"]
    assert other["command"] == ["python", "manage.py", "migrate", "--noinput"]


def test_password_is_read_back_from_the_live_secret_on_upgrade() -> None:
    """The generated password must come from `lookup` of the Secret's own name when it exists."""
    text = (ROOT / "charts/common/templates/secret/_superuser.tpl").read_text()
    assert 'lookup "v1" "Secret" .Release.Namespace $name' in text
    assert 'index $live.data "DJANGO_SUPERUSER_PASSWORD" | b64dec' in text


def test_notes_say_how_to_read_the_password() -> None:
    """`helm template` does not render NOTES.txt; the command is checked in its source."""
    notes = (ROOT / "charts/umbrella/templates/NOTES.txt").read_text()
    assert "$order.superuser.enabled" in notes
    assert "get secret {{ $secret }} -o jsonpath='{.data.DJANGO_SUPERUSER_PASSWORD}' | base64 -d" in notes


def test_existing_secret_replaces_the_generated_one() -> None:
    docs = parse(template("umbrella", ["--set", "order.superuser.existingSecret=order-admin"]).stdout)
    assert not _superuser_secrets(docs)
    jobs = {d["metadata"]["labels"]["app.kubernetes.io/name"]: d for d in of_kind(docs, "Job")}
    (container,) = jobs["order"]["spec"]["template"]["spec"]["containers"]
    assert {"secretRef": {"name": "order-admin"}} in container["envFrom"]
