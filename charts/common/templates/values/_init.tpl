{{/*
musiccorp-common.values.init: replaces .Values of the calling chart by, in rising precedence, the
library defaults (musiccorp-common.values.defaults), global.serviceDefaults (what an umbrella sets
once for every service: image tag, pull policy, monitoring switches, ...) and the chart's own
values, so every define after it sees complete values. The chart's values win key by key; lists are replaced whole; a
value set to null falls back to the default (Helm drops null keys before templates run).
values.schema.json has already checked the chart's own values when this runs.
*/}}
{{- define "musiccorp-common.values.init" -}}
{{- $defaults := include "musiccorp-common.values.defaults" . | fromYaml -}}
{{- if hasKey $defaults "Error" -}}
{{- fail (printf "musiccorp-common: the library defaults do not parse: %s" $defaults.Error) -}}
{{- end -}}
{{- $shared := dig "serviceDefaults" dict (.Values.global | default dict) -}}
{{- $_ := set . "Values" (mustMergeOverwrite $defaults (deepCopy $shared) (deepCopy .Values)) -}}
{{- end -}}
