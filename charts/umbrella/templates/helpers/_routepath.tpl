{{/*
musiccorp.gateway.routePath: the ingress-nginx regex of one route. $2 is what the service sees;
the negative lookahead keeps /metrics (and /admin, unless the route is an admin route) out of
the gateway, per the contract. Call with a route {prefix, service, port, admin}.
*/}}
{{- define "musiccorp.gateway.routePath" -}}
{{- $blocked := ternary "metrics" "metrics|admin" (eq (toString .admin) "true") -}}
{{- printf "%s(/|$)((?!%s).*)" .prefix $blocked -}}
{{- end -}}
