{{/*
musiccorp-common.pod.env: env every container gets: the secret keys (mapped from
secrets.keys so an existingSecret may use its own key names), the Kafka password from the
service's KafkaUser Secret when SASL is on, and the pod's identity from the
downward API (POD_IP is appended to ALLOWED_HOSTS by the settings, because kubelet-less
scrapers such as Prometheus send the pod IP as Host).
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
      fieldPath: metadata.name
- name: POD_IP
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
{{- end -}}
