{{/*
musiccorp-common.monitoring.enabled: "true" when a monitoring.coreos.com object may be rendered:
the switch is on and either the cluster serves the API or requireCRD is off (for `helm template`,
or an install that also brings the CRDs). Call with (dict "root" $ "switch" .Values.metrics.serviceMonitor).
*/}}
{{- define "musiccorp-common.monitoring.enabled" -}}
{{- if and .switch.enabled (or (not .switch.requireCRD) (.root.Capabilities.APIVersions.Has "monitoring.coreos.com/v1")) -}}
true
{{- end -}}
{{- end -}}
