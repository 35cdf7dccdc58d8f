{{/*
musiccorp-common.image.ref: "<registry>/<repository>:<tag>"; global.imageRegistry wins so the
umbrella (or kind) can point every service at one registry. Validated by
musiccorp-common.validate.image before use.
*/}}
{{- define "musiccorp-common.image.ref" -}}
{{- $registry := .Values.image.registry -}}
{{- with .Values.global -}}{{- if .imageRegistry -}}{{- $registry = .imageRegistry -}}{{- end -}}{{- end -}}
{{- $repo := .Values.image.repository -}}
{{- if $registry -}}{{- $repo = printf "%s/%s" $registry $repo -}}{{- end -}}
{{- printf "%s:%s" $repo (toString .Values.image.tag) -}}
{{- end -}}
