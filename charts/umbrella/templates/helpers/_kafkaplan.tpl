{{/*
The Kafka objects every profile needs, computed once from the one table of who publishes and who
consumes what (kafka.topics) and rendered two ways: as Strimzi KafkaTopics and KafkaUsers
(kafka/topics.yaml, kafka/users.yaml) and as the plan the bundled Kafka's setup Job applies
through the admin API (bundled/kafka-setup.yaml). Use with fromJsonArray.

musiccorp.kafka.topicSpecs: every contract topic and its "<topic>.dlq", each
{name, partitions, replicas, config: {retention.ms}}. Same partition count for both, so a DLQ
replay keeps per-order ordering (the message key is the order id).
*/}}
{{- define "musiccorp.kafka.topicSpecs" -}}
{{- $out := list -}}
{{- range $topic := .Values.kafka.topics -}}
{{- range $name := list $topic.name (printf "%s.dlq" $topic.name) -}}
{{- $retention := ternary $.Values.kafka.dlqRetentionMs $.Values.kafka.retentionMs (hasSuffix ".dlq" $name) | int64 -}}
{{- $out = append $out (dict "name" $name "partitions" (int $.Values.kafka.topicPartitions) "replicas" (int $.Values.kafka.replicationFactor) "config" (dict "retention.ms" $retention)) -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
musiccorp.kafka.userAcls: the ACLs of one service's Kafka user, in Strimzi's KafkaUser form
({resource: {type, name, patternType}, operations}), from kafka.topics (docs/security.md):
  - the topic's producer: Write + Describe on it;
  - each consumer: Read + Describe on it, Read on its consumer group (the service name), and
    Read + Write + Describe on "<topic>.dlq", where its EventConsumer parks what it cannot process
    and from where `manage.py replay_dlq` reads it back (docs/runbooks/dlq.md).
No cluster ACL: since Kafka 2.8 an idempotent producer needs only Write on the topic. A service in
no row (catalog) gets an empty list. Call with (dict "root" $ "service" "order").
*/}}
{{- define "musiccorp.kafka.userAcls" -}}
{{- $service := .service -}}
{{- $acls := list -}}
{{- range $topic := .root.Values.kafka.topics -}}
{{- if eq $topic.producer $service -}}
{{- $acls = append $acls (dict "resource" (dict "type" "topic" "name" $topic.name "patternType" "literal") "operations" (list "Write" "Describe")) -}}
{{- end -}}
{{- if has $service $topic.consumers -}}
{{- $acls = append $acls (dict "resource" (dict "type" "topic" "name" $topic.name "patternType" "literal") "operations" (list "Read" "Describe")) -}}
{{- $acls = append $acls (dict "resource" (dict "type" "topic" "name" (printf "%s.dlq" $topic.name) "patternType" "literal") "operations" (list "Read" "Write" "Describe")) -}}
{{- end -}}
{{- end -}}
{{- range $topic := .root.Values.kafka.topics -}}
{{- if has $service $topic.consumers -}}
{{- $acls = append $acls (dict "resource" (dict "type" "group" "name" $service "patternType" "literal") "operations" (list "Read")) -}}
{{- break -}}
{{- end -}}
{{- end -}}
{{- toJson $acls -}}
{{- end -}}

{{/*
musiccorp.kafka.userName: a service's Kafka user, "<release>-kafka-<service>": the KafkaUser's
name, the bundled Kafka's SCRAM user and the Secret (key `password`) the service's pods read,
the library's default kafka.user. Call with (dict "root" $ "service" "order").
*/}}
{{- define "musiccorp.kafka.userName" -}}
{{- printf "%s-kafka-%s" .root.Release.Name .service -}}
{{- end -}}
