{{/*
musiccorp.validate.consumerReplicas: fail, naming the key, when a service's consumer could run more
replicas (consumer.replicaCount, or consumer.autoscaling.maxReplicas with its HPA) than the topics
have partitions. A consumer group gives each partition to one member, so the extra replicas would
only idle while counting as capacity; raise kafka.topicPartitions first (docs/events.md says why
partitions are chosen up front). A subchart cannot read kafka.topicPartitions, so the umbrella checks.
*/}}
{{- define "musiccorp.validate.consumerReplicas" -}}
{{- if or .Values.kafka.enabled .Values.bundled.kafka.enabled -}}
{{- $partitions := int .Values.kafka.topicPartitions -}}
{{- range include "musiccorp.services.enabled" $ | fromJsonArray -}}
{{- $consumer := (include "musiccorp.services.values" (dict "root" $ "service" .) | fromYaml).consumer -}}
{{- if $consumer.enabled -}}
{{- $key := ternary "consumer.autoscaling.maxReplicas" "consumer.replicaCount" $consumer.autoscaling.enabled -}}
{{- $most := int (ternary $consumer.autoscaling.maxReplicas $consumer.replicaCount $consumer.autoscaling.enabled) -}}
{{- if gt $most $partitions -}}
{{- fail (printf "%s.%s is %d but the topics have %d partitions (kafka.topicPartitions): a consumer group uses at most one replica per partition" . $key $most $partitions) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
