{{/*
musiccorp-common.job.migrate: `manage.py migrate` once per release revision. Deliberately not a
pre-install/pre-upgrade hook: PostgreSQL is installed by the same release, and a pre-install hook
would run before the database exists. The Job runs alongside the new pods, whose init container
waits for it; backoffLimit covers a database that is still starting. Migrations must follow
expand/contract (docs/charts.md) because old pods keep serving while it runs.
The finished Job (and its pod's log) is deleted migrations.ttlSecondsAfterFinished after it ends
(a day by default): long enough to read a failed migration's log, and far longer than
`helm install --wait --wait-for-jobs` takes to see it complete (helm waits until a Job it created
is complete; one already deleted never is, so a TTL shorter than the install can fail the wait).
The next upgrade deletes it anyway (its name carries the revision).
*/}}
{{- define "musiccorp-common.job.migrate" -}}
{{- if .Values.migrations.enabled -}}
{{- $labels := dict "root" . "component" "migrate" -}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "musiccorp-common.names.migratejob" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "musiccorp-common.labels.standard" $labels | nindent 4 }}
spec:
  backoffLimit: {{ .Values.migrations.backoffLimit }}
  activeDeadlineSeconds: {{ .Values.migrations.activeDeadlineSeconds }}
  {{- /* always rendered: 0 (delete at once) is a value, not "unset" */}}
  ttlSecondsAfterFinished: {{ int .Values.migrations.ttlSecondsAfterFinished }}
  template:
    {{- include "musiccorp-common.job.migratePodTemplate" . | nindent 4 }}
{{- end -}}
{{- end -}}
