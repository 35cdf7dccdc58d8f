{{/*
musiccorp-common.pod.topologySpread: the topologySpreadConstraints of a Deployment's pods that may
run more than one replica, so one node's failure or drain does not take them all (issue 11).
ScheduleAnyway by default: a preference, so a one-node kind cluster still schedules every replica.
matchLabelKeys pod-template-hash counts only the pods of the same revision, so the old pods
of a rolling update do not push the new ones onto fewer nodes.
Call with (dict "root" $ "component" "web" "replicas" <the most replicas it may run>).
*/}}
{{- define "musiccorp-common.pod.topologySpread" -}}
{{- $spread := .root.Values.topologySpread -}}
{{- if and $spread.enabled (gt (int .replicas) 1) -}}
- maxSkew: {{ $spread.maxSkew }}
  topologyKey: {{ $spread.topologyKey }}
  whenUnsatisfiable: {{ $spread.whenUnsatisfiable }}
  labelSelector:
    matchLabels:
      {{- include "musiccorp-common.labels.selector" (dict "root" .root "component" .component) | nindent 6 }}
  matchLabelKeys:
    - pod-template-hash
{{- end -}}
{{- end -}}
