{{/*
musiccorp-common.names.postgres: the name the postgres chart (CloudPirates) gives its Service and
Secret, by Helm's usual fullname rules: fullnameOverride as is; otherwise "<release>-<name>" with
name = nameOverride or "postgres", or the release name alone when it already contains that name
(release "shop-postgres" -> "shop-postgres"); at most 63 characters.
Call with (dict "release" .Release.Name "postgres" <that chart's values; a service chart, which
cannot see them, passes none>).
*/}}
{{- define "musiccorp-common.names.postgres" -}}
{{- $pg := .postgres | default dict -}}
{{- if $pg.fullnameOverride -}}
{{- $pg.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := $pg.nameOverride | default "postgres" -}}
{{- if contains $name .release -}}
{{- .release | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .release $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}
