{{/*
musiccorp-common.pdb.web: keeps voluntary disruptions (node drains) from taking all web pods at
once. Defaults to maxUnavailable 1 rather than minAvailable 1, which would block every drain of a
single-replica dev install. unhealthyPodEvictionPolicy AlwaysAllow (the default,
IfHealthyBudget, refuses to evict a pod that is not ready while the budget is used up): a
crash-looping or never-ready pod serves nothing, so evicting it costs no availability, and with
the default one broken pod of a one-replica install blocks every node drain (issue 11).
*/}}
{{- define "musiccorp-common.pdb.web" -}}
{{- if .Values.podDisruptionBudget.enabled -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "musiccorp-common.names.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "musiccorp-common.labels.standard" (dict "root" . "component" "web") | nindent 4 }}
spec:
  {{- /* null means unset; 0 is a value (maxUnavailable 0: no voluntary eviction at all) */}}
  {{- $pdb := .Values.podDisruptionBudget }}
  {{- if not (kindIs "invalid" $pdb.minAvailable) }}
  minAvailable: {{ $pdb.minAvailable }}
  {{- else }}
  maxUnavailable: {{ ternary 1 $pdb.maxUnavailable (kindIs "invalid" $pdb.maxUnavailable) }}
  {{- end }}
  unhealthyPodEvictionPolicy: {{ .Values.podDisruptionBudget.unhealthyPodEvictionPolicy }}
  selector:
    matchLabels:
      {{- include "musiccorp-common.labels.selector" (dict "root" . "component" "web") | nindent 6 }}
{{- end -}}
{{- end -}}
