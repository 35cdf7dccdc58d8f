{{/*
musiccorp-common.names.fullname: "<release>-<name>" (or fullnameOverride), always both parts,
unlike the usual "contains" shortcut: the umbrella computes peer and route Service names as
"<release>-<service>" and must get the same answer whatever the release is called.
*/}}
{{- define "musiccorp-common.names.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "musiccorp-common.names.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
