{{/*
musiccorp-common.monitoring.servicemonitor: Prometheus Operator scrape of /metrics on the web
Service's "http" port (inside the cluster only; the gateway never routes /metrics).
*/}}
{{- define "musiccorp-common.monitoring.servicemonitor" -}}
{{- $sm := .Values.metrics.serviceMonitor -}}
{{- if include "musiccorp-common.monitoring.enabled" (dict "root" . "switch" $sm) -}}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "musiccorp-common.names.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "musiccorp-common.labels.standard" (dict "root" . "component" "web") | nindent 4 }}
    {{- with $sm.labels }}
    {{- tpl (toYaml .) $ | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "musiccorp-common.labels.selector" (dict "root" . "component" "web") | nindent 6 }}
  namespaceSelector:
    matchNames:
      - {{ .Release.Namespace }}
  endpoints:
    - port: http
      path: /metrics
      interval: {{ $sm.interval }}
      scrapeTimeout: {{ $sm.scrapeTimeout }}
{{- end -}}
{{- end -}}
