{{/*
musiccorp-common.cronjob.object: one CronJob running a container of the service's image, shared by
the prune CronJob and the periodic commands (musiccorp-common.cronjob.periodic). Arguments (dict):
root, component (name suffix and component label), schedule, activeDeadlineSeconds,
ttlSecondsAfterFinished, container (the rendered container list). Same pod spec as the migration
Job (non-root, read-only root filesystem, no service account token); concurrencyPolicy Forbid so
a slow run is never overlapped by the next one. Waits for migrations like the workloads do, so a
run during an upgrade sees the tables it works on.
*/}}
{{- define "musiccorp-common.cronjob.object" -}}
{{- $root := .root -}}
{{- $labels := dict "root" $root "component" .component -}}
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {{ printf "%s-%s" (include "musiccorp-common.names.fullname" $root) .component | trunc 52 | trimSuffix "-" }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "musiccorp-common.labels.standard" $labels | nindent 4 }}
spec:
  schedule: {{ .schedule | quote }}
  concurrencyPolicy: Forbid
  successfulJobsHistoryLimit: 1
  failedJobsHistoryLimit: 3
  jobTemplate:
    spec:
      backoffLimit: 2
      activeDeadlineSeconds: {{ .activeDeadlineSeconds }}
      ttlSecondsAfterFinished: {{ .ttlSecondsAfterFinished }}
      template:
        metadata:
          labels:
            {{- include "musiccorp-common.labels.standard" $labels | nindent 12 }}
          annotations:
            {{- include "musiccorp-common.pod.annotations" $root | nindent 12 }}
        spec:
          {{- include "musiccorp-common.pod.spec" (dict "root" $root "restartPolicy" "Never" "waitForMigrations" true "containers" .container) | nindent 10 }}
{{- end -}}
