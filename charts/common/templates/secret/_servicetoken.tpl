{{/*
musiccorp-common.secret.serviceToken: the service's own credential for calls to its peers
(key `token`, env SERVICE_TOKEN), always rendered by the chart: generated once and read back
with `lookup`, so upgrades keep it. The services this one calls read it from here as
CALLER_TOKEN_<NAME> (musiccorp-common.pod.env); why a token and not mTLS: docs/security.md.
*/}}
{{- define "musiccorp-common.secret.serviceToken" -}}
{{- $name := include "musiccorp-common.names.serviceTokenSecret" (dict "root" . "service" (include "musiccorp-common.names.name" .)) -}}
{{- $live := lookup "v1" "Secret" .Release.Namespace $name -}}
{{- $token := "" -}}
{{- if and $live $live.data (hasKey $live.data "token") -}}
{{- $token = index $live.data "token" | b64dec -}}
{{- else -}}
{{- $token = randAlphaNum 48 -}}
{{- end -}}
apiVersion: v1
kind: Secret
metadata:
  name: {{ $name }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "musiccorp-common.labels.standard" (dict "root" .) | nindent 4 }}
type: Opaque
data:
  token: {{ $token | b64enc | quote }}
{{- end -}}
