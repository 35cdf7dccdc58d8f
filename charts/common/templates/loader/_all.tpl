{{/*
musiccorp-common.loader.all: renders every object of a service, in one place, so a service
chart's templates/ is a single include. The library defaults are merged under the chart's values
first (musiccorp-common.values.init), then validation runs so a bad value fails the render before
any object is emitted. Each resource define emits nothing when disabled.
*/}}
{{- define "musiccorp-common.loader.all" -}}
{{- include "musiccorp-common.loader.except" (dict "root" . "skip" list) -}}
{{- end -}}

{{/*
musiccorp-common.loader.except: loader.all without the resource defines named in skip, for a
service chart that replaces some of the library's objects (order with only order-go:
charts/order/templates/all.yaml). Call with (dict "root" $ "skip" (list "musiccorp-common.deployment.web")),
and "deployments": the Deployments the chart renders itself, as suffixes of the fullname (order's
"-go"), so the library's PodNotReady alert watches their pods too (root.musiccorpChartDeployments).
*/}}
{{- define "musiccorp-common.loader.except" -}}
{{- $root := .root -}}
{{- $skip := .skip -}}
{{- $_ := set $root "musiccorpChartDeployments" (.deployments | default list) -}}
{{- include "musiccorp-common.values.init" $root -}}
{{- include "musiccorp-common.validate.values" $root -}}
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
{{- $doc := "" }}
{{- if not (has . $skip) }}{{ $doc = include . $root | trim }}{{ end }}
{{- if $doc }}
---
{{ $doc }}
{{- end }}
{{- end }}
{{- end -}}
