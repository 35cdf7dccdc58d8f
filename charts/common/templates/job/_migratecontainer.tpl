{{/*
musiccorp-common.job.migrateContainer: the container of the migration Job.
*/}}
{{- define "musiccorp-common.job.migrateContainer" -}}
- name: migrate
  image: {{ include "musiccorp-common.image.ref" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  {{- if .Values.superuser.enabled }}
  # Then the admin superuser from its Secret (created, or its password reset to the Secret's).
  command: ["sh", "-c", "python manage.py migrate --noinput && python manage.py ensure_superuser"]
  {{- else }}
  command: ["python", "manage.py", "migrate", "--noinput"]
  {{- end }}
  envFrom:
    {{- include "musiccorp-common.pod.envFrom" . | nindent 4 }}
    {{- if .Values.superuser.enabled }}
    - secretRef:
        name: {{ include "musiccorp-common.names.superuserSecret" . }}
    {{- end }}
  env:
    {{- include "musiccorp-common.pod.env" . | nindent 4 }}
  resources:
    {{- toYaml .Values.migrations.resources | nindent 4 }}
  securityContext:
    {{- include "musiccorp-common.pod.containerSecurityContext" . | nindent 4 }}
  volumeMounts:
    {{- include "musiccorp-common.pod.volumeMounts" . | nindent 4 }}
{{- end -}}
