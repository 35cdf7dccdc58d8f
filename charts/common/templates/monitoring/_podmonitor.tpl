{{/*
musiccorp-common.monitoring.podmonitor: Prometheus Operator scrape of the consumer's /metrics on
its "health" container port (EVENTS_CONSUMER_HEALTH_PORT; no Service exposes it, hence a
PodMonitor). The job label is set to "<fullname>-consumer" so alerts and dashboards name the
consumer the way the ServiceMonitor's job names the web pods ("<fullname>").
*/}}
{{- define "musiccorp-common.monitoring.podmonitor" -}}
{{- $pm := .Values.metrics.podMonitor -}}
{{- if and .Values.consumer.enabled (include "musiccorp-common.monitoring.enabled" (dict "root" . "switch" $pm)) -}}
{{- $labels := dict "root" . "component" "consumer" -}}
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata:
  name: {{ include "musiccorp-common.names.fullname" . }}-consumer
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "musiccorp-common.labels.standard" $labels | nindent 4 }}
    {{- with $pm.labels }}
    {{- tpl (toYaml .) $ | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "musiccorp-common.labels.selector" $labels | nindent 6 }}
  namespaceSelector:
    matchNames:
      - {{ .Release.Namespace }}
  podMetricsEndpoints:
    - port: health
      path: /metrics
      interval: {{ $pm.interval }}
      scrapeTimeout: {{ $pm.scrapeTimeout }}
      relabelings:
        - action: replace
          targetLabel: job
          replacement: {{ include "musiccorp-common.names.fullname" . }}-consumer
{{- end -}}
{{- end -}}
