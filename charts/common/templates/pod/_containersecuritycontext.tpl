{{/*
musiccorp-common.pod.containerSecurityContext: container-level "restricted" settings; the root
filesystem is read-only, so everything writable is an emptyDir (see musiccorp-common.pod.volumes).
*/}}
{{- define "musiccorp-common.pod.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}
