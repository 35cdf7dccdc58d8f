{{/*
musiccorp-common.cronjob.prune: `manage.py prune_events` on prune.schedule, deleting processed-event
and sent outbox rows older than prune.retentionDays (EVENTS_RETENTION_DAYS in the ConfigMap). Same
pod spec as the migration Job (non-root, read-only root filesystem, no service account token);
concurrencyPolicy Forbid so a slow run is never overlapped by the next one. Waits for migrations
like the workloads do, so a run during an upgrade sees the tables it deletes from.
*/}}
{{- define "musiccorp-common.cronjob.prune" -}}
{{- if .Values.prune.enabled -}}
{{- $labels := dict "root" . "component" "prune" -}}
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {{ printf "%s-prune" (include "musiccorp-common.names.fullname" .) | trunc 52 | trimSuffix "-" }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "musiccorp-common.labels.standard" $labels | nindent 4 }}
spec:
  schedule: {{ .Values.prune.schedule | quote }}
  concurrencyPolicy: Forbid
  successfulJobsHistoryLimit: 1
  failedJobsHistoryLimit: 3
  jobTemplate:
    spec:
      backoffLimit: 2
      activeDeadlineSeconds: {{ .Values.prune.activeDeadlineSeconds }}
      ttlSecondsAfterFinished: {{ .Values.prune.ttlSecondsAfterFinished }}
      template:
        metadata:
          labels:
            {{- include "musiccorp-common.labels.standard" $labels | nindent 12 }}
          annotations:
            {{- include "musiccorp-common.pod.annotations" . | nindent 12 }}
        spec:
          {{- include "musiccorp-common.pod.spec" (dict "root" . "restartPolicy" "Never" "waitForMigrations" true "containers" (include "musiccorp-common.cronjob.pruneContainer" .)) | nindent 10 }}
{{- end -}}
{{- end -}}
