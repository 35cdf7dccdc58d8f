{{/*
musiccorp-common.names.secret: the Secret holding DATABASE_URL and DJANGO_SECRET_KEY:
secrets.existingSecret when set (created outside the chart), else the chart's own.
*/}}
{{- define "musiccorp-common.names.secret" -}}
{{- default (include "musiccorp-common.names.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}
