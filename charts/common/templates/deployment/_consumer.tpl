{{/*
musiccorp-common.deployment.consumer: the Kafka consumer loop (`manage.py consume`), rendered
when consumer.enabled. Consumers of one group share partitions, so more replicas than topic
partitions (3) only idle; Recreate is not needed because the group rebalances.
*/}}
{{- define "musiccorp-common.deployment.consumer" -}}
{{- if .Values.consumer.enabled -}}
{{- $labels := dict "root" . "component" "consumer" -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "musiccorp-common.names.fullname" . }}-consumer
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "musiccorp-common.labels.standard" $labels | nindent 4 }}
spec:
  replicas: {{ .Values.consumer.replicaCount }}
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
      {{- include "musiccorp-common.pod.spec" (dict "root" . "component" "consumer" "replicas" .Values.consumer.replicaCount "waitForMigrations" true "containers" (include "musiccorp-common.deployment.consumerContainer" .)) | nindent 6 }}
{{- end -}}
{{- end -}}
