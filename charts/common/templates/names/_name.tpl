{{/*
musiccorp-common.names.name: the service's short name (catalog, order, ...): nameOverride or
the chart name. Used in labels, peer lookups and alert names.
*/}}
{{- define "musiccorp-common.names.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}
