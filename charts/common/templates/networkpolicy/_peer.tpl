{{/*
musiccorp-common.networkpolicy.peer: one NetworkPolicy peer: pods with the given labels in the
given namespace (the release namespace when empty). Labels pass through tpl so values may say
"{{ .Release.Name }}". Call with (dict "root" $ "namespace" "" "podLabels" (dict ...)).
*/}}
{{- define "musiccorp-common.networkpolicy.peer" -}}
- namespaceSelector:
    matchLabels:
      kubernetes.io/metadata.name: {{ .namespace | default .root.Release.Namespace }}
  podSelector:
    matchLabels:
      {{- tpl (toYaml .podLabels) .root | nindent 6 }}
{{- end -}}
