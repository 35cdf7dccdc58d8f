#!/bin/bash
# Entrypoint of the local Kafka stand-in: write server.properties from single-node KRaft defaults
# overridden by KAFKA_* variables (apache/kafka's naming: drop the prefix, lower-case, `___` -> `-`,
# `__` -> `_`, `_` -> `.`), format the storage once with CLUSTER_ID, then run the broker.
set -euo pipefail

STATE=/var/lib/kafka
CONFIG="$STATE/server.properties"
# Variables that configure the JVM, not the broker.
NOT_PROPERTIES=" KAFKA_HEAP_OPTS KAFKA_OPTS KAFKA_JVM_PERFORMANCE_OPTS KAFKA_VERSION "

_defaults() {
  cat <<PROPS
# Written by the entrypoint from its defaults and the KAFKA_* environment.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:9093
listeners=PLAINTEXT://:9092,CONTROLLER://:9093
advertised.listeners=PLAINTEXT://localhost:9092
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$STATE/data
num.partitions=1
offsets.topic.replication.factor=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
}

# The KAFKA_* environment as properties; later lines win when Kafka reads the file.
_from_env() {
  local var name
  while IFS= read -r var; do
    [[ "$NOT_PROPERTIES" == *" $var "* ]] && continue
    name="${var#KAFKA_}"
    name="${name,,}"
    name="${name//___/-}"
    name="${name//__/@}"
    name="${name//_/.}"
    name="${name//@/_}"
    printf '%s=%s\n' "$name" "${!var}"
  done < <(compgen -e | grep '^KAFKA_' || true)
}

_java() {
  local -a heap
  read -r -a heap <<< "${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
  # shellcheck disable=SC2086 -- KAFKA_OPTS is a list of JVM flags
  exec java "${heap[@]}" -XX:+UseG1GC -Djava.awt.headless=true ${KAFKA_OPTS:-} \
    -Dlog4j2.configurationFile=/opt/kafka/log4j2.properties -cp '/opt/kafka/libs/*' "$@"
}

{ _defaults; _from_env; } > "$CONFIG"
if [ ! -f "$STATE/data/meta.properties" ]; then
  cluster_id="${CLUSTER_ID:-$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')}"
  # Never a leading "-": the storage tool would read the id as an option (1 in 64 random ids).
  cluster_id="${cluster_id/#-/A}"
  (_java kafka.tools.StorageTool format --ignore-formatted -t "$cluster_id" -c "$CONFIG") >/dev/null
fi
_java kafka.Kafka "$CONFIG"
