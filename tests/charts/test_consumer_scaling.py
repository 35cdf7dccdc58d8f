"""Consumer replicas follow the topics' partitions: a group uses at most one member per partition,
so neither a fixed replica count nor an HPA's maximum may exceed kafka.topicPartitions."""

from __future__ import annotations

import pytest
from chartlib import of_kind, parse, render_case, template

EVENT_SERVICES = ("inventory", "order", "payment", "shipping")


def test_production_scales_each_consumer_up_to_the_partition_count() -> None:
    docs = render_case("umbrella-values-production")
    [partitions] = {t["spec"]["partitions"] for t in of_kind(docs, "KafkaTopic")}
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in of_kind(docs, "HorizontalPodAutoscaler")}
    consumers = {d["metadata"]["name"]: d for d in of_kind(docs, "Deployment") if d["metadata"]["name"].endswith("-consumer")}
    assert sorted(consumers) == [f"musiccorp-{s}-consumer" for s in EVENT_SERVICES]
    for name, deployment in consumers.items():
        hpa = hpas[name]
        assert hpa["metadata"]["name"] == name
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert 2 == hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"] == partitions
        # The HPA owns the count: a replicas field would fight it on every upgrade.
        assert "replicas" not in deployment["spec"], name


def test_kind_setup_runs_one_consumer_without_an_hpa() -> None:
    docs = render_case("umbrella-default")
    assert not [h for h in of_kind(docs, "HorizontalPodAutoscaler") if h["metadata"]["name"].endswith("-consumer")]
    consumers = [d for d in of_kind(docs, "Deployment") if d["metadata"]["name"].endswith("-consumer")]
    assert consumers
    assert all(d["spec"]["replicas"] == 1 for d in consumers)


@pytest.mark.parametrize(
    ("args", "key", "most"),
    [
        (["--set", "order.consumer.replicaCount=7"], "order.consumer.replicaCount", 7),
        (
            [
                "--set",
                "global.serviceDefaults.consumer.autoscaling.enabled=true",
                "--set",
                "payment.consumer.autoscaling.maxReplicas=8",
            ],
            "payment.consumer.autoscaling.maxReplicas",
            8,
        ),
    ],
)
def test_more_consumer_replicas_than_partitions_is_refused(args: list[str], key: str, most: int) -> None:
    failed = template("umbrella", args, expect_ok=False)
    assert failed.returncode != 0
    assert f"{key} is {most} but the topics have 6 partitions (kafka.topicPartitions)" in failed.stderr


def test_more_partitions_allow_more_consumer_replicas() -> None:
    docs = parse(template("umbrella", ["--set", "kafka.topicPartitions=12", "--set", "order.consumer.replicaCount=7"]).stdout)
    [consumer] = [d for d in of_kind(docs, "Deployment") if d["metadata"]["name"] == "musiccorp-order-consumer"]
    assert consumer["spec"]["replicas"] == 7
    assert {t["spec"]["partitions"] for t in of_kind(docs, "KafkaTopic")} == {12}
