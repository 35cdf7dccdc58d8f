"""Periodic commands (issue 9): each service chart's `periodic` entries become CronJobs built like the
prune CronJob (the library's one CronJob template), and order's stuck-orders alert (its consumer.alerts)
names its runbook."""

from __future__ import annotations

import pytest
from chartlib import MONITORING_API, ROOT, of_kind, parse, render_case, template

PERIODIC = {
    "inventory": ("musiccorp-inventory-release-expired-reservations", ["python", "manage.py", "release_expired_reservations"]),
    "order": ("musiccorp-order-expire-orders", ["python", "manage.py", "expire_orders"]),
}


def cronjobs(docs) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in of_kind(docs, "CronJob")}


@pytest.mark.parametrize("service", sorted(PERIODIC))
def test_the_services_periodic_command_is_a_cronjob_with_the_jobs_pod_security(service: str) -> None:
    name, command = PERIODIC[service]
    jobs = cronjobs(render_case("umbrella-production"))
    cronjob = jobs[name]
    spec = cronjob["spec"]
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["schedule"]
    assert cronjob["metadata"]["labels"]["app.kubernetes.io/component"] == name.removeprefix(f"musiccorp-{service}-")
    job = spec["jobTemplate"]["spec"]
    assert job["activeDeadlineSeconds"] > 0
    assert job["ttlSecondsAfterFinished"] > 0
    pod = job["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["restartPolicy"] == "Never"
    (container,) = pod["containers"]
    assert container["command"] == command
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["resources"]["limits"]["memory"]
    # The same configuration as the service's other pods: its ConfigMap and Secret.
    prune = jobs[f"musiccorp-{service}-prune"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert container["envFrom"] == prune["containers"][0]["envFrom"]
    assert pod["initContainers"] == prune["initContainers"]


def test_only_inventory_and_order_declare_periodic_commands() -> None:
    names = {n for n in cronjobs(render_case("umbrella-production")) if not n.endswith("-prune")}
    assert names == {name for name, _ in PERIODIC.values()}


def test_a_periodic_command_can_be_switched_off() -> None:
    docs = parse(template("inventory", ["--set", "periodic.release-expired-reservations.enabled=false"]).stdout)
    assert set(cronjobs(docs)) == {"musiccorp-inventory-prune"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "periodic.release-expired-reservations.schedule="], "/periodic/release-expired-reservations/schedule"),
        (["--set", "periodic.release-expired-reservations.command=null"], "/periodic/release-expired-reservations"),
        (["--set", "periodic.Bad_Name.enabled=true"], "invalid propertyName 'Bad_Name'"),
    ],
)
def test_bad_periodic_values_are_rejected_readably(args: list[str], message: str) -> None:
    proc = template("inventory", args, expect_ok=False)
    assert proc.returncode != 0, f"{args} rendered"
    assert message in proc.stderr


def test_orders_stuck_alert_reads_the_order_consumer_and_names_its_runbook() -> None:
    [rule] = of_kind(parse(template("order", MONITORING_API).stdout), "PrometheusRule")
    by_name = {r["alert"]: r for g in rule["spec"]["groups"] for r in g["rules"]}
    alert = by_name["OrderOrdersStuck"]
    assert 'musiccorp_orders_stuck{job="musiccorp-order-consumer", namespace="musiccorp"}' in alert["expr"]
    assert alert["labels"]["severity"] == "warning"
    runbook = alert["annotations"]["runbook"]
    assert (ROOT / runbook).is_file()
    assert "{{ $labels.status }}" in alert["annotations"]["description"]
    # Only order declares it.
    [inventory_rule] = of_kind(parse(template("inventory", MONITORING_API).stdout), "PrometheusRule")
    assert not any("OrdersStuck" in r["alert"] for g in inventory_rule["spec"]["groups"] for r in g["rules"])
