{{/*
musiccorp-common.serviceaccount.app: the service's own identity; the token is not mounted
because no service talks to the Kubernetes API.
*/}}
{{- define "musiccorp-common.serviceaccount.app" -}}
{{- if .Values.serviceAccount.create -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "musiccorp-common.names.serviceaccount" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "musiccorp-common.labels.standard" (dict "root" .) | nindent 4 }}
  {{- with .Values.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: false
{{- end -}}
{{- end -}}
