{{/*
musiccorp-common.secret.superuser: the admin superuser's credentials (DJANGO_SUPERUSER_USERNAME,
_EMAIL, _PASSWORD), when superuser.enabled and no superuser.existingSecret. The password is
generated once and read back with `lookup`, so upgrades keep it; the migration Job runs
`manage.py ensure_superuser` with it after `migrate`. NOTES.txt prints how to read it.
*/}}
{{- define "musiccorp-common.secret.superuser" -}}
{{- if and .Values.superuser.enabled (not .Values.superuser.existingSecret) -}}
{{- $name := include "musiccorp-common.names.superuserSecret" . -}}
{{- $live := lookup "v1" "Secret" .Release.Namespace $name -}}
{{- $password := "" -}}
{{- if and $live $live.data (hasKey $live.data "DJANGO_SUPERUSER_PASSWORD") -}}
{{- $password = index $live.data "DJANGO_SUPERUSER_PASSWORD" | b64dec -}}
{{- else -}}
{{- $password = randAlphaNum 32 -}}
{{- end -}}
apiVersion: v1
kind: Secret
metadata:
  name: {{ $name }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "musiccorp-common.labels.standard" (dict "root" .) | nindent 4 }}
  annotations:
    # Kept on uninstall too: the password is the only way into the admin of the kept database.
    helm.sh/resource-policy: keep
type: Opaque
data:
  DJANGO_SUPERUSER_USERNAME: {{ .Values.superuser.username | b64enc | quote }}
  DJANGO_SUPERUSER_EMAIL: {{ .Values.superuser.email | b64enc | quote }}
  DJANGO_SUPERUSER_PASSWORD: {{ $password | b64enc | quote }}
{{- end -}}
{{- end -}}
