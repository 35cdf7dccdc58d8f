{{/*
musiccorp-common.deployment.consumer: the Kafka consumer loop (`manage.py consume`), rendered
when consumer.enabled. Consumers of one group share partitions, so more replicas than topic
partitions (kafka.topicPartitions, 6) only idle; Recreate is not needed because the group
rebalances. With consumer.autoscaling.enabled the HPA owns the replica count.
*/}}
{{- define "musiccorp-common.deployment.consumer" -}}
{{- if .Values.consumer.enabled -}}
{{- $labels := dict "root" . "component" "consumer" -}}
{{- $scaling := .Values.consumer.autoscaling -}}
{{- $replicas := ternary $scaling.maxReplicas .Values.consumer.replicaCount $scaling.enabled -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "musiccorp-common.names.fullname" . }}-consumer
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "musiccorp-common.labels.standard" $labels | nindent 4 }}
spec:
  {{- if not $scaling.enabled }}
  replicas: {{ .Values.consumer.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  selector:
    matchLabels:
      {{- include "musiccorp-common.labels.selector" $labels | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "musiccorp-common.labels.standard" $labels | nindent 8 }}
        {{- with .Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        {{- include "musiccorp-common.pod.annotations" . | nindent 8 }}
    spec:
      {{- include "musiccorp-common.pod.spec" (dict "root" . "component" "consumer" "replicas" $replicas "waitForMigrations" true "containers" (include "musiccorp-common.deployment.consumerContainer" .)) | nindent 6 }}
{{- end -}}
{{- end -}}
