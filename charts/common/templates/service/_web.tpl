{{/*
musiccorp-common.service.web: ClusterIP Service on the contract port, named "http" so the
ServiceMonitor and the Ingress refer to it by name.
*/}}
{{- define "musiccorp-common.service.web" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "musiccorp-common.names.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "musiccorp-common.labels.standard" (dict "root" . "component" "web") | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "musiccorp-common.labels.selector" (dict "root" . "component" "web") | nindent 4 }}
  ports:
    - name: http
      port: {{ .Values.service.port }}
      targetPort: http
      protocol: TCP
{{- end -}}
