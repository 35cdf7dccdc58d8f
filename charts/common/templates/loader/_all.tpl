{{/*
musiccorp-common.loader.all: renders every object of a service, in one place, so a service
chart's templates/ is a single include. The library defaults are merged under the chart's values
first (musiccorp-common.values.init), then validation runs so a bad value fails the render before
any object is emitted. Each resource define emits nothing when disabled.
*/}}
{{- define "musiccorp-common.loader.all" -}}
{{- include "musiccorp-common.values.init" . -}}
{{- include "musiccorp-common.validate.values" . -}}
{{- $resources := list
  "musiccorp-common.serviceaccount.app"
  "musiccorp-common.configmap.env"
  "musiccorp-common.secret.app"
  "musiccorp-common.secret.serviceToken"
  "musiccorp-common.secret.superuser"
  "musiccorp-common.service.web"
  "musiccorp-common.deployment.web"
  "musiccorp-common.deployment.consumer"
  "musiccorp-common.job.migrate"
  "musiccorp-common.cronjob.prune"
  "musiccorp-common.cronjob.periodic"
  "musiccorp-common.pdb.web"
  "musiccorp-common.hpa.web"
  "musiccorp-common.hpa.consumer"
  "musiccorp-common.networkpolicy.app"
  "musiccorp-common.monitoring.servicemonitor"
  "musiccorp-common.monitoring.podmonitor"
  "musiccorp-common.monitoring.prometheusrule"
}}
{{- range $resources }}
{{- $doc := include . $ | trim }}
{{- if $doc }}
---
{{ $doc }}
{{- end }}
{{- end }}
{{- end -}}
