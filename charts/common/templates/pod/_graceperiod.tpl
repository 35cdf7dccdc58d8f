{{/*
musiccorp-common.pod.gracePeriod: terminationGracePeriodSeconds = preStop sleep + gunicorn's
graceful timeout + a margin. The grace period starts with the preStop hook, so gunicorn must get
its whole graceful timeout after the sleep, or the kubelet SIGKILLs in-flight requests.
*/}}
{{- define "musiccorp-common.pod.gracePeriod" -}}
{{- add (int .Values.lifecycle.preStopSleepSeconds) (int .Values.gunicorn.gracefulTimeout) (int .Values.lifecycle.terminationMarginSeconds) -}}
{{- end -}}
