{{/*
musiccorp.gateway.routePath: the ingress-nginx regex of one route. $2 is what the service sees;
the negative lookahead keeps /metrics (and /admin, unless the route is an admin route) out of
the gateway, per the contract, and leaves the route's rate-limited paths to their own Ingresses
(musiccorp.gateway.limitPath), so a limited path matches exactly one location.
Call with a route {prefix, service, port, admin, limits}.
*/}}
{{- define "musiccorp.gateway.routePath" -}}
{{- $blocked := list "metrics" -}}
{{- if ne (toString .admin) "true" }}{{- $blocked = append $blocked "admin" }}{{- end -}}
{{- range .limits }}{{- $blocked = append $blocked (printf "%s/?$" (trimSuffix "/" (trimPrefix "/" .path))) }}{{- end -}}
{{- printf "%s(/|$)((?!%s).*)" .prefix (join "|" $blocked) -}}
{{- end -}}

{{/*
musiccorp.gateway.limitPath: the ingress-nginx regex of one rate-limited service path of a route,
`<prefix>(/)(<path>/?)$` (trailing slash optional), rewritten to /$2 like the route's own path.
Call with (dict "route" <route> "limit" <limit>).
*/}}
{{- define "musiccorp.gateway.limitPath" -}}
{{- printf "%s(/)(%s/?)$" .route.prefix (trimSuffix "/" (trimPrefix "/" .limit.path)) -}}
{{- end -}}
