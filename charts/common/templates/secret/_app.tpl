{{/*
musiccorp-common.secret.app: DATABASE_URL and DJANGO_SECRET_KEY, unless secrets.existingSecret
names a Secret made outside the chart (production: sealed/external secrets). Values not given
are generated once and then read back with `lookup`, so upgrades keep them. DATABASE_PASSWORD is
stored too: it is the value the database role must be created with.
*/}}
{{- define "musiccorp-common.secret.app" -}}
{{- if not .Values.secrets.existingSecret -}}
{{- $live := include "musiccorp-common.secret.existing" . | fromYaml -}}
{{- $db := .Values.database -}}
{{- $password := $db.password -}}
{{- if not $password -}}
{{- $password = ternary (index $live "DATABASE_PASSWORD" | default "" | b64dec) (randAlphaNum 32) (hasKey $live "DATABASE_PASSWORD") -}}
{{- end -}}
{{- $secretKey := .Values.secrets.djangoSecretKey -}}
{{- if not $secretKey -}}
{{- $secretKey = ternary (index $live "DJANGO_SECRET_KEY" | default "" | b64dec) (randAlphaNum 50) (hasKey $live "DJANGO_SECRET_KEY") -}}
{{- end -}}
{{- $host := tpl $db.host . -}}
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "musiccorp-common.names.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "musiccorp-common.labels.standard" (dict "root" .) | nindent 4 }}
type: Opaque
data:
  {{ .Values.secrets.keys.databaseUrl }}: {{ printf "postgres://%s:%s@%s:%v/%s" $db.user $password $host $db.port $db.name | b64enc | quote }}
  DATABASE_PASSWORD: {{ $password | b64enc | quote }}
  {{ .Values.secrets.keys.djangoSecretKey }}: {{ $secretKey | b64enc | quote }}
{{- end -}}
{{- end -}}
