"""The bundled Kafka's rendered configuration on a real broker: the StatefulSet's KAFKA_* variables,
turned into broker properties by apache/kafka's rule, start Kafka (the pinned jars of the local
stack, on free loopback ports); the setup Job's script and plan, as rendered, make the topics, SCRAM
users and ACLs; then a service logs in with its password, may write its own topic and not another's,
and a wrong password is refused. What Strimzi guarantees in the default profile, shown for the
plain broker."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from chartlib import CACHE, ROOT, of_kind, render_bundled

ADMIN_PASSWORD = "admin-password-of-this-test"  # a throwaway broker's


def kafka_version() -> str:
    versions = (ROOT / "ci" / "versions.env").read_text()
    return re.search(r"^KAFKA_VERSION=(\S+)$", versions, re.M)[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def property_name(variable: str) -> str:
    """apache/kafka's rule for KAFKA_* variables: drop the prefix, lower-case, ___ -> -, __ -> _, _ -> ."""
    name = variable.removeprefix("KAFKA_").lower().replace("___", "-").replace("__", "\0").replace("_", ".")
    return name.replace("\0", "_")


def named(kind: str, name: str) -> dict:
    [doc] = [d for d in of_kind(render_bundled(), kind) if d["metadata"]["name"] == name]
    return doc


def broker_properties(workdir: Path, ports: dict[str, int]) -> str:
    """server.properties as the image writes it from the rendered env, moved to this test's ports and directory."""
    [container] = named("StatefulSet", "musiccorp-kafka")["spec"]["template"]["spec"]["containers"]
    refs = {"POD_NAME": "localhost", "MUSICCORP_ADMIN_PASSWORD": ADMIN_PASSWORD}
    lines = []
    for env in container["env"]:
        if not env["name"].startswith("KAFKA_") or env["name"] == "KAFKA_HEAP_OPTS" or "value" not in env:
            continue
        value = re.sub(r"\$\((\w+)\)", lambda m: refs[m[1]], env["value"])
        value = value.replace(".musiccorp-kafka-brokers.musiccorp.svc", "")
        for port, free in ports.items():
            value = value.replace(f":{port}", f":{free}")
        lines.append(f"{property_name(env['name'])}={value}")
    text = "\n".join(lines) + "\n"
    return re.sub(r"^log\.dirs=.*$", f"log.dirs={workdir / 'data'}", text, flags=re.M)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory):
    """A broker started from the rendered configuration; yields its client and internal addresses."""
    java, libs = shutil.which("java"), CACHE / f"kafka-{kafka_version()}" / "libs"
    if java is None or not libs.is_dir():
        pytest.fail(f"java and the Kafka jars ({libs}) are needed: run ci/bootstrap", pytrace=False)
    workdir = tmp_path_factory.mktemp("kafka")
    ports = {9092: free_port(), 9091: free_port(), 9093: free_port()}
    (workdir / "server.properties").write_text(broker_properties(workdir, ports))
    (workdir / "log4j2.properties").write_text((ROOT / "ci" / "images" / "kafka" / "log4j2.properties").read_text())
    [cluster_id] = [
        e["value"]
        for e in named("StatefulSet", "musiccorp-kafka")["spec"]["template"]["spec"]["containers"][0]["env"]
        if e["name"] == "CLUSTER_ID"
    ]
    jvm = [java, "-Xms128m", "-Xmx384m", f"-Dlog4j2.configurationFile={workdir / 'log4j2.properties'}", "-cp", f"{libs}/*"]
    subprocess.run(
        [*jvm, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(workdir / "server.properties")],
        check=True,
        capture_output=True,
    )
    log = (workdir / "broker.log").open("w")
    proc = subprocess.Popen([*jvm, "kafka.Kafka", str(workdir / "server.properties")], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while "Kafka Server started" not in (workdir / "broker.log").read_text():
            assert proc.poll() is None, (workdir / "broker.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the broker did not start in 120 s"
            time.sleep(1)
        yield {"client": f"127.0.0.1:{ports[9092]}", "internal": f"127.0.0.1:{ports[9091]}", "workdir": workdir}
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def passwords(broker: dict) -> dict[str, str]:
    """Runs the setup Job's script with its plan, as the Job would; returns each user's password."""
    data = named("ConfigMap", "musiccorp-kafka-setup")["data"]
    workdir = broker["workdir"]
    (workdir / "setup.py").write_text(data["setup.py"])
    (workdir / "plan.json").write_text(data["plan.json"])
    users = json.loads(data["plan.json"])["users"]
    secrets = {u["name"]: f"password-of-{u['name']}" for u in users}
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": broker["internal"],
        "KAFKA_ADMIN_USERNAME": "admin",
        "KAFKA_ADMIN_PASSWORD": ADMIN_PASSWORD,
        **{u["passwordEnv"]: secrets[u["name"]] for u in users},
    }
    for attempt in ("first", "again"):  # idempotent: the Job runs once per revision
        proc = subprocess.run(
            [sys.executable, str(workdir / "setup.py"), str(workdir / "plan.json")],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, f"{attempt}: {proc.stdout[-2000:]}{proc.stderr[-2000:]}"
        assert "0 failures" in proc.stdout
    return secrets


def produce(address: str, user: str, password: str, topic: str) -> str | None:
    """The delivery error of one message (None when it was written)."""
    from confluent_kafka import Producer

    producer = Producer(
        {
            "bootstrap.servers": address,
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.username": user,
            "sasl.password": password,
            "enable.idempotence": True,
            "message.timeout.ms": 6000,
            "log_level": 0,
        }
    )
    errors: list = []
    producer.produce(topic, b"{}", key=b"order-1", on_delivery=lambda err, _msg: errors.append(err))
    producer.flush(15)
    return errors[0].name() if errors and errors[0] else None


def test_topics_have_the_planned_partitions_and_retention(broker: dict, passwords: dict[str, str]) -> None:
    from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType

    admin = AdminClient(
        {
            "bootstrap.servers": broker["internal"],
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "PLAIN",
            "sasl.username": "admin",
            "sasl.password": ADMIN_PASSWORD,
        }
    )
    plan = json.loads(named("ConfigMap", "musiccorp-kafka-setup")["data"]["plan.json"])
    topics = admin.list_topics(timeout=10).topics
    assert {t["name"]: t["partitions"] for t in plan["topics"]} == {
        n: len(topics[n].partitions) for n in (t["name"] for t in plan["topics"])
    }
    [future] = admin.describe_configs([ConfigResource(ResourceType.TOPIC, "order.placed.dlq")]).values()
    [dlq] = [t for t in plan["topics"] if t["name"] == "order.placed.dlq"]
    assert future.result()["retention.ms"].value == str(dlq["config"]["retention.ms"])


def test_a_service_writes_its_own_topic_and_only_that(broker: dict, passwords: dict[str, str]) -> None:
    order = "musiccorp-kafka-order"
    assert produce(broker["client"], order, passwords[order], "order.placed") is None
    assert produce(broker["client"], order, passwords[order], "payment.received") == "TOPIC_AUTHORIZATION_FAILED"
    catalog = "musiccorp-kafka-catalog"  # in no row of the topic table: may do nothing
    assert produce(broker["client"], catalog, passwords[catalog], "order.placed") == "TOPIC_AUTHORIZATION_FAILED"


def test_a_wrong_password_is_refused(broker: dict, passwords: dict[str, str]) -> None:
    assert produce(broker["client"], "musiccorp-kafka-order", "not-the-password", "order.placed") is not None
