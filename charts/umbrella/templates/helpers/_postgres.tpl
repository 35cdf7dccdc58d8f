{{/*
The bundled postgres chart's names, as that chart makes them (musiccorp-common.names.postgres
applies its fullname rules to the postgres section): musiccorp.postgres.fullname (its Service and,
without auth.existingSecret, its Secret), musiccorp.postgres.secretName (the Secret holding the
superuser password) and musiccorp.postgres.secretKey (that password's key).
*/}}
{{- define "musiccorp.postgres.fullname" -}}
{{- include "musiccorp-common.names.postgres" (dict "release" .Release.Name "postgres" .Values.postgres) -}}
{{- end -}}

{{- define "musiccorp.postgres.secretName" -}}
{{- dig "auth" "existingSecret" "" .Values.postgres | default (include "musiccorp.postgres.fullname" .) -}}
{{- end -}}

{{- define "musiccorp.postgres.secretKey" -}}
{{- dig "auth" "secretKeys" "adminPasswordKey" "" .Values.postgres | default "postgres-password" -}}
{{- end -}}

{{/*
musiccorp.validate.postgresHost: fail, naming the key, when the postgres chart (or the bundled
PostgreSQL, named and labelled the same way) is on and an
enabled service (with a DATABASE_URL of the chart's making) would connect to another host than
that chart's Service: a service chart cannot read postgres.nameOverride or fullnameOverride.
*/}}
{{- define "musiccorp.validate.postgresHost" -}}
{{- if or .Values.postgres.enabled .Values.bundled.postgres.enabled -}}
{{- $expected := include "musiccorp.postgres.fullname" . -}}
{{- range include "musiccorp.services.enabled" $ | fromJsonArray -}}
{{- $svc := include "musiccorp.services.values" (dict "root" $ "service" .) | fromYaml -}}
{{- $host := tpl $svc.database.host $ -}}
{{- if and (not $svc.secrets.existingSecret) (ne $host $expected) -}}
{{- fail (printf "the postgres chart's Service is %q but %s.database.host is %q (postgres.nameOverride/fullnameOverride are not visible to the services); set global.serviceDefaults.database.host to %q" $expected . $host $expected) -}}
{{- end -}}
{{- /* The chart labels its pods app.kubernetes.io/name: <nameOverride or "postgres">; the egress rule must select them. */ -}}
{{- $np := $svc.networkPolicy -}}
{{- $podName := $.Values.postgres.nameOverride | default "postgres" -}}
{{- if and $np.enabled (not $np.postgres.namespace) (ne (index $np.postgres.podLabels "app.kubernetes.io/name" | default "") $podName) -}}
{{- fail (printf "the postgres chart labels its pods app.kubernetes.io/name=%s but %s's NetworkPolicy selects %v; set global.serviceDefaults.networkPolicy.postgres.podLabels" $podName . $np.postgres.podLabels) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
