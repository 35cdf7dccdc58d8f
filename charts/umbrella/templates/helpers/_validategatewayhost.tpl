{{/*
musiccorp.validate.gatewayHost: fail, naming the key, when gateway.host is set and an enabled
service's django.gatewayHost (its ALLOWED_HOSTS and CSRF origin) differs from it.
*/}}
{{- define "musiccorp.validate.gatewayHost" -}}
{{- $host := .Values.gateway.host -}}
{{- if and .Values.gateway.enabled $host -}}
{{- range include "musiccorp.services.enabled" $ | fromJsonArray -}}
{{- $svc := include "musiccorp.services.values" (dict "root" $ "service" .) | fromYaml -}}
{{- if ne $svc.django.gatewayHost $host -}}
{{- fail (printf "gateway.host is %q but %s.django.gatewayHost is %q: the service would answer 400 through the gateway; set global.serviceDefaults.django.gatewayHost to %q" $host . $svc.django.gatewayHost $host) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
