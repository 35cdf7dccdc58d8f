{{/*
musiccorp-common.names.migratejob: "<fullname>-migrate-<revision>-<hash>", hash = the first 8 hex
of the sha256 of the Job's pod template. A Job's pod template is immutable, so the name must change
whenever the template does: the revision covers `helm upgrade` (every upgrade migrates once), the
hash covers renders where the revision is always 1 (`helm template` piped to kubectl or a GitOps
tool) and makes a new image or config visible in the name. Helm deletes the previous Job because
it is no longer in the manifest.
*/}}
{{- define "musiccorp-common.names.migratejob" -}}
{{- $hash := include "musiccorp-common.job.migratePodTemplate" . | sha256sum | trunc 8 -}}
{{- $suffix := printf "-migrate-%d-%s" (int .Release.Revision) $hash -}}
{{- printf "%s%s" (include "musiccorp-common.names.fullname" . | trunc (int (sub 63 (len $suffix))) | trimSuffix "-") $suffix -}}
{{- end -}}
