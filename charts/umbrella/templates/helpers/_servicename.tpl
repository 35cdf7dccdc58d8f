{{/*
musiccorp.names.service: Service name of a MusicCorp subchart, the same rule as
musiccorp-common.names.fullname ("<release>-<service>" unless that subchart sets
fullnameOverride). Call with (dict "root" $ "service" "catalog").
*/}}
{{- define "musiccorp.names.service" -}}
{{- $override := (index .root.Values .service | default dict).fullnameOverride -}}
{{- default (printf "%s-%s" .root.Release.Name .service) $override | trunc 63 | trimSuffix "-" -}}
{{- end -}}
