{{/*
musiccorp-common.labels.selector: the immutable selector labels of one component
(web, consumer, migrate). Call with (dict "root" $ "component" "web").
*/}}
{{- define "musiccorp-common.labels.selector" -}}
app.kubernetes.io/name: {{ include "musiccorp-common.names.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end -}}
