{{/*
order-go (issue 13), the Go implementation of the order service, beside or instead of the Django
one: one Deployment (the API on go.port, with its consumer, outbox relay and expiry as
ORDER_GO_WORKERS says) and its Service. Its pods are the order service's to every other policy
(app.kubernetes.io/name: order, component order-go), so the peers, PostgreSQL and Kafka admit
them as they admit the Django pods; they read the same ConfigMap, Secret, service token and
KafkaUser password (musiccorp-common.pod.env), and join the Django consumer's group "order".
*/}}

{{- define "order.validate.implementations" -}}
{{- $impls := .Values.implementations -}}
{{- if not $impls -}}
{{- fail "order: implementations must name at least one of python, go" -}}
{{- end -}}
{{- range $impls -}}
{{- if not (has . (list "python" "go")) -}}
{{- fail (printf "order: implementations: %q is not one of python, go" .) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* order.go.image: the order-go image, with the Django image's registry and tag. */}}
{{- define "order.go.image" -}}
{{- $repo := .Values.go.image.repository -}}
{{- with .Values.image.registry -}}{{- $repo = printf "%s/%s" . $repo -}}{{- end -}}
{{- printf "%s:%s" $repo (toString .Values.image.tag) -}}
{{- end -}}


{{- define "order.go.container" -}}
- name: order-go
  image: {{ include "order.go.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  ports:
    - name: http
      containerPort: {{ .Values.go.port }}
      protocol: TCP
  envFrom:
    {{- include "musiccorp-common.pod.envFrom" . | nindent 4 }}
  env:
    {{- include "musiccorp-common.pod.env" . | nindent 4 }}
    - name: ORDER_GO_PORT
      value: {{ .Values.go.port | quote }}
    - name: ORDER_GO_BIND_HOST
      value: "0.0.0.0"
    - name: ORDER_GO_WORKERS
      value: {{ .Values.go.workers | quote }}
    - name: ORDER_GO_SHUTDOWN_SECONDS
      value: {{ .Values.go.shutdownSeconds | quote }}
    - name: ORDER_GO_DATABASE_MAX_CONNS
      value: {{ .Values.go.databaseMaxConns | quote }}
    {{- range $key, $value := .Values.go.extraEnv }}
    - name: {{ $key }}
      value: {{ tpl (toString $value) $ | quote }}
    {{- end }}
  {{- include "musiccorp-common.pod.httpProbes" (dict "root" . "port" "http") | nindent 2 }}
  lifecycle:
    preStop:
      sleep:
        seconds: {{ .Values.lifecycle.preStopSleepSeconds }}
  resources:
    {{- toYaml .Values.go.resources | nindent 4 }}
  securityContext:
    {{- include "musiccorp-common.pod.containerSecurityContext" . | nindent 4 }}
  volumeMounts:
    {{- include "musiccorp-common.pod.volumeMounts" . | nindent 4 }}
{{- end -}}

{{- define "order.go.deployment" -}}
{{- $labels := dict "root" . "component" "order-go" -}}
{{- $goRoot := dict -}}
{{- range $k, $v := . }}{{ $_ := set $goRoot $k $v }}{{ end -}}
{{- $vals := deepCopy .Values -}}
{{- $_ := set $vals.gunicorn "gracefulTimeout" .Values.go.shutdownSeconds -}}
{{- $_ := set $goRoot "Values" $vals -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "musiccorp-common.names.fullname" . }}-go
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "musiccorp-common.labels.standard" $labels | nindent 4 }}
spec:
  replicas: {{ .Values.go.replicaCount }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  selector:
    matchLabels:
      {{- include "musiccorp-common.labels.selector" $labels | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "musiccorp-common.labels.standard" $labels | nindent 8 }}
        {{- with .Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        {{- include "musiccorp-common.pod.annotations" . | nindent 8 }}
    spec:
      {{- include "musiccorp-common.pod.spec" (dict "root" $goRoot "component" "order-go" "replicas" .Values.go.replicaCount "waitForMigrations" true "containers" (include "order.go.container" .)) | nindent 6 }}
{{- end -}}

{{/* order.go.service: a Service in front of the order-go pods. Call with (dict "root" $ "name" <name> "port" <port>). */}}
{{- define "order.go.service" -}}
{{- $root := .root -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ .name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "musiccorp-common.labels.standard" (dict "root" $root "component" "order-go") | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "musiccorp-common.labels.selector" (dict "root" $root "component" "order-go") | nindent 4 }}
  ports:
    - name: http
      port: {{ .port }}
      targetPort: http
      protocol: TCP
{{- end -}}

{{/*
order.go.networkPolicy: what order-go's pods may receive on go.port: the gateway, the callers of
order (networkPolicy.clients) and Prometheus. The service's own policy (musiccorp-common.networkpolicy.app)
selects these pods too and already gives them their egress (DNS, PostgreSQL, Kafka, the peers);
policies add up, so this one only opens the port.
*/}}
{{- define "order.go.networkPolicy" -}}
{{- if .Values.networkPolicy.enabled -}}
{{- $np := .Values.networkPolicy -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "musiccorp-common.names.fullname" . }}-go
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "musiccorp-common.labels.standard" (dict "root" . "component" "order-go") | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "musiccorp-common.labels.selector" (dict "root" . "component" "order-go") | nindent 6 }}
  policyTypes: [Ingress]
  ingress:
    - from:
        {{- include "musiccorp-common.networkpolicy.peer" (dict "root" . "namespace" $np.gateway.namespace "podLabels" $np.gateway.podLabels) | nindent 8 }}
        {{- range $np.clients }}
        {{- include "musiccorp-common.networkpolicy.peer" (dict "root" $ "podLabels" (dict "app.kubernetes.io/name" . "app.kubernetes.io/instance" $.Release.Name)) | nindent 8 }}
        {{- end }}
        {{- include "musiccorp-common.networkpolicy.peer" (dict "root" . "namespace" $np.prometheus.namespace "podLabels" $np.prometheus.podLabels) | nindent 8 }}
      ports:
        - port: {{ .Values.go.port }}
          protocol: TCP
{{- end -}}
{{- end -}}

{{/*
order.go.monitors: Prometheus Operator scrapes of order-go's /metrics (container port "http", go.port).
One process serves the order API, its consumer and its relay, so, as the local stack's Prometheus
does with ORDER_IMPL=go and both (ci/stack/prometheus_config.py), its series go to the order service's two
jobs, split by name: "<fullname>" (the library ServiceMonitor's job, the Service name) keeps the
django_http_* and process series, "<fullname>-consumer" (the library PodMonitor's) the musiccorp_*
ones, so nothing is counted twice. The job is relabelled rather than the rules' selectors widened:
the rules (and their promtool tests) and the dashboards stay the library's, and they are the order
service's alerts whichever implementation serves it; with both, the two add up under one job
(the `pod` label, and `service` on the web job, tell them apart). Each object follows the switch,
interval and labels of the library monitor whose job it fills.
*/}}
{{- define "order.go.monitors" -}}
{{- $fullname := include "musiccorp-common.names.fullname" . -}}
{{- $labels := dict "root" . "component" "order-go" -}}
{{- $sm := .Values.metrics.serviceMonitor -}}
{{- if include "musiccorp-common.monitoring.enabled" (dict "root" . "switch" $sm) }}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ $fullname }}-go
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "musiccorp-common.labels.standard" $labels | nindent 4 }}
    {{- with $sm.labels }}
    {{- tpl (toYaml .) $ | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "musiccorp-common.labels.selector" $labels | nindent 6 }}
  namespaceSelector:
    matchNames:
      - {{ .Release.Namespace }}
  endpoints:
    - port: http
      path: /metrics
      interval: {{ $sm.interval }}
      scrapeTimeout: {{ $sm.scrapeTimeout }}
      relabelings:
        {{- /* With go alone <fullname> selects these pods too: one Service, one target per pod. */}}
        - action: keep
          sourceLabels: [__meta_kubernetes_service_name]
          regex: {{ $fullname }}-go
        - action: replace
          targetLabel: job
          replacement: {{ $fullname }}
      metricRelabelings:
        - action: drop
          sourceLabels: [__name__]
          regex: musiccorp_.*
{{- end }}
{{- $pm := .Values.metrics.podMonitor -}}
{{- if include "musiccorp-common.monitoring.enabled" (dict "root" . "switch" $pm) }}
---
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata:
  name: {{ $fullname }}-go
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "musiccorp-common.labels.standard" $labels | nindent 4 }}
    {{- with $pm.labels }}
    {{- tpl (toYaml .) $ | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "musiccorp-common.labels.selector" $labels | nindent 6 }}
  namespaceSelector:
    matchNames:
      - {{ .Release.Namespace }}
  podMetricsEndpoints:
    - port: http
      path: /metrics
      interval: {{ $pm.interval }}
      scrapeTimeout: {{ $pm.scrapeTimeout }}
      relabelings:
        - action: replace
          targetLabel: job
          replacement: {{ $fullname }}-consumer
      metricRelabelings:
        - action: keep
          sourceLabels: [__name__]
          regex: musiccorp_.*
{{- end }}
{{- end -}}
