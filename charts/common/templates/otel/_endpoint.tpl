{{/*
musiccorp-common.otel.endpoint: the default OTEL_EXPORTER_OTLP_ENDPOINT, the OTLP/HTTP receiver of
otel.collector: "http://<service>:<port>", the service being Grafana Alloy's in this release
(musiccorp-common.otel.collectorService) unless otel.collector.service names another, qualified
with its namespace when otel.collector.namespace is set.
*/}}
{{- define "musiccorp-common.otel.endpoint" -}}
{{- $collector := .Values.otel.collector -}}
{{- $host := include "musiccorp-common.otel.collectorService" . -}}
{{- with $collector.namespace }}{{ $host = printf "%s.%s.svc" $host . }}{{ end -}}
{{- printf "http://%s:%v" $host $collector.port -}}
{{- end -}}

{{/*
musiccorp-common.otel.collectorService: otel.collector.service (tpl) or, when empty, the Service
the alloy chart names in this release: its fullname, "<release>-alloy", or the release name alone
when that already contains "alloy" (the chart's own rule, without name overrides).
*/}}
{{- define "musiccorp-common.otel.collectorService" -}}
{{- if .Values.otel.collector.service -}}
{{- tpl .Values.otel.collector.service . -}}
{{- else if contains "alloy" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-alloy" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
