{{/*
musiccorp.gateway.name: name of the Gateway this chart renders, "<release>-gateway".
*/}}
{{- define "musiccorp.gateway.name" -}}
{{- printf "%s-gateway" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
