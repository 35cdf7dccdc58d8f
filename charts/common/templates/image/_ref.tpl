{{/*
musiccorp-common.image.ref: "<registry>/<repository>:<tag>". No global registry key: helm passes
`global` to the external charts too, and they read global.imageRegistry; the umbrella points every
MusicCorp service at one registry with global.serviceDefaults.image.registry instead. Validated by
musiccorp-common.validate.image before use.
*/}}
{{- define "musiccorp-common.image.ref" -}}
{{- $registry := .Values.image.registry -}}
{{- $repo := .Values.image.repository -}}
{{- if $registry -}}{{- $repo = printf "%s/%s" $registry $repo -}}{{- end -}}
{{- printf "%s:%s" $repo (toString .Values.image.tag) -}}
{{- end -}}
