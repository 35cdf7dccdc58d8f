{{/*
musiccorp-common.validate.values: checks the schema cannot express (cross-field rules), each
failure naming the key to fix.
*/}}
{{- define "musiccorp-common.validate.values" -}}
{{- include "musiccorp-common.validate.image" . -}}
{{- $svc := include "musiccorp-common.names.name" . -}}
{{- if not .Values.service.port -}}
{{- fail (printf "%s: service.port is required (the contract's port for this service)" $svc) -}}
{{- end -}}
{{- if and .Values.podDisruptionBudget.enabled .Values.podDisruptionBudget.minAvailable .Values.podDisruptionBudget.maxUnavailable -}}
{{- fail (printf "%s: set only one of podDisruptionBudget.minAvailable and podDisruptionBudget.maxUnavailable" $svc) -}}
{{- end -}}
{{- if and .Values.autoscaling.enabled (lt (int .Values.autoscaling.maxReplicas) (int .Values.autoscaling.minReplicas)) -}}
{{- fail (printf "%s: autoscaling.maxReplicas (%v) must be >= autoscaling.minReplicas (%v)" $svc .Values.autoscaling.maxReplicas .Values.autoscaling.minReplicas) -}}
{{- end -}}
{{- if and (not .Values.secrets.existingSecret) (not .Values.database.name) -}}
{{- fail (printf "%s: database.name is required unless secrets.existingSecret provides DATABASE_URL" $svc) -}}
{{- end -}}
{{- end -}}
