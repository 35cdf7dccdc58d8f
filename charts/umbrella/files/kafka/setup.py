"""Bring the bundled Kafka to the chart's plan: topics with their partitions and retention, SCRAM users, ACLs.

    python setup.py PLAN.json

Run by the umbrella's Kafka setup Job (templates/bundled/kafka-setup.yaml) with a MusicCorp
service image, whose Python has the Kafka admin client. The plan is rendered from kafka.topics
(templates/helpers/_kafkaplan.tpl), the table the default profile renders Strimzi's KafkaTopics and
KafkaUsers from; this script does what Strimzi's topic and user operators do there. Idempotent (the
Job runs once per release revision): missing topics are created, existing ones grown to the planned
partition count and given the planned config, passwords upserted, ACLs added (an existing ACL is a
no-op for the broker). Connection: KAFKA_BOOTSTRAP_SERVERS, KAFKA_ADMIN_USERNAME and
KAFKA_ADMIN_PASSWORD (SASL KAFKA_ADMIN_MECHANISM, PLAIN by default); each user's password is in the
variable its plan entry names.
"""

from __future__ import annotations

import json
import os
import sys
import time

from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewPartitions,
    NewTopic,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

SCRAM_ITERATIONS = 4096


def log(message: str) -> None:
    print(message, flush=True)


def admin_client() -> AdminClient:
    return AdminClient(
        {
            "bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"],
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": os.environ.get("KAFKA_ADMIN_MECHANISM", "PLAIN"),
            "sasl.username": os.environ["KAFKA_ADMIN_USERNAME"],
            "sasl.password": os.environ["KAFKA_ADMIN_PASSWORD"],
            "socket.timeout.ms": 5000,
        }
    )


def wait_for_broker(admin: AdminClient, timeout: float) -> dict:
    """The cluster's topics once the broker answers a metadata request as the admin."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return admin.list_topics(timeout=5).topics
        except KafkaException as exc:
            if time.monotonic() > deadline:
                raise SystemExit(f"kafka did not answer within {timeout:.0f}s: {exc}") from exc
            log(f"waiting for kafka: {exc}")
            time.sleep(3)


def _results(futures: dict, done: str, ignore: str = "") -> int:
    failed = 0
    for key, future in futures.items():
        try:
            future.result()
            log(f"ok {key} {done}")
        except KafkaException as exc:
            if ignore and exc.args[0].name() == ignore:
                continue
            log(f"error on {key}: {exc}")
            failed += 1
    return failed


def apply_topics(admin: AdminClient, topics: list[dict], existing: dict) -> int:
    missing = [t for t in topics if t["name"] not in existing]
    short = [t for t in topics if t["name"] in existing and len(existing[t["name"]].partitions) < t["partitions"]]
    failed = 0
    if missing:
        new = [
            NewTopic(
                t["name"],
                num_partitions=t["partitions"],
                replication_factor=t["replicas"],
                config={k: str(v) for k, v in t["config"].items()},
            )
            for t in missing
        ]
        failed += _results(admin.create_topics(new, operation_timeout=30), "created", ignore="TOPIC_ALREADY_EXISTS")
    if short:
        grow = [NewPartitions(t["name"], t["partitions"]) for t in short]
        failed += _results(admin.create_partitions(grow, operation_timeout=30), "grown", ignore="INVALID_PARTITIONS")
    present = [t for t in topics if t["name"] in existing]
    if present:
        resources = [
            ConfigResource(
                ResourceType.TOPIC,
                t["name"],
                incremental_configs=[
                    ConfigEntry(k, str(v), incremental_operation=AlterConfigOpType.SET) for k, v in t["config"].items()
                ],
            )
            for t in present
        ]
        failed += _results(admin.incremental_alter_configs(resources), "config set")
    return failed


def apply_users(admin: AdminClient, users: list[dict]) -> int:
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS)
    upserts = [UserScramCredentialUpsertion(u["name"], info, os.environ[u["passwordEnv"]].encode()) for u in users]
    failed = _results(admin.alter_user_scram_credentials(upserts), "SCRAM-SHA-512 credential set") if upserts else 0
    bindings = [
        AclBinding(
            ResourceType[acl["resource"]["type"].upper()],
            acl["resource"]["name"],
            ResourcePatternType[acl["resource"]["patternType"].upper()],
            f"User:{user['name']}",
            "*",
            AclOperation[operation.upper()],
            AclPermissionType.ALLOW,
        )
        for user in users
        for acl in user["acls"]
        for operation in acl["operations"]
    ]
    if bindings:
        failed += _results(admin.create_acls(bindings), "ACL present")
    return failed


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: setup.py PLAN.json", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as handle:
        plan = json.load(handle)
    admin = admin_client()
    existing = wait_for_broker(admin, float(os.environ.get("KAFKA_SETUP_TIMEOUT_SECONDS", "300")))
    failed = apply_topics(admin, plan["topics"], existing) + apply_users(admin, plan["users"])
    log(f"{len(plan['topics'])} topics, {len(plan['users'])} users: {failed} failures")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
