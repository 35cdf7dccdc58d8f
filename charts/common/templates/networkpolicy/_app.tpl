{{/*
musiccorp-common.networkpolicy.app: default-deny for all pods of the service, then: in, only
the gateway controller, Prometheus and the services listed in networkPolicy.clients, on the
service port (and the consumer's health port for Prometheus); out, only DNS, PostgreSQL, Kafka,
the peers, the OTLP collector (otel.collector, while otel.enabled) and networkPolicy.extraEgress.
*/}}
{{- define "musiccorp-common.networkpolicy.app" -}}
{{- if .Values.networkPolicy.enabled -}}
{{- $np := .Values.networkPolicy -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "musiccorp-common.names.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "musiccorp-common.labels.standard" (dict "root" .) | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "musiccorp-common.labels.selector" (dict "root" .) | nindent 6 }}
  policyTypes: [Ingress, Egress]
  ingress:
    - from:
        {{- include "musiccorp-common.networkpolicy.peer" (dict "root" . "namespace" $np.gateway.namespace "podLabels" $np.gateway.podLabels) | nindent 8 }}
        {{- range $np.clients }}
        {{- include "musiccorp-common.networkpolicy.peer" (dict "root" $ "podLabels" (dict "app.kubernetes.io/name" . "app.kubernetes.io/instance" $.Release.Name)) | nindent 8 }}
        {{- end }}
      ports:
        - port: {{ .Values.service.port }}
          protocol: TCP
    - from:
        {{- include "musiccorp-common.networkpolicy.peer" (dict "root" . "namespace" $np.prometheus.namespace "podLabels" $np.prometheus.podLabels) | nindent 8 }}
      ports:
        - port: {{ .Values.service.port }}
          protocol: TCP
        {{- if .Values.consumer.enabled }}
        - port: {{ .Values.consumer.healthPort }}
          protocol: TCP
        {{- end }}
  egress:
    - to:
        {{- include "musiccorp-common.networkpolicy.peer" (dict "root" . "namespace" $np.dns.namespace "podLabels" $np.dns.podLabels) | nindent 8 }}
      ports:
        - {port: 53, protocol: UDP}
        - {port: 53, protocol: TCP}
    - to:
        {{- include "musiccorp-common.networkpolicy.peer" (dict "root" . "namespace" $np.postgres.namespace "podLabels" $np.postgres.podLabels) | nindent 8 }}
      ports:
        - port: {{ .Values.database.port }}
          protocol: TCP
    - to:
        {{- include "musiccorp-common.networkpolicy.peer" (dict "root" . "namespace" $np.kafka.namespace "podLabels" $np.kafka.podLabels) | nindent 8 }}
      ports:
        - port: {{ $np.kafka.port }}
          protocol: TCP
    {{- range $peer, $port := .Values.peers }}
    - to:
        {{- include "musiccorp-common.networkpolicy.peer" (dict "root" $ "podLabels" (dict "app.kubernetes.io/name" $peer "app.kubernetes.io/instance" $.Release.Name)) | nindent 8 }}
      ports:
        - port: {{ $port }}
          protocol: TCP
    {{- end }}
    {{- if .Values.otel.enabled }}
    - to:
        {{- include "musiccorp-common.networkpolicy.peer" (dict "root" . "namespace" .Values.otel.collector.namespace "podLabels" .Values.otel.collector.podLabels) | nindent 8 }}
      ports:
        - port: {{ .Values.otel.collector.port }}
          protocol: TCP
    {{- end }}
    {{- with $np.extraEgress }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}
{{- end -}}
