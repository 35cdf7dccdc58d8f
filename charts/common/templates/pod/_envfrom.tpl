{{/*
musiccorp-common.pod.envFrom: the shared non-secret env (the service's ConfigMap) of every
container; secret values come one by one from musiccorp-common.pod.env.
*/}}
{{- define "musiccorp-common.pod.envFrom" -}}
- configMapRef:
    name: {{ include "musiccorp-common.names.fullname" . }}
{{- end -}}
