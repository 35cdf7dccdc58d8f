{{/*
musiccorp.gateway.parentRef: the parentRefs entry of every HTTPRoute: the rendered Gateway, or
gateway.gatewayApi.parentRef when createGateway is off (which then must name one).
*/}}
{{- define "musiccorp.gateway.parentRef" -}}
{{- $gw := .Values.gateway.gatewayApi -}}
{{- if $gw.createGateway -}}
- group: gateway.networking.k8s.io
  kind: Gateway
  name: {{ include "musiccorp.gateway.name" . }}
  sectionName: http
{{- else -}}
{{- if not $gw.parentRef.name -}}
{{- fail "gateway.gatewayApi.parentRef.name is required when gateway.gatewayApi.createGateway is false" -}}
{{- end -}}
- {{- toYaml (merge (deepCopy $gw.parentRef) (dict "group" "gateway.networking.k8s.io" "kind" "Gateway")) | nindent 2 }}
{{- end -}}
{{- end -}}
