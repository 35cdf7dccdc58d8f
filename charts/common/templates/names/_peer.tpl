{{/*
musiccorp-common.names.peer: the Service name of a sibling service in the same release,
"<release>-<peer>", matching musiccorp-common.names.fullname of that service's chart.
Call with (dict "root" $ "peer" "inventory").
*/}}
{{- define "musiccorp-common.names.peer" -}}
{{- printf "%s-%s" .root.Release.Name .peer | trunc 63 | trimSuffix "-" -}}
{{- end -}}
