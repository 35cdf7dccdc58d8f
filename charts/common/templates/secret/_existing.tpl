{{/*
musiccorp-common.secret.existing: data of the chart's Secret as it exists in the cluster, or an
empty dict (always empty under `helm template`). Generated values are read back from it so an
upgrade keeps the database password and Django secret key.
*/}}
{{- define "musiccorp-common.secret.existing" -}}
{{- $live := lookup "v1" "Secret" .Release.Namespace (include "musiccorp-common.names.fullname" .) -}}
{{- if and $live $live.data -}}
{{- toYaml $live.data -}}
{{- else -}}
{{- "{}" -}}
{{- end -}}
{{- end -}}
