{{/*
musiccorp-common.monitoring.prometheusrule: the service's alerts: 5xx ratio and p95 latency from
django-prometheus metrics (job = the Service name, as the ServiceMonitor sets it) and pods of its
Deployments not ready from kube-state-metrics (Job pods excluded through kube_pod_owner; with
the Deployments a service chart renders itself, loader.except's "deployments"); with a
consumer, its lag (musiccorp_consumer_lag, per topic and partition), dead-lettered messages
(musiccorp_events_dead_lettered_total), and the outbox relay (a thread of the consumer): parked
rows and the age of the oldest unsent row, selected by the PodMonitor's job "<fullname>-consumer",
plus the service's own consumer.alerts (order: stuck sagas). Thresholds come from
metrics.prometheusRule. Every alert has promtool unit tests in tests/charts/rules/<service>.yaml.
*/}}
{{- define "musiccorp-common.monitoring.prometheusrule" -}}
{{- $pr := .Values.metrics.prometheusRule -}}
{{- if include "musiccorp-common.monitoring.enabled" (dict "root" . "switch" $pr) -}}
{{- $job := include "musiccorp-common.names.fullname" . -}}
{{- $alert := include "musiccorp-common.names.name" . | title | replace "-" "" -}}
{{- $sel := printf "job=%q, namespace=%q" $job .Release.Namespace -}}
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: {{ $job }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "musiccorp-common.labels.standard" (dict "root" .) | nindent 4 }}
    {{- with $pr.labels }}
    {{- tpl (toYaml .) $ | nindent 4 }}
    {{- end }}
spec:
  groups:
    - name: {{ $job }}.rules
      rules:
        - alert: {{ $alert }}HighErrorRate
          expr: |
            sum(rate(django_http_responses_total_by_status_view_method_total{ {{- $sel }}, status=~"5.."}[5m]))
              / clamp_min(sum(rate(django_http_responses_total_by_status_view_method_total{ {{- $sel }}}[5m])), 1e-9)
              > {{ $pr.errorRateThreshold }}
          for: {{ $pr.for }}
          labels:
            severity: critical
            service: {{ include "musiccorp-common.names.name" . }}
          annotations:
            summary: {{ printf "%s: more than %v of requests fail with 5xx" $job $pr.errorRateThreshold | quote }}
        - alert: {{ $alert }}HighLatency
          expr: |
            histogram_quantile(0.95, sum by (le) (rate(django_http_requests_latency_seconds_by_view_method_bucket{ {{- $sel }}}[5m])))
              > {{ $pr.latencyP95Seconds }}
          for: {{ $pr.for }}
          labels:
            severity: warning
            service: {{ include "musiccorp-common.names.name" . }}
          annotations:
            summary: {{ printf "%s: p95 latency above %vs" $job $pr.latencyP95Seconds | quote }}
        {{- /* Only the Deployments' pods (owned by one of their ReplicaSets, "<deployment>-<hash>"): a
        finished Job pod (migration, CronJob run) stays not ready until its TTL deletes it, so a name
        prefix alone alerted on every install and upgrade (issue 11). The Deployments: <fullname>,
        <fullname>-consumer and those the chart adds (musiccorpChartDeployments, set by loader.except;
        order: -go). */}}
        {{- $owners := printf "(%s)?" (join "|" (concat (list "-consumer") (.musiccorpChartDeployments | default list))) }}
        - alert: {{ $alert }}PodNotReady
          expr: |
            sum by (pod) (
              kube_pod_status_ready{namespace={{ .Release.Namespace | quote }}, condition="false"}
                and on (namespace, pod)
              kube_pod_owner{namespace={{ .Release.Namespace | quote }}, owner_kind="ReplicaSet", owner_name=~{{ printf "%s%s-[a-z0-9]+" $job $owners | quote }}}
            ) > 0
          for: {{ $pr.for }}
          labels:
            severity: warning
            service: {{ include "musiccorp-common.names.name" . }}
          annotations:
            summary: {{ printf "%s: a pod has not been ready for %s" $job $pr.for | quote }}
            description: {{ `Pod {{ $labels.pod }} is not ready.` | quote }}
        {{- if .Values.consumer.enabled }}
        {{- $consumer := printf "job=%q, namespace=%q" (printf "%s-consumer" $job) .Release.Namespace }}
        - alert: {{ $alert }}ConsumerLagHigh
          expr: |
            max by (topic, partition) (musiccorp_consumer_lag{ {{- $consumer }}}) > {{ $pr.consumerLagThreshold }}
          for: {{ $pr.for }}
          labels:
            severity: warning
            service: {{ include "musiccorp-common.names.name" . }}
          annotations:
            summary: {{ printf "%s consumer: more than %v messages behind" $job $pr.consumerLagThreshold | quote }}
            description: {{ `Partition {{ $labels.topic }}/{{ $labels.partition }} is {{ $value }} messages behind.` | quote }}
        - alert: {{ $alert }}DeadLetterGrowth
          expr: |
            sum by (topic) (increase(musiccorp_events_dead_lettered_total{ {{- $consumer }}}[{{ $pr.deadLetterWindow }}])) > {{ $pr.deadLetterThreshold }}
          labels:
            severity: warning
            service: {{ include "musiccorp-common.names.name" . }}
          annotations:
            summary: {{ printf "%s consumer: messages sent to a dead-letter topic in the last %s" $job $pr.deadLetterWindow | quote }}
            description: {{ printf "%s%s" `{{ $value }} messages of {{ $labels.topic }} went to {{ $labels.topic }}.dlq. Runbook docs/runbooks/dlq.md: list them with ` (printf "kubectl exec deploy/%s-consumer -- python manage.py replay_dlq --dry-run, fix the cause, then replay them (same command without --dry-run)." $job) | quote }}
            runbook_url: docs/runbooks/dlq.md
        - alert: {{ $alert }}OutboxParked
          expr: |
            max(musiccorp_outbox_parked{ {{- $consumer }}}) > 0
          labels:
            severity: critical
            service: {{ include "musiccorp-common.names.name" . }}
          annotations:
            summary: {{ printf "%s: outbox events parked after repeated failed deliveries" $job | quote }}
            description: {{ `{{ $value }} outbox events are no longer retried; fix the cause, then unpark them (manage.py outbox --unpark --all). Runbook: docs/runbooks/outbox.md` | quote }}
            runbook_url: docs/runbooks/outbox.md
        - alert: {{ $alert }}OutboxStalled
          expr: |
            max(musiccorp_outbox_oldest_unsent_age_seconds{ {{- $consumer }}}) > {{ $pr.outboxUnsentAgeSeconds }}
          for: {{ $pr.outboxFor }}
          labels:
            severity: warning
            service: {{ include "musiccorp-common.names.name" . }}
          annotations:
            summary: {{ printf "%s: the oldest unsent outbox event is older than %vs" $job $pr.outboxUnsentAgeSeconds | quote }}
            description: {{ `The oldest unsent outbox event is {{ $value | humanizeDuration }} old: the relay is down, Kafka unreachable, or rows back off. Runbook: docs/runbooks/outbox.md` | quote }}
            runbook_url: docs/runbooks/outbox.md
        {{- range .Values.consumer.alerts }}
        - alert: {{ $alert }}{{ .alert }}
          expr: |
            {{ printf .expr $consumer }}
          for: {{ .for }}
          labels:
            severity: {{ .severity }}
            service: {{ include "musiccorp-common.names.name" $ }}
          annotations:
            summary: {{ printf "%s: %s" $job .summary | quote }}
            {{- with .description }}
            description: {{ . | quote }}
            {{- end }}
            runbook: {{ .runbook | quote }}
        {{- end }}
        {{- end }}
{{- end -}}
{{- end -}}
