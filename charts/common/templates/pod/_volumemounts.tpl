{{/*
musiccorp-common.pod.volumeMounts: mounts of musiccorp-common.pod.volumes; the metrics path is
the PROMETHEUS_MULTIPROC_DIR of the ConfigMap.
*/}}
{{- define "musiccorp-common.pod.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: metrics
  mountPath: /tmp/metrics
{{- end -}}
