{{/*
musiccorp.services.enabled: JSON list of the MusicCorp services that are both a dependency of
this chart (a subchart exists) and enabled, so routes and database bootstrap skip services that
are not written yet. Use with fromJsonArray.
*/}}
{{- define "musiccorp.services.enabled" -}}
{{- $known := list "catalog" "inventory" "order" "payment" "shipping" -}}
{{- $out := list -}}
{{- range .Chart.Dependencies -}}
{{- $values := index $.Values .Name | default dict -}}
{{- if and (has .Name $known) $values.enabled -}}
{{- $out = append $out .Name -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}
