{{/*
musiccorp.validate.bundled: fail, naming the keys, when the bundled infrastructure would clash
with the external charts or not fit one node:
  - the bundled PostgreSQL and the postgres chart, or the bundled Kafka and the Strimzi
    resources, both on (each pair would claim one Service name);
  - the bundled Kafka with kafka.replicationFactor other than 1 (it is one node);
  - gateway.api nginx with ingress-nginx still installed, or with services whose NetworkPolicy
    admits only ingress-nginx's pods (the library's default gateway peer): set
    global.serviceDefaults.networkPolicy.gateway.podLabels to the gateway pods' labels, as
    values-bundled.yaml does.
*/}}
{{- define "musiccorp.validate.bundled" -}}
{{- if and .Values.bundled.postgres.enabled .Values.postgres.enabled -}}
{{- fail "bundled.postgres.enabled and postgres.enabled are both true: set postgres.enabled=false (the bundled StatefulSet takes the postgres chart's Service name)" -}}
{{- end -}}
{{- if and .Values.bundled.kafka.enabled .Values.kafka.enabled -}}
{{- fail "bundled.kafka.enabled and kafka.enabled are both true: set kafka.enabled=false (and strimzi-kafka-operator.enabled=false); the bundled StatefulSet takes the Strimzi bootstrap Service name" -}}
{{- end -}}
{{- if and .Values.bundled.kafka.enabled (ne (int .Values.kafka.replicationFactor) 1) -}}
{{- fail (printf "kafka.replicationFactor is %d but the bundled Kafka is one node: set kafka.replicationFactor=1" (int .Values.kafka.replicationFactor)) -}}
{{- end -}}
{{- if and .Values.gateway.enabled (eq .Values.gateway.api "nginx") -}}
{{- if (index .Values "ingress-nginx").enabled -}}
{{- fail "gateway.api is nginx but ingress-nginx.enabled is true: set ingress-nginx.enabled=false (the chart's own nginx serves the routes)" -}}
{{- end -}}
{{- range include "musiccorp.services.enabled" $ | fromJsonArray -}}
{{- $np := (include "musiccorp.services.values" (dict "root" $ "service" .) | fromYaml).networkPolicy -}}
{{- if and $np.enabled (ne (index $np.gateway.podLabels "app.kubernetes.io/name" | default "") "gateway") -}}
{{- fail (printf "gateway.api is nginx but %s's NetworkPolicy admits %v, not the gateway pods: set global.serviceDefaults.networkPolicy.gateway.podLabels to {app.kubernetes.io/name: gateway, app.kubernetes.io/instance: \"{{ .Release.Name }}\"}" . $np.gateway.podLabels) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
