{{/*
musiccorp-common.configmap.env: the ConfigMap every container loads with envFrom.
*/}}
{{- define "musiccorp-common.configmap.env" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "musiccorp-common.names.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "musiccorp-common.labels.standard" (dict "root" .) | nindent 4 }}
data:
  {{- include "musiccorp-common.configmap.data" . | nindent 2 }}
{{- end -}}
