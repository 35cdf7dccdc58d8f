{{/*
musiccorp.names.kafkaCluster: the Strimzi Kafka cluster name; the services' default
KAFKA_BOOTSTRAP_SERVERS is "<release>-kafka-bootstrap:9092", Strimzi's "<cluster>-kafka-bootstrap".
*/}}
{{- define "musiccorp.names.kafkaCluster" -}}
{{- .Release.Name -}}
{{- end -}}
