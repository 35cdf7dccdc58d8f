{{/*
musiccorp-common.names.superuserSecret: the Secret with the admin superuser's credentials:
superuser.existingSecret when set, else "<fullname>-superuser" (the chart's own).
*/}}
{{- define "musiccorp-common.names.superuserSecret" -}}
{{- default (printf "%s-superuser" (include "musiccorp-common.names.fullname" .)) .Values.superuser.existingSecret -}}
{{- end -}}
