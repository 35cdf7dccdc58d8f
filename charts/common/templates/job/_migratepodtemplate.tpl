{{/*
musiccorp-common.job.migratePodTemplate: the pod template of the migration Job. Separate so the
Job's name can carry its hash (musiccorp-common.names.migratejob): a Job's template is immutable.
*/}}
{{- define "musiccorp-common.job.migratePodTemplate" -}}
{{- $labels := dict "root" . "component" "migrate" -}}
metadata:
  labels:
    {{- include "musiccorp-common.labels.standard" $labels | nindent 4 }}
  annotations:
    {{- include "musiccorp-common.pod.annotations" . | nindent 4 }}
spec:
  {{- include "musiccorp-common.pod.spec" (dict "root" . "restartPolicy" "Never" "containers" (include "musiccorp-common.job.migrateContainer" .)) | nindent 2 }}
{{- end -}}
