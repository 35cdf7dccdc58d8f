{{/*
musiccorp-common.cronjob.prune: `manage.py prune_events` on prune.schedule, deleting processed-event
and sent outbox rows older than prune.retentionDays (EVENTS_RETENTION_DAYS in the ConfigMap).
A CronJob like every periodic command (musiccorp-common.cronjob.object).
*/}}
{{- define "musiccorp-common.cronjob.prune" -}}
{{- $prune := .Values.prune -}}
{{- if $prune.enabled -}}
{{- $container := include "musiccorp-common.cronjob.container" (dict "root" . "name" "prune" "command" (list "prune_events") "resources" $prune.resources) -}}
{{- include "musiccorp-common.cronjob.object" (dict "root" . "component" "prune" "schedule" $prune.schedule "activeDeadlineSeconds" $prune.activeDeadlineSeconds "ttlSecondsAfterFinished" $prune.ttlSecondsAfterFinished "container" $container) -}}
{{- end -}}
{{- end -}}
