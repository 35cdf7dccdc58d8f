{{/*
musiccorp-common.names.serviceaccount: the ServiceAccount the pods run as: serviceAccount.name,
else the fullname when the chart creates it, else "default".
*/}}
{{- define "musiccorp-common.names.serviceaccount" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "musiccorp-common.names.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}
