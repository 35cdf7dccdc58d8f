"""The umbrella's Strimzi resources: one KRaft node pool with both roles, a KafkaTopic for every
contract topic and its dead-letter topic, SCRAM authentication with simple authorization, and one
KafkaUser per service whose ACLs follow the topic table (kafka.topics in the umbrella's values)."""

from __future__ import annotations

import ast
import re

import jsonschema
import pytest
import yaml
from chartlib import ROOT, SERVICES, crd_schema, of_kind, render_case


def contract_topics() -> set[str]:
    text = (ROOT / "docs" / "events.md").read_text()
    return set(re.findall(r"^\|\s*([a-z]+\.[a-z]+)\s*\|", text, re.M))


def event_rows(path) -> dict[str, tuple[str, set[str], set[str]]]:
    """topic -> (publisher, subscribers, the subscribers in parentheses) from an Events table.

    "order (inventory)": both subscribe; the parenthesised ones are additions to the contract.
    """
    rows = {}
    for topic, publisher, subscribers in re.findall(r"^\|\s*([a-z]+\.[a-z]+)\s*\|\s*(\w+)\s*\|([^|]*)\|", path.read_text(), re.M):
        added = set(re.findall(r"[a-z]+", " ".join(re.findall(r"\(([^)]*)\)", subscribers))))
        rows[topic] = (publisher, set(re.findall(r"[a-z]+", subscribers)), added)
    return rows


def contract_rows() -> dict[str, tuple[str, set[str]]]:
    """topic -> (publisher, subscribers): docs/events.md's table, the project's statement of the
    contract's events (subscribers in parentheses are the project's additions, subscribers too)."""
    rows = event_rows(ROOT / "docs" / "events.md")
    return {topic: (publisher, subscribers) for topic, (publisher, subscribers, _) in rows.items()}


def topic_table() -> list[dict]:
    return yaml.safe_load((ROOT / "charts" / "umbrella" / "values.yaml").read_text())["kafka"]["topics"]


def _literal(path, name: str):
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return node.value
    raise AssertionError(f"{name} not found in {path}")


def handled_topics() -> dict[str, set[str]]:
    """service -> event types its consumer subscribes to (the keys of its HANDLERS)."""
    out = {}
    for handlers in (ROOT / "services").glob("*/*/handlers.py"):
        keys = _literal(handlers, "HANDLERS").keys
        out[handlers.parts[-3]] = {k.value for k in keys}
    return out


def kafka_users(case: str = "umbrella-default") -> dict[str, dict]:
    return {u["metadata"]["name"]: u for u in of_kind(render_case(case), "KafkaUser")}


def test_topic_table_matches_the_contract_the_consumers_and_the_owner_check() -> None:
    table = {t["name"]: (t["producer"], set(t["consumers"])) for t in topic_table()}
    assert table == contract_rows()
    owners = ast.literal_eval(_literal(ROOT / "services/common/src/musiccorp_common/events/envelope.py", "TOPIC_OWNERS"))
    assert owners == {name: producer for name, (producer, _) in table.items()}
    consumed = {}
    for name, (_, consumers) in table.items():
        for service in consumers:
            consumed.setdefault(service, set()).add(name)
    assert handled_topics() == consumed


def expected_acls(service: str) -> list[tuple[str, str, frozenset[str]]]:
    acls = []
    for topic in topic_table():
        if topic["producer"] == service:
            acls.append(("topic", topic["name"], frozenset({"Write", "Describe"})))
        if service in topic["consumers"]:
            acls.append(("topic", topic["name"], frozenset({"Read", "Describe"})))
            acls.append(("topic", f"{topic['name']}.dlq", frozenset({"Read", "Write", "Describe"})))
    if any(service in topic["consumers"] for topic in topic_table()):
        acls.append(("group", service, frozenset({"Read"})))
    return acls


@pytest.mark.parametrize("case", ["umbrella-default", "umbrella-production"])
def test_one_scram_kafka_user_per_service_with_exactly_the_table_acls(case: str) -> None:
    users = kafka_users(case)
    assert set(users) == {f"musiccorp-kafka-{service}" for service in SERVICES}
    crd = crd_schema("kafka.strimzi.io/v1", "KafkaUser")
    for service in SERVICES:
        user = users[f"musiccorp-kafka-{service}"]
        jsonschema.validate(user, crd)
        assert user["metadata"]["labels"]["strimzi.io/cluster"] == "musiccorp"
        assert user["spec"]["authentication"] == {"type": "scram-sha-512"}
        assert user["spec"]["authorization"]["type"] == "simple"
        acls = user["spec"]["authorization"]["acls"]
        got = [(a["resource"]["type"], a["resource"]["name"], frozenset(a["operations"])) for a in acls]
        assert sorted(got) == sorted(expected_acls(service)), service
        assert all(a["resource"].get("patternType") == "literal" and a.get("type", "allow") == "allow" for a in acls)


def test_a_service_writes_only_its_topics_and_the_dlqs_of_what_it_consumes() -> None:
    writes = {
        name: sorted(a["resource"]["name"] for a in u["spec"]["authorization"]["acls"] if "Write" in a["operations"])
        for name, u in kafka_users().items()
    }
    assert writes["musiccorp-kafka-payment"] == ["order.cancelled.dlq", "order.placed.dlq", "payment.failed", "payment.received"]
    assert writes["musiccorp-kafka-catalog"] == []
    reads = [a for a in kafka_users()["musiccorp-kafka-shipping"]["spec"]["authorization"]["acls"] if "Read" in a["operations"]]
    assert sorted(a["resource"]["name"] for a in reads) == ["payment.received", "payment.received.dlq", "shipping"]


def test_kafka_listener_requires_scram_and_simple_authorization() -> None:
    [kafka] = of_kind(render_case("umbrella-default"), "Kafka")
    crd = crd_schema("kafka.strimzi.io/v1", "Kafka")
    jsonschema.validate(kafka, crd)
    listeners = kafka["spec"]["kafka"]["listeners"]
    assert [listener["authentication"] for listener in listeners] == [{"type": "scram-sha-512"}]
    assert kafka["spec"]["kafka"]["authorization"] == {"type": "simple"}
    assert "userOperator" in kafka["spec"]["entityOperator"]


@pytest.mark.parametrize("case", ["umbrella-default", "umbrella-production"])
def test_every_service_container_authenticates_as_its_user_from_the_user_secret(case: str) -> None:
    docs = render_case(case)
    configs = {c["metadata"]["name"]: c["data"] for c in of_kind(docs, "ConfigMap")}
    deployments = of_kind(docs, "Deployment")
    checked = set()
    for deployment in deployments:
        service = deployment["metadata"]["labels"].get("app.kubernetes.io/name")
        if service not in SERVICES:
            continue
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            env = {e["name"]: e for e in container.get("env", [])}
            assert env["KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
                "name": f"musiccorp-kafka-{service}",
                "key": "password",
            }
            assert "value" not in env["KAFKA_SASL_PASSWORD"]
            assert "KAFKA_SASL_USERNAME" not in env  # from the ConfigMap, never a literal password
            checked.add(deployment["metadata"]["name"])
        config = configs[f"musiccorp-{service}"]
        assert config["KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
        assert config["KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
        assert config["KAFKA_SASL_USERNAME"] == f"musiccorp-kafka-{service}"
        assert "KAFKA_SASL_PASSWORD" not in config
    # web and consumer Deployments of the four event services, web of catalog
    assert len(checked) >= 9, sorted(checked)


@pytest.mark.parametrize("case", ["umbrella-default", "umbrella-values-production", "umbrella-production"])
def test_topics_and_dead_letter_topics(case: str) -> None:
    topics = of_kind(render_case(case), "KafkaTopic")
    expected = contract_topics() | {f"{t}.dlq" for t in contract_topics()}
    assert len(contract_topics()) == 6
    assert {t["spec"]["topicName"] for t in topics} == expected
    # Six: the most consumer replicas a group can use (docs/events.md), DLQs alike so a replay keeps per-key order.
    assert {t["spec"]["partitions"] for t in topics} == {6}
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
