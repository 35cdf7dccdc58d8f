{{/*
musiccorp.labels.standard: recommended labels of the umbrella's own objects.
Call with (dict "root" $ "component" "kafka").
*/}}
{{- define "musiccorp.labels.standard" -}}
app.kubernetes.io/name: musiccorp
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: musiccorp
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}
