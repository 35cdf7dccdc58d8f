"""The umbrella's Strimzi resources: one KRaft node pool with both roles, and a KafkaTopic for
every contract topic and its dead-letter topic."""

from __future__ import annotations

import re

import pytest
from chartlib import SHARED, of_kind, render_case


def contract_topics() -> set[str]:
    text = (SHARED / "spec" / "contract.md").read_text()
    return set(re.findall(r"^\|\s*([a-z]+\.[a-z]+)\s*\|", text, re.M))


@pytest.mark.parametrize("case", ["umbrella-default", "umbrella-kind", "umbrella-production"])
def test_topics_and_dead_letter_topics(case: str) -> None:
    topics = of_kind(render_case(case), "KafkaTopic")
    expected = contract_topics() | {f"{t}.dlq" for t in contract_topics()}
    assert len(contract_topics()) == 6
    assert {t["spec"]["topicName"] for t in topics} == expected
    assert all(t["spec"]["partitions"] == 3 for t in topics)
    assert all(t["metadata"]["labels"]["strimzi.io/cluster"] == "musiccorp" for t in topics)


def test_single_kraft_node_with_both_roles() -> None:
    docs = render_case("umbrella-default")
    [kafka], [pool] = of_kind(docs, "Kafka"), of_kind(docs, "KafkaNodePool")
    assert kafka["apiVersion"] == pool["apiVersion"] == "kafka.strimzi.io/v1"
    assert kafka["spec"]["kafka"]["version"] == "4.1.1"
    assert pool["spec"]["replicas"] == 1
    assert sorted(pool["spec"]["roles"]) == ["broker", "controller"]
    assert pool["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]


def test_services_bootstrap_to_the_strimzi_service() -> None:
    [config] = [c for c in of_kind(render_case("umbrella-default"), "ConfigMap") if c["metadata"]["name"] == "musiccorp-catalog"]
    assert config["data"]["KAFKA_BOOTSTRAP_SERVERS"] == "musiccorp-kafka-bootstrap:9092"
