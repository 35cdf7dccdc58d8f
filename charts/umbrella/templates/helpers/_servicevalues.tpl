{{/*
musiccorp.services.values: the values a service chart will render with, as YAML: the library's
defaults, global.serviceDefaults and this chart's section for the service, merged as
musiccorp-common.values.init merges them. Used where the umbrella needs a service's settings, e.g.
its database name and role. Call with (dict "root" $ "service" "order").
*/}}
{{- define "musiccorp.services.values" -}}
{{- $chart := dict "Name" .service "AppVersion" .root.Chart.AppVersion -}}
{{- $defaults := include "musiccorp-common.values.defaults" (dict "Chart" $chart) | fromYaml -}}
{{- $own := index .root.Values .service | default dict -}}
{{- $shared := dig "serviceDefaults" dict (.root.Values.global | default dict) -}}
{{- toYaml (mustMergeOverwrite $defaults (deepCopy $shared) (deepCopy $own)) -}}
{{- end -}}
