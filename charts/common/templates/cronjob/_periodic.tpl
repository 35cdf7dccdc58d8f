{{/*
musiccorp-common.cronjob.periodic: one CronJob per enabled entry of `periodic` (name -> command,
schedule, ...), the service's own periodic commands (issue 9: inventory's reservation sweeper,
order's expiry of unpaid orders). The local stack runs the same commands with `--every`.
Several objects, separated by `---` (the loader puts one before the first).
*/}}
{{- define "musiccorp-common.cronjob.periodic" -}}
{{- $docs := list -}}
{{- range $name, $job := .Values.periodic -}}
{{- if $job.enabled -}}
{{- $container := include "musiccorp-common.cronjob.container" (dict "root" $ "name" $name "command" $job.command "resources" $job.resources) -}}
{{- $docs = append $docs (include "musiccorp-common.cronjob.object" (dict "root" $ "component" $name "schedule" $job.schedule "activeDeadlineSeconds" $job.activeDeadlineSeconds "ttlSecondsAfterFinished" $job.ttlSecondsAfterFinished "container" $container)) -}}
{{- end -}}
{{- end -}}
{{- join "\n---\n" $docs -}}
{{- end -}}
