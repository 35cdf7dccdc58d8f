{{/*
musiccorp-common.names.migratejob: "<fullname>-migrate-<revision>". A new name per release
revision because a Job's pod template is immutable, and Helm deletes the previous revision's
Job because it is no longer in the manifest.
*/}}
{{- define "musiccorp-common.names.migratejob" -}}
{{- $suffix := printf "-migrate-%d" (int .Release.Revision) -}}
{{- printf "%s%s" (include "musiccorp-common.names.fullname" . | trunc (int (sub 63 (len $suffix))) | trimSuffix "-") $suffix -}}
{{- end -}}
