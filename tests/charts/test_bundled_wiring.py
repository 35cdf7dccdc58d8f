"""The bundled profile wires its own PostgreSQL and Kafka to the services exactly as the default
profile wires the external charts: the same database bootstrap (init SQL, per-service databases,
roles and their passwords), the same topics and partitions, the same Kafka users and ACLs, every
credential from a Secret, and NetworkPolicies that let each service reach them."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlsplit

from chartlib import SERVICES, of_kind, render_bundled, render_case


def named(docs: tuple[dict, ...], kind: str, name: str) -> dict:
    [doc] = [d for d in of_kind(docs, kind) if d["metadata"]["name"] == name]
    return doc


def job(docs: tuple[dict, ...], component: str) -> dict:
    [found] = [j for j in of_kind(docs, "Job") if j["metadata"]["labels"]["app.kubernetes.io/component"] == component]
    return found


def env_of(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env", [])}


def secret_ref(env: dict) -> tuple[str, str]:
    ref = env["valueFrom"]["secretKeyRef"]
    return ref["name"], ref["key"]


def selects(selector: dict, labels: dict) -> bool:
    return selector.items() <= labels.items()


def plan() -> dict:
    return json.loads(named(render_bundled(), "ConfigMap", "musiccorp-kafka-setup")["data"]["plan.json"])


def test_the_database_bootstrap_is_the_default_profiles() -> None:
    bundled, default = render_bundled(), render_case("umbrella-default")
    sql = "musiccorp-db-bootstrap"
    assert named(bundled, "ConfigMap", sql)["data"] == named(default, "ConfigMap", sql)["data"]
    [ours], [theirs] = (job(d, "db-bootstrap")["spec"]["template"]["spec"]["containers"] for d in (bundled, default))
    # The same psql run per service (database, role, the role's password from the service's Secret).
    assert ours["command"] == theirs["command"]
    passwords = {k: v for k, v in env_of(ours).items() if k.startswith("PASSWORD_")}
    assert passwords == {k: v for k, v in env_of(theirs).items() if k.startswith("PASSWORD_")}
    assert set(passwords) == {f"PASSWORD_{s.upper()}" for s in SERVICES}


def test_the_bootstrap_and_the_services_reach_the_bundled_server() -> None:
    docs = render_bundled()
    [psql] = job(docs, "db-bootstrap")["spec"]["template"]["spec"]["containers"]
    env = env_of(psql)
    service = named(docs, "Service", env["PGHOST"]["value"])
    sts = named(docs, "StatefulSet", "musiccorp-postgres")
    assert selects(service["spec"]["selector"], sts["spec"]["template"]["metadata"]["labels"])
    # The superuser password: one Secret, read by the server and by the bootstrap.
    [server] = sts["spec"]["template"]["spec"]["containers"]
    assert secret_ref(env["PGPASSWORD"]) == secret_ref(env_of(server)["POSTGRES_PASSWORD"])
    name, key = secret_ref(env["PGPASSWORD"])
    assert key in named(docs, "Secret", name)["data"]
    # bootstrap's psql is the server's own image
    assert psql["image"] == server["image"]
    for svc in SERVICES:
        url = base64.b64decode(named(docs, "Secret", f"musiccorp-{svc}")["data"]["DATABASE_URL"]).decode()
        assert urlsplit(url).hostname == service["metadata"]["name"], svc


def test_topics_are_the_default_profiles_kafka_topics() -> None:
    default = render_case("umbrella-default")
    wanted = {
        t["spec"]["topicName"]: (t["spec"]["partitions"], t["spec"]["replicas"], t["spec"]["config"]["retention.ms"])
        for t in of_kind(default, "KafkaTopic")
    }
    assert {t["name"]: (t["partitions"], t["replicas"], t["config"]["retention.ms"]) for t in plan()["topics"]} == wanted
    assert {p for p, _, _ in wanted.values()} == {6}


def test_users_and_acls_are_the_default_profiles_kafka_users() -> None:
    default = render_case("umbrella-default")
    wanted = {u["metadata"]["name"]: u["spec"]["authorization"]["acls"] for u in of_kind(default, "KafkaUser")}
    assert {u["name"]: u["acls"] for u in plan()["users"]} == wanted


def test_each_service_logs_in_with_the_password_the_setup_job_sets() -> None:
    docs = render_bundled()
    [setup] = job(docs, "kafka-setup")["spec"]["template"]["spec"]["containers"]
    setup_env = env_of(setup)
    for user in plan()["users"]:
        name, key = secret_ref(setup_env[user["passwordEnv"]])
        assert (name, key) == (user["name"], "password")
        assert "password" in named(docs, "Secret", name)["data"]
    for svc in SERVICES:
        web = named(docs, "Deployment", f"musiccorp-{svc}")
        [container] = web["spec"]["template"]["spec"]["containers"]
        assert secret_ref(env_of(container)["KAFKA_SASL_PASSWORD"]) == (f"musiccorp-kafka-{svc}", "password")
        config = named(docs, "ConfigMap", f"musiccorp-{svc}")["data"]
        assert config["KAFKA_SASL_USERNAME"] == f"musiccorp-kafka-{svc}"
        assert config["KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
        assert config["KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
        host, port = config["KAFKA_BOOTSTRAP_SERVERS"].split(":")
        bootstrap = named(docs, "Service", host)
        kafka = named(docs, "StatefulSet", "musiccorp-kafka")
        assert selects(bootstrap["spec"]["selector"], kafka["spec"]["template"]["metadata"]["labels"])
        assert int(port) in {p["port"] for p in bootstrap["spec"]["ports"]}


def test_the_broker_authenticates_and_authorises_like_strimzi() -> None:
    [broker] = named(render_bundled(), "StatefulSet", "musiccorp-kafka")["spec"]["template"]["spec"]["containers"]
    env = {k: v.get("value") for k, v in env_of(broker).items()}
    assert (
        env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"] == "CLIENT:SASL_PLAINTEXT,INTERNAL:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT"
    )
    assert env["KAFKA_LISTENER_NAME_CLIENT_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    assert env["KAFKA_AUTHORIZER_CLASS_NAME"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert len(env["CLUSTER_ID"]) == 22


def test_no_credential_is_a_plain_value() -> None:
    docs = render_bundled()
    pods = [w["spec"]["template"]["spec"] for kind in ("StatefulSet", "Deployment", "Job") for w in of_kind(docs, kind)]
    for pod in pods:
        for c in pod.get("initContainers", []) + pod["containers"]:
            for e in c.get("env", []):
                if any(word in e["name"] for word in ("PASSWORD", "SECRET", "TOKEN", "DATABASE_URL")):
                    assert "valueFrom" in e, f"{c['name']}: {e['name']} is a literal"
                # The broker's JAAS lines name the admin password only as a reference to its Secret.
                if "JAAS" in e["name"] and "PlainLoginModule" in e.get("value", ""):
                    assert 'password="$(MUSICCORP_ADMIN_PASSWORD)"' in e["value"]
    # No Secret's value appears anywhere outside its Secret.
    values = {base64.b64decode(v).decode() for s in of_kind(docs, "Secret") for v in s["data"].values()}
    values = {v for v in values if len(v) >= 16}
    assert values
    elsewhere = json.dumps([d for d in docs if d["kind"] != "Secret"])
    assert not [v for v in values if v in elsewhere]


def test_the_services_policies_let_them_reach_postgres_and_kafka_and_nothing_else_in() -> None:
    docs = render_bundled()
    pod_labels = {
        name: named(docs, "StatefulSet", f"musiccorp-{name}")["spec"]["template"]["metadata"]["labels"]
        for name in ("postgres", "kafka")
    }
    ports = {"postgres": 5432, "kafka": 9092}
    for svc in SERVICES:
        policy = named(docs, "NetworkPolicy", f"musiccorp-{svc}")
        for target, labels in pod_labels.items():
            rules = [
                r
                for r in policy["spec"]["egress"]
                if any(selects(p["podSelector"]["matchLabels"], labels) for p in r.get("to", []))
            ]
            assert any({"port": ports[target], "protocol": "TCP"} in r["ports"] for r in rules), f"{svc} -> {target}"
    for target, labels in pod_labels.items():
        [policy] = [p for p in of_kind(docs, "NetworkPolicy") if selects(p["spec"]["podSelector"]["matchLabels"], labels)]
        allowed = {
            peer["podSelector"]["matchLabels"].get("app.kubernetes.io/name")
            for rule in policy["spec"]["ingress"]
            if {"port": ports[target], "protocol": "TCP"} in rule["ports"]
            for peer in rule["from"]
        }
        # The services, plus the bootstrap Job (PostgreSQL) or the broker itself (Kafka); not the gateway.
        assert set(SERVICES) <= allowed, (target, allowed)
        assert "gateway" not in allowed, (target, allowed)
