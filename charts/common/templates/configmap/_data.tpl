{{/*
musiccorp-common.configmap.data: the non-secret env shared by every container of the service,
as ConfigMap data. Separate from the object so its checksum can annotate the pods.
Peer URLs: each entry of `peers` (name: port) becomes <NAME>_URL=http://<release>-<name>:<port>.
*/}}
{{- define "musiccorp-common.configmap.data" -}}
{{- $fullname := include "musiccorp-common.names.fullname" . -}}
{{- $hosts := list $fullname (printf "%s.%s.svc" $fullname .Release.Namespace) "localhost" "127.0.0.1" -}}
{{- $hosts = concat $hosts .Values.django.extraAllowedHosts -}}
{{- with .Values.django.gatewayHost }}{{ $hosts = append $hosts . }}{{ end -}}
SERVICE_NAME: {{ include "musiccorp-common.names.name" . | quote }}
DJANGO_SETTINGS_MODULE: {{ .Values.django.settingsModule | quote }}
DJANGO_ALLOWED_HOSTS: {{ join "," $hosts | quote }}
{{- with .Values.django.gatewayHost }}
DJANGO_CSRF_TRUSTED_ORIGINS: {{ printf "%s://%s" (ternary "https" "http" $.Values.django.secureHttps) . | quote }}
{{- end }}
DJANGO_SECURE_HTTPS: {{ .Values.django.secureHttps | toString | quote }}
DJANGO_TRUSTED_PROXIES: {{ join "," .Values.django.trustedProxies | quote }}
DJANGO_ADMIN_PATH: {{ .Values.django.adminPath | quote }}
EVENTS_RETENTION_DAYS: {{ .Values.prune.retentionDays | toString | quote }}
LOG_LEVEL: {{ .Values.django.logLevel | quote }}
KAFKA_BOOTSTRAP_SERVERS: {{ tpl .Values.kafka.bootstrapServers . | quote }}
KAFKA_SECURITY_PROTOCOL: {{ .Values.kafka.securityProtocol | quote }}
{{- if hasPrefix "SASL" .Values.kafka.securityProtocol }}
KAFKA_SASL_MECHANISM: {{ .Values.kafka.saslMechanism | quote }}
KAFKA_SASL_USERNAME: {{ tpl .Values.kafka.user . | quote }}
{{- end }}
PROMETHEUS_MULTIPROC_DIR: "/tmp/metrics"
OTEL_SERVICE_NAME: {{ include "musiccorp-common.names.name" . | quote }}
OTEL_RESOURCE_ATTRIBUTES: {{ printf "service.namespace=musiccorp,service.version=%s,deployment.environment=%s" (toString .Values.image.tag) .Values.otel.environment | quote }}
{{- /* "none" still creates spans, so trace ids propagate in headers even when nothing is exported */}}
OTEL_TRACES_EXPORTER: {{ ternary "otlp" "none" .Values.otel.enabled | quote }}
{{- if .Values.otel.enabled }}
OTEL_EXPORTER_OTLP_ENDPOINT: {{ tpl .Values.otel.endpoint . | quote }}
OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf"
OTEL_TRACES_SAMPLER: "parentbased_traceidratio"
OTEL_TRACES_SAMPLER_ARG: {{ .Values.otel.samplerRatio | toString | quote }}
{{- end }}
{{- range $peer, $port := .Values.peers }}
{{ printf "%s_URL" ($peer | upper | replace "-" "_") }}: {{ printf "http://%s:%v" (include "musiccorp-common.names.peer" (dict "root" $ "peer" $peer)) $port | quote }}
{{- end }}
{{- range $key, $value := .Values.extraEnv }}
{{ $key }}: {{ tpl (toString $value) $ | quote }}
{{- end }}
{{- end -}}
