{{/*
musiccorp-common.labels.standard: recommended labels for every object; part-of=musiccorp is
what peers' NetworkPolicies select on. Call with (dict "root" $ "component" "web"); an empty
component labels objects shared by all components (ConfigMap, Secret, ...).
*/}}
{{- define "musiccorp-common.labels.standard" -}}
{{ include "musiccorp-common.labels.selector" . }}
app.kubernetes.io/part-of: musiccorp
app.kubernetes.io/version: {{ .root.Values.image.tag | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ include "musiccorp-common.names.chart" .root }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}
