{{/*
musiccorp-common.pod.volumes: writable scratch space for a read-only root filesystem: /tmp, and
/tmp/metrics for prometheus_client's multiprocess files (its own volume so it starts empty,
which the multiprocess mode requires).
*/}}
{{- define "musiccorp-common.pod.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpVolume.sizeLimit }}
- name: metrics
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}
