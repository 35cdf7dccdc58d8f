{{/*
musiccorp-common.hpa.consumer: CPU-based HorizontalPodAutoscaler for the consumer Deployment,
rendered when consumer.enabled and consumer.autoscaling.enabled (the Deployment then leaves
replicas to it). A backlog keeps a consumer busy, so its CPU follows the lag without an external
metrics adapter; maxReplicas stays at most the topics' partition count (the umbrella checks it),
since a group gives each partition to one member only.
*/}}
{{- define "musiccorp-common.hpa.consumer" -}}
{{- if and .Values.consumer.enabled .Values.consumer.autoscaling.enabled -}}
{{- $scaling := .Values.consumer.autoscaling -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "musiccorp-common.names.fullname" . }}-consumer
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "musiccorp-common.labels.standard" (dict "root" . "component" "consumer") | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "musiccorp-common.names.fullname" . }}-consumer
  minReplicas: {{ $scaling.minReplicas }}
  maxReplicas: {{ $scaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $scaling.targetCPUUtilizationPercentage }}
{{- end -}}
{{- end -}}
