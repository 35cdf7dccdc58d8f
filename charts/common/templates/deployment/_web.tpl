{{/*
musiccorp-common.deployment.web: gunicorn serving the Django app on service.port. Rolling
updates never drop below the desired count (maxUnavailable 0), and the preStop sleep lets
endpoints and the ingress controller forget the pod before gunicorn gets SIGTERM.
*/}}
{{- define "musiccorp-common.deployment.web" -}}
{{- $labels := dict "root" . "component" "web" -}}
{{- $replicas := ternary .Values.autoscaling.maxReplicas .Values.replicaCount .Values.autoscaling.enabled -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "musiccorp-common.names.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "musiccorp-common.labels.standard" $labels | nindent 4 }}
spec:
  {{- if not .Values.autoscaling.enabled }}
  replicas: {{ .Values.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: {{ .Values.rollingUpdate.maxSurge }}
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
      {{- include "musiccorp-common.pod.spec" (dict "root" . "component" "web" "replicas" $replicas "waitForMigrations" true "containers" (include "musiccorp-common.deployment.webContainer" .)) | nindent 6 }}
{{- end -}}
