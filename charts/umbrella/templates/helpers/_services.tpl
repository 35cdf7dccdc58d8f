{{/*
musiccorp.services.enabled: JSON list of the MusicCorp services that are both a dependency of
this chart (a subchart exists) and enabled, so routes and database bootstrap skip services that
are not written yet. Use with fromJsonArray.
*/}}
{{- define "musiccorp.services.enabled" -}}
{{- $known := list "catalog" "inventory" "order" "payment" "shipping" -}}
{{- $out := list -}}
{{- range .Chart.Dependencies -}}
{{- $values := index $.Values .Name | default dict -}}
{{- if and (has .Name $known) $values.enabled -}}
{{- $out = append $out .Name -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
musiccorp.routes.enabled: JSON list of the gateway routes' `service` names that have something
to route to: the enabled services, and a route with `implements` (order-go) while that service
is enabled and its `implementations` value has the route's `implementation`. Use with fromJsonArray.
*/}}
{{- define "musiccorp.routes.enabled" -}}
{{- $services := include "musiccorp.services.enabled" . | fromJsonArray -}}
{{- $out := list -}}
{{- range .Values.gateway.routes -}}
{{- if .implements -}}
{{- $impls := (index $.Values .implements | default dict).implementations | default (list "python") -}}
{{- if and (has .implements $services) (has .implementation $impls) -}}
{{- $out = append $out .service -}}
{{- end -}}
{{- else if has .service $services -}}
{{- $out = append $out .service -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
musiccorp.routes.podLabels: the labels of the pods behind a route (the gateway's egress): the
service's, or for a route with `implements` the implemented service's pods of that component
(order-go's pods are order's, component order-go). Call with (dict "root" $ "route" <route>).
*/}}
{{- define "musiccorp.routes.podLabels" -}}
app.kubernetes.io/name: {{ .route.implements | default .route.service }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- if .route.implements }}
app.kubernetes.io/component: {{ .route.service }}
{{- end }}
{{- end -}}
