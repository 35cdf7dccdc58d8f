{{/*
musiccorp-common.validate.image: refuses an unpinned image, because "latest" (or no tag) makes
a rollout irreproducible and a rollback a no-op.
*/}}
{{- define "musiccorp-common.validate.image" -}}
{{- $svc := include "musiccorp-common.names.name" . -}}
{{- if not .Values.image.repository -}}
{{- fail (printf "%s: image.repository is required" $svc) -}}
{{- end -}}
{{- $tag := toString .Values.image.tag -}}
{{- if or (empty $tag) (eq $tag "<nil>") -}}
{{- fail (printf "%s: image.tag is empty; pin the image to a version (e.g. image.tag=1.4.2)" $svc) -}}
{{- end -}}
{{- if eq (regexReplaceAll "@.*$" $tag "") "latest" -}}
{{- fail (printf "%s: image.tag is \"latest\"; pin the image to a version (e.g. image.tag=1.4.2)" $svc) -}}
{{- end -}}
{{- end -}}
