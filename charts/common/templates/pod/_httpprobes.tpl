{{/*
musiccorp-common.pod.httpProbes: startup (/health), readiness (/health/ready, checks the
database) and liveness (/health/live, process only, so a database outage does not restart every
pod). Host is fixed because Django's ALLOWED_HOSTS would reject the pod IP the kubelet sends.
Call with (dict "root" $ "port" "http").
*/}}
{{- define "musiccorp-common.pod.httpProbes" -}}
{{- $p := .root.Values.probes -}}
startupProbe:
  httpGet: {path: /health, port: {{ .port }}, httpHeaders: [{name: Host, value: localhost}]}
  periodSeconds: {{ $p.startup.periodSeconds }}
  failureThreshold: {{ $p.startup.failureThreshold }}
  timeoutSeconds: {{ $p.timeoutSeconds }}
readinessProbe:
  httpGet: {path: /health/ready, port: {{ .port }}, httpHeaders: [{name: Host, value: localhost}]}
  periodSeconds: {{ $p.readiness.periodSeconds }}
  failureThreshold: {{ $p.readiness.failureThreshold }}
  timeoutSeconds: {{ $p.timeoutSeconds }}
livenessProbe:
  httpGet: {path: /health/live, port: {{ .port }}, httpHeaders: [{name: Host, value: localhost}]}
  periodSeconds: {{ $p.liveness.periodSeconds }}
  failureThreshold: {{ $p.liveness.failureThreshold }}
  timeoutSeconds: {{ $p.timeoutSeconds }}
{{- end -}}
