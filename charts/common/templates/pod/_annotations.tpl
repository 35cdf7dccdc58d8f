{{/*
musiccorp-common.pod.annotations: checksums of the config and secret the pod reads, so a change
rolls exactly the pods that use them. The secret checksum covers the inputs (never random
values, which would roll every render), plus the live Secret's data when it already exists.
*/}}
{{- define "musiccorp-common.pod.annotations" -}}
checksum/config: {{ include "musiccorp-common.configmap.data" . | sha256sum }}
checksum/secret: {{ include "musiccorp-common.secret.fingerprint" . | sha256sum }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}
