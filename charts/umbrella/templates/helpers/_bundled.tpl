{{/*
Helpers of the bundled infrastructure (values-bundled.yaml): PostgreSQL, Kafka and the nginx
gateway as this chart's own workloads.

musiccorp.bundled.selector: the selector labels of one bundled workload's pods.
Call with (dict "root" $ "name" "postgres").
*/}}
{{- define "musiccorp.bundled.selector" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/*
musiccorp.bundled.labels: every label of a bundled object: the selector labels, the component and
the umbrella's usual part-of/managed-by/chart. Call with (dict "root" $ "name" "kafka" "component" "broker").
*/}}
{{- define "musiccorp.bundled.labels" -}}
{{ include "musiccorp.bundled.selector" . }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: musiccorp
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/*
musiccorp.bundled.keptSecret: a generated credential that survives upgrades: the key's value in
the live Secret (read with lookup; empty under `helm template`) or a new random string.
Call with (dict "root" $ "name" <Secret name> "key" <key> "length" 32).
*/}}
{{- define "musiccorp.bundled.keptSecret" -}}
{{- $live := lookup "v1" "Secret" .root.Release.Namespace .name -}}
{{- if and $live $live.data (hasKey $live.data .key) -}}
{{- index $live.data .key | b64dec -}}
{{- else -}}
{{- randAlphaNum (int .length) -}}
{{- end -}}
{{- end -}}

{{/*
musiccorp.bundled.postgresName: the bundled PostgreSQL's StatefulSet, Service and pod label name,
as the postgres chart would name them (musiccorp.postgres.fullname; its pods' app.kubernetes.io/name
is postgres.nameOverride or "postgres"), so the services' database.host, dbBootstrap's defaults and
the services' NetworkPolicies (networkPolicy.postgres.podLabels) fit either profile unchanged.
*/}}
{{- define "musiccorp.bundled.postgresLabelName" -}}
{{- .Values.postgres.nameOverride | default "postgres" -}}
{{- end -}}

{{/*
musiccorp.bundled.kafka*: names of the bundled Kafka. The client Service is Strimzi's
"<cluster>-kafka-bootstrap", the services' default KAFKA_BOOTSTRAP_SERVERS; the headless Service
"<cluster>-kafka-brokers" gives the pod the DNS name it advertises.
*/}}
{{- define "musiccorp.bundled.kafkaName" -}}
{{- printf "%s-kafka" (include "musiccorp.names.kafkaCluster" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "musiccorp.bundled.kafkaBrokersService" -}}
{{- printf "%s-kafka-brokers" (include "musiccorp.names.kafkaCluster" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "musiccorp.bundled.kafkaBootstrapService" -}}
{{- printf "%s-kafka-bootstrap" (include "musiccorp.names.kafkaCluster" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "musiccorp.bundled.kafkaAdminSecret" -}}
{{- printf "%s-kafka-admin" (include "musiccorp.names.kafkaCluster" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
musiccorp.bundled.kafkaPodLabels: labels of the bundled broker pod besides its own: the ones the
services' NetworkPolicies select Kafka brokers by (the library's networkPolicy.kafka.podLabels,
Strimzi's strimzi.io/cluster and strimzi.io/kind). A values override can add keys to that map but
not remove them, so the bundled broker carries them rather than every service being re-pointed.
*/}}
{{- define "musiccorp.bundled.kafkaPodLabels" -}}
strimzi.io/cluster: {{ include "musiccorp.names.kafkaCluster" . }}
strimzi.io/kind: Kafka
{{- end -}}

{{/*
musiccorp.bundled.kafkaClusterId: bundled.kafka.clusterId, or 16 bytes derived from the namespace
and release name in KRaft's form (URL-safe base64 without padding, 22 characters): the same on
every upgrade, different per release.
*/}}
{{- define "musiccorp.bundled.kafkaClusterId" -}}
{{- if .Values.bundled.kafka.clusterId -}}
{{- .Values.bundled.kafka.clusterId -}}
{{- else -}}
{{- printf "%s/%s" .Release.Namespace .Release.Name | sha256sum | trunc 16 | b64enc | trimSuffix "==" | replace "+" "-" | replace "/" "_" -}}
{{- end -}}
{{- end -}}

{{/*
musiccorp.bundled.setupService: the service whose image runs the Kafka setup Job.
*/}}
{{- define "musiccorp.bundled.setupService" -}}
{{- $enabled := include "musiccorp.services.enabled" . | fromJsonArray -}}
{{- $wanted := .Values.bundled.kafka.setup.service -}}
{{- if $wanted -}}
{{- if not (has $wanted $enabled) -}}
{{- fail (printf "bundled.kafka.setup.service is %q but that service is not enabled (enabled: %s)" $wanted (join ", " $enabled)) -}}
{{- end -}}
{{- $wanted -}}
{{- else -}}
{{- first $enabled -}}
{{- end -}}
{{- end -}}
