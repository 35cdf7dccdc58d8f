{{/*
musiccorp.validate.gatewayApi: in Gateway API mode, fail, naming the key, when ingress-nginx is
still installed (the schema says so too; this says it in words) or when an enabled service's
NetworkPolicy would admit only ingress-nginx's pods (the library's default peer) and so refuse
the Gateway's data plane. A subchart cannot read gateway.api, so the peer is set once in
global.serviceDefaults.networkPolicy.gateway (namespace and pod labels of the implementation's
proxies, e.g. envoy-gateway-system and app.kubernetes.io/name: envoy for Envoy Gateway).
*/}}
{{- define "musiccorp.validate.gatewayApi" -}}
{{- if and .Values.gateway.enabled (eq .Values.gateway.api "gatewayapi") -}}
{{- if (index .Values "ingress-nginx").enabled -}}
{{- fail "gateway.api is gatewayapi but ingress-nginx.enabled is true: set ingress-nginx.enabled=false (the Gateway's implementation serves the routes)" -}}
{{- end -}}
{{- range include "musiccorp.services.enabled" $ | fromJsonArray -}}
{{- $np := (include "musiccorp.services.values" (dict "root" $ "service" .) | fromYaml).networkPolicy -}}
{{- if and $np.enabled (eq (index $np.gateway.podLabels "app.kubernetes.io/name" | default "") "ingress-nginx") -}}
{{- fail (printf "gateway.api is gatewayapi but %s's NetworkPolicy admits ingress-nginx's pods: set global.serviceDefaults.networkPolicy.gateway.namespace and .podLabels to the Gateway implementation's data-plane pods" .) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
