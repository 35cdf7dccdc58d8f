{{/*
The Service names of the tempo, loki and alloy charts in this release, as those charts make them
(their fullname rule: fullnameOverride, else "<release>-<nameOverride or chart name>", or the
release name alone when it already contains that name). Call with (dict "root" $ "chart" "loki").
*/}}
{{- define "musiccorp.observability.fullname" -}}
{{- $values := index .root.Values .chart | default dict -}}
{{- if $values.fullnameOverride -}}
{{- $values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := $values.nameOverride | default .chart -}}
{{- if contains $name .root.Release.Name -}}
{{- .root.Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .root.Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* musiccorp.observability.host: "<chart's Service>.<namespace>.svc". Call like the above. */}}
{{- define "musiccorp.observability.host" -}}
{{- printf "%s.%s.svc" (include "musiccorp.observability.fullname" .) .root.Release.Namespace -}}
{{- end -}}

{{/* Loki's HTTP port (the chart's loki.server.http_listen_port, 3100 by default). */}}
{{- define "musiccorp.observability.lokiPort" -}}
{{- dig "loki" "server" "http_listen_port" 3100 .Values.loki -}}
{{- end -}}

{{/* Tempo's query (HTTP) port (the chart's tempo.server.http_listen_port, 3200 by default). */}}
{{- define "musiccorp.observability.tempoPort" -}}
{{- dig "tempo" "server" "http_listen_port" 3200 .Values.tempo -}}
{{- end -}}

{{/* musiccorp.observability.lokiPushUrl: where Alloy pushes the pods' logs. */}}
{{- define "musiccorp.observability.lokiPushUrl" -}}
{{- printf "http://%s:%v/loki/api/v1/push" (include "musiccorp.observability.host" (dict "root" . "chart" "loki")) (include "musiccorp.observability.lokiPort" .) -}}
{{- end -}}

{{/* musiccorp.observability.tempoOtlpEndpoint: Tempo's OTLP gRPC receiver (host:port), where Alloy sends the spans. */}}
{{- define "musiccorp.observability.tempoOtlpEndpoint" -}}
{{- printf "%s:4317" (include "musiccorp.observability.host" (dict "root" . "chart" "tempo")) -}}
{{- end -}}
