{{/*
musiccorp-common.deployment.webContainer: the gunicorn container of the web Deployment. The
gunicorn config (musiccorp_common.gunicorn_conf) reads PORT, WEB_CONCURRENCY (workers) and
GUNICORN_GRACEFUL_TIMEOUT; these live here, not in the ConfigMap, so tuning them rolls only web.
*/}}
{{- define "musiccorp-common.deployment.webContainer" -}}
- name: web
  image: {{ include "musiccorp-common.image.ref" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command: ["gunicorn", "-c", "python:musiccorp_common.gunicorn_conf", "config.wsgi"]
  ports:
    - name: http
      containerPort: {{ .Values.service.port }}
      protocol: TCP
  envFrom:
    {{- include "musiccorp-common.pod.envFrom" . | nindent 4 }}
  env:
    {{- include "musiccorp-common.pod.env" . | nindent 4 }}
    - name: PORT
      value: {{ .Values.service.port | quote }}
    - name: WEB_CONCURRENCY
      value: {{ .Values.gunicorn.workers | quote }}
    - name: GUNICORN_GRACEFUL_TIMEOUT
      value: {{ .Values.gunicorn.gracefulTimeout | quote }}
  {{- include "musiccorp-common.pod.httpProbes" (dict "root" . "port" "http") | nindent 2 }}
  lifecycle:
    preStop:
      sleep:
        seconds: {{ .Values.lifecycle.preStopSleepSeconds }}
  resources:
    {{- toYaml .Values.resources | nindent 4 }}
  securityContext:
    {{- include "musiccorp-common.pod.containerSecurityContext" . | nindent 4 }}
  volumeMounts:
    {{- include "musiccorp-common.pod.volumeMounts" . | nindent 4 }}
{{- end -}}
