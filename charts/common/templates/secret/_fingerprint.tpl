{{/*
musiccorp-common.secret.fingerprint: what the secret's contents depend on, for the pods'
checksum/secret annotation: only what a user sets (values, key names, an existingSecret's name).
Never the live Secret read with `lookup`: it is empty at install and filled afterwards, so hashing
it rolled every pod on the first upgrade (issue 11). Generated values are kept across upgrades, so
leaving them out loses nothing; a Secret edited by hand needs a restart (or new values).
With an existingSecret only its name is known; rotating it needs a restart (or a new name).
*/}}
{{- define "musiccorp-common.secret.fingerprint" -}}
{{- if .Values.secrets.existingSecret -}}
existingSecret: {{ .Values.secrets.existingSecret }}
keys: {{ toJson .Values.secrets.keys }}
{{- else -}}
database: {{ toJson .Values.database }}
djangoSecretKey: {{ .Values.secrets.djangoSecretKey | sha256sum }}
keys: {{ toJson .Values.secrets.keys }}
{{- end -}}
{{- end -}}
