{{/*
musiccorp-common.names.serviceTokenSecret: the Secret holding a service's credential for calls
to its peers, "<release>-<service>-service-token". Call with (dict "root" $ "service" "order").
*/}}
{{- define "musiccorp-common.names.serviceTokenSecret" -}}
{{- printf "%s-service-token" (include "musiccorp-common.names.peer" (dict "root" .root "peer" .service)) -}}
{{- end -}}
