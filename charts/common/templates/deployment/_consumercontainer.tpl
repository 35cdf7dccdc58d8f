{{/*
musiccorp-common.deployment.consumerContainer: the consumer container. Health contract: the
consume command serves GET /health and /health/live (poll loop turned recently), /health/ready
(and the database answers) and /metrics on EVENTS_CONSUMER_HEALTH_PORT, a port no Service exposes. An HTTP probe was chosen over an
exec probe so no second Python interpreter starts every few seconds per pod.
*/}}
{{- define "musiccorp-common.deployment.consumerContainer" -}}
- name: consumer
  image: {{ include "musiccorp-common.image.ref" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command: ["python", "manage.py", "consume"]
  ports:
    - name: health
      containerPort: {{ .Values.consumer.healthPort }}
      protocol: TCP
  envFrom:
    {{- include "musiccorp-common.pod.envFrom" . | nindent 4 }}
  env:
    {{- include "musiccorp-common.pod.env" . | nindent 4 }}
    - name: EVENTS_CONSUMER_HEALTH_PORT
      value: {{ .Values.consumer.healthPort | quote }}
  {{- include "musiccorp-common.pod.httpProbes" (dict "root" . "port" "health") | nindent 2 }}
  resources:
    {{- toYaml .Values.consumer.resources | nindent 4 }}
  securityContext:
    {{- include "musiccorp-common.pod.containerSecurityContext" . | nindent 4 }}
  volumeMounts:
    {{- include "musiccorp-common.pod.volumeMounts" . | nindent 4 }}
{{- end -}}
