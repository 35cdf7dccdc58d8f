{{/*
musiccorp-common.pdb.web: keeps voluntary disruptions (node drains) from taking all web pods at
once. Defaults to maxUnavailable 1 rather than minAvailable 1, which would block every drain of a
single-replica dev install.
*/}}
{{- define "musiccorp-common.pdb.web" -}}
{{- if .Values.podDisruptionBudget.enabled -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "musiccorp-common.names.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "musiccorp-common.labels.standard" (dict "root" . "component" "web") | nindent 4 }}
spec:
  {{- if .Values.podDisruptionBudget.minAvailable }}
  minAvailable: {{ .Values.podDisruptionBudget.minAvailable }}
  {{- else }}
  maxUnavailable: {{ .Values.podDisruptionBudget.maxUnavailable | default 1 }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "musiccorp-common.labels.selector" (dict "root" . "component" "web") | nindent 6 }}
{{- end -}}
{{- end -}}
