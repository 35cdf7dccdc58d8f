{{/*
musiccorp-common.pod.env: env every container gets: the secret keys (mapped from
secrets.keys so an existingSecret may use its own key names), the Kafka password from the
service's KafkaUser Secret when SASL is on, and the pod's identity from the
downward API (POD_IP is appended to ALLOWED_HOSTS by the settings, because kubelet-less
scrapers such as Prometheus send the pod IP as Host), the service's own credential
(SERVICE_TOKEN) and those of the services allowed to call it, networkPolicy.clients
(CALLER_TOKEN_<NAME>; optional, so a release without that caller still starts).
Each fieldRef spells out apiVersion: v1, which the API server would default: without it the
manifest differs from the live object and server-side apply by a second field manager (a GitOps
tool) conflicts on the field (issue 11).
*/}}
{{- define "musiccorp-common.pod.env" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "musiccorp-common.names.secret" . }}
      key: {{ .Values.secrets.keys.databaseUrl }}
- name: DJANGO_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "musiccorp-common.names.secret" . }}
      key: {{ .Values.secrets.keys.djangoSecretKey }}
- name: SERVICE_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "musiccorp-common.names.serviceTokenSecret" (dict "root" . "service" (include "musiccorp-common.names.name" .)) }}
      key: token
{{- range .Values.networkPolicy.clients }}
- name: {{ printf "CALLER_TOKEN_%s" (. | upper | replace "-" "_") }}
  valueFrom:
    secretKeyRef:
      name: {{ include "musiccorp-common.names.serviceTokenSecret" (dict "root" $ "service" .) }}
      key: token
      optional: true
{{- end }}
{{- if hasPrefix "SASL" .Values.kafka.securityProtocol }}
{{- /* Strimzi's User Operator writes this Secret (named like the KafkaUser) with key `password` */}}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ tpl .Values.kafka.user . }}
      key: password
{{- end }}
- name: POD_NAME
  valueFrom:
    fieldRef:
      apiVersion: v1
      fieldPath: metadata.name
- name: POD_IP
  valueFrom:
    fieldRef:
      apiVersion: v1
      fieldPath: status.podIP
{{- /* the consumer's health server listens on the pod IP only (probes and scrapes use it) */}}
- name: EVENTS_CONSUMER_HEALTH_HOST
  value: "$(POD_IP)"
{{- end -}}
