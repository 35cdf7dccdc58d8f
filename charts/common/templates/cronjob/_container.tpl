{{/*
musiccorp-common.cronjob.container: the container of a CronJob's pods, `python manage.py <command...>`
with the service's env and the workloads' security context. Arguments (dict): root, name,
command (manage.py arguments, a list), resources.
*/}}
{{- define "musiccorp-common.cronjob.container" -}}
{{- $root := .root -}}
- name: {{ .name }}
  image: {{ include "musiccorp-common.image.ref" $root }}
  imagePullPolicy: {{ $root.Values.image.pullPolicy }}
  command: {{ concat (list "python" "manage.py") .command | toJson }}
  envFrom:
    {{- include "musiccorp-common.pod.envFrom" $root | nindent 4 }}
  env:
    {{- include "musiccorp-common.pod.env" $root | nindent 4 }}
  resources:
    {{- toYaml .resources | nindent 4 }}
  securityContext:
    {{- include "musiccorp-common.pod.containerSecurityContext" $root | nindent 4 }}
  volumeMounts:
    {{- include "musiccorp-common.pod.volumeMounts" $root | nindent 4 }}
{{- end -}}
