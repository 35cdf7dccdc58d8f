{{/*
musiccorp-common.pod.annotations: checksums of the config and secret the pod reads, so a change
rolls exactly the pods that use them. The secret checksum covers only the inputs a user sets
(musiccorp-common.secret.fingerprint): never random values, which would roll every render, nor
the live Secret, which would roll every pod on the first upgrade.
*/}}
{{- define "musiccorp-common.pod.annotations" -}}
checksum/config: {{ include "musiccorp-common.configmap.data" . | sha256sum }}
checksum/secret: {{ include "musiccorp-common.secret.fingerprint" . | sha256sum }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}
