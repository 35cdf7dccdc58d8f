{{/*
musiccorp-common.secret.fingerprint: what the secret's contents depend on, for the pods'
checksum/secret annotation: the inputs and the live data, never a freshly generated random value.
With an existingSecret only its name is known; rotating it needs a restart (or a new name).
*/}}
{{- define "musiccorp-common.secret.fingerprint" -}}
{{- if .Values.secrets.existingSecret -}}
existingSecret: {{ .Values.secrets.existingSecret }}
keys: {{ toJson .Values.secrets.keys }}
{{- else -}}
database: {{ toJson .Values.database }}
djangoSecretKey: {{ .Values.secrets.djangoSecretKey | sha256sum }}
live: {{ include "musiccorp-common.secret.existing" . | sha256sum }}
{{- end -}}
{{- end -}}
