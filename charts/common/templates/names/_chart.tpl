{{/*
musiccorp-common.names.chart: "<chart>-<version>" for the helm.sh/chart label.
*/}}
{{- define "musiccorp-common.names.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}
