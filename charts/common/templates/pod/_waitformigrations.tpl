{{/*
musiccorp-common.pod.waitForMigrations: init container that holds the app until the migration
Job of this revision has run (`migrate --check` fails while migrations are unapplied), so no pod
serves against an old schema. It also waits out a database that is still starting.
*/}}
{{- define "musiccorp-common.pod.waitForMigrations" -}}
- name: wait-for-migrations
  image: {{ include "musiccorp-common.image.ref" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command:
    - sh
    - -c
    - until python manage.py migrate --check >/dev/null; do echo "waiting for migrations"; sleep {{ .Values.migrations.waitIntervalSeconds }}; done
  envFrom:
    {{- include "musiccorp-common.pod.envFrom" . | nindent 4 }}
  env:
    {{- include "musiccorp-common.pod.env" . | nindent 4 }}
  securityContext:
    {{- include "musiccorp-common.pod.containerSecurityContext" . | nindent 4 }}
  resources:
    {{- toYaml .Values.migrations.resources | nindent 4 }}
  volumeMounts:
    {{- include "musiccorp-common.pod.volumeMounts" . | nindent 4 }}
{{- end -}}
