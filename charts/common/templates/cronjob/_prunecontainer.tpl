{{/*
musiccorp-common.cronjob.pruneContainer: the container of the prune CronJob's pods.
*/}}
{{- define "musiccorp-common.cronjob.pruneContainer" -}}
- name: prune
  image: {{ include "musiccorp-common.image.ref" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command: ["python", "manage.py", "prune_events"]
  envFrom:
    {{- include "musiccorp-common.pod.envFrom" . | nindent 4 }}
  env:
    {{- include "musiccorp-common.pod.env" . | nindent 4 }}
  resources:
    {{- toYaml .Values.prune.resources | nindent 4 }}
  securityContext:
    {{- include "musiccorp-common.pod.containerSecurityContext" . | nindent 4 }}
  volumeMounts:
    {{- include "musiccorp-common.pod.volumeMounts" . | nindent 4 }}
{{- end -}}
