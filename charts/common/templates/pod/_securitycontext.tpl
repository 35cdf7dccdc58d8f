{{/*
musiccorp-common.pod.securityContext: pod-level settings meeting the "restricted" Pod Security
Standard; uid 10001 is the non-root user the service images create.
*/}}
{{- define "musiccorp-common.pod.securityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}
