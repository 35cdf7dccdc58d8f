{{/*
musiccorp-common.values.defaults: the values every MusicCorp service shares, as YAML, documented
here once (CloudPirates `## @param` style). A service chart's values.yaml holds only what differs
(service.port, consumer.enabled, peers, networkPolicy.clients); musiccorp-common.values.init
merges it over these. Names follow the chart: image musiccorp/<chart>, database and role
musiccorp_<chart>, image tag = the chart's appVersion. Strings marked (tpl) are rendered later
with the release, so they are written here as literal "{{ ... }}" text.
Call with the chart's context (the umbrella passes (dict "Chart" (dict "Name" .. "AppVersion" ..))).
*/}}
{{- define "musiccorp-common.values.defaults" -}}
{{- $name := .Chart.Name -}}
## @section Common parameters
## @param enabled Install this service (read by the umbrella's dependency condition <service>.enabled)
enabled: true
## @param nameOverride Service short name (default: the chart name); used in labels and peer names
nameOverride: ""
## @param fullnameOverride Full object name (default: "<release>-<name>")
fullnameOverride: ""
## @param commonLabels Labels added to every object
commonLabels: {}

## @section Image
image:
  ## @param image.registry Image registry (empty: the runtime's default)
  registry: ""
  ## @param image.repository Image repository (default: musiccorp/<chart>)
  repository: {{ printf "musiccorp/%s" $name | quote }}
  ## @param image.tag Image tag, default the chart's appVersion; must be pinned (empty or "latest" fails the render)
  tag: {{ .Chart.AppVersion | default "" | toString | quote }}
  ## @param image.pullPolicy Image pull policy
  pullPolicy: IfNotPresent
## @param imagePullSecrets Secrets for pulling the image, e.g. [{name: regcred}]
imagePullSecrets: []

## @section Web (gunicorn) workload
## @param replicaCount Web replicas when autoscaling is off
replicaCount: 2
service:
  ## @param service.port Port of the Service and the container, per the contract (set by each service chart)
  port: null
gunicorn:
  ## @param gunicorn.workers gunicorn worker processes per pod (env WEB_CONCURRENCY)
  workers: 2
  ## @param gunicorn.gracefulTimeout Seconds gunicorn lets requests finish after SIGTERM (env GUNICORN_GRACEFUL_TIMEOUT)
  gracefulTimeout: 30
lifecycle:
  ## @param lifecycle.preStopSleepSeconds preStop sleep so endpoints drain before SIGTERM
  preStopSleepSeconds: 5
  ## @param lifecycle.terminationMarginSeconds Added to preStop + graceful timeout to give terminationGracePeriodSeconds
  terminationMarginSeconds: 5
rollingUpdate:
  ## @param rollingUpdate.maxSurge Extra pods during a rollout (maxUnavailable is always 0)
  maxSurge: 1
## @param resources Web container resources (requests and a memory limit; no CPU limit, to avoid throttling)
resources:
  requests:
    cpu: 100m
    memory: 192Mi
  limits:
    memory: 384Mi
probes:
  ## @param probes.timeoutSeconds Timeout of every probe
  timeoutSeconds: 2
  startup:
    ## @param probes.startup.periodSeconds Startup probe (/health) period
    periodSeconds: 2
    ## @param probes.startup.failureThreshold Startup probe failures before restart (period x threshold = allowed start time)
    failureThreshold: 60
  readiness:
    ## @param probes.readiness.periodSeconds Readiness probe (/health/ready) period
    periodSeconds: 5
    ## @param probes.readiness.failureThreshold Readiness failures before the pod leaves the endpoints
    failureThreshold: 3
  liveness:
    ## @param probes.liveness.periodSeconds Liveness probe (/health/live) period
    periodSeconds: 10
    ## @param probes.liveness.failureThreshold Liveness failures before restart
    failureThreshold: 3
tmpVolume:
  ## @param tmpVolume.sizeLimit Size limit of the writable /tmp emptyDir
  sizeLimit: 256Mi
## @param podAnnotations Annotations added to every pod
podAnnotations: {}
## @param podLabels Labels added to every pod
podLabels: {}
## @param nodeSelector Node selector of every pod
nodeSelector: {}
## @param tolerations Tolerations of every pod
tolerations: []
## @param affinity Affinity of every pod
affinity: {}
topologySpread:
  ## @param topologySpread.enabled Spread the pods of a Deployment that may run more than one replica (replicas > 1, or an HPA) over topologySpread.topologyKey; preferred only (ScheduleAnyway by default), so a one-node cluster still runs them all
  enabled: true
  ## @param topologySpread.topologyKey Node label to spread over (kubernetes.io/hostname: nodes; topology.kubernetes.io/zone: zones)
  topologyKey: kubernetes.io/hostname
  ## @param topologySpread.maxSkew Largest allowed difference of pod counts between two nodes (or zones)
  maxSkew: 1
  ## @param topologySpread.whenUnsatisfiable ScheduleAnyway (prefer) or DoNotSchedule (require; pods stay Pending when the nodes are too few)
  whenUnsatisfiable: ScheduleAnyway

## @section Kafka consumer workload
consumer:
  ## @param consumer.enabled Run `python manage.py consume` in its own Deployment (set by each service chart)
  enabled: false
  ## @param consumer.replicaCount Consumer replicas when consumer.autoscaling is off. A group shares a topic's partitions among its members, so at most the topics' partition count (kafka.topicPartitions, 6) do work; the umbrella refuses more
  replicaCount: 1
  autoscaling:
    ## @param consumer.autoscaling.enabled Scale the consumer Deployment with a CPU-based HPA (replicaCount is then ignored): a backlog keeps the consumer busy, so CPU follows it
    enabled: false
    ## @param consumer.autoscaling.minReplicas HPA minimum consumer replicas
    minReplicas: 1
    ## @param consumer.autoscaling.maxReplicas HPA maximum consumer replicas: at most kafka.topicPartitions (6), more would idle
    maxReplicas: 6
    ## @param consumer.autoscaling.targetCPUUtilizationPercentage HPA CPU target, percent of requests
    targetCPUUtilizationPercentage: 70
  ## @param consumer.healthPort Port of the consumer's /health, /health/live, /health/ready and /metrics (env EVENTS_CONSUMER_HEALTH_PORT)
  healthPort: 8081
  ## @param consumer.alerts The service's own alerts on its consumer's /metrics, added to its PrometheusRule: a list of {alert (name after the service's prefix), expr (PromQL, `%s` stands for the consumer's job/namespace selector), for, severity, summary, description, runbook (a path in the repository)}
  alerts: []
  ## @param consumer.resources Consumer container resources
  resources:
    requests:
      cpu: 50m
      memory: 128Mi
    limits:
      memory: 256Mi

## @section Database migrations
migrations:
  ## @param migrations.enabled Run the per-revision migration Job and make pods wait for it
  enabled: true
  ## @param migrations.backoffLimit Job retries (covers a database that is still starting)
  backoffLimit: 6
  ## @param migrations.activeDeadlineSeconds Upper bound on the whole Job
  activeDeadlineSeconds: 900
  ## @param migrations.ttlSecondsAfterFinished Delete the finished Job and its pod this many seconds after it ended (a day: time to read a failed migration's log; 0 deletes it at once, and `helm --wait-for-jobs` may then wait in vain for a Job already gone); the next upgrade deletes it anyway
  ttlSecondsAfterFinished: 86400
  ## @param migrations.waitIntervalSeconds Seconds between `migrate --check` attempts of the init container
  waitIntervalSeconds: 3
  ## @param migrations.resources Resources of the Job and of the wait-for-migrations init container
  resources:
    requests:
      cpu: 50m
      memory: 128Mi
    limits:
      memory: 256Mi

## @section Django and connections
django:
  ## @param django.settingsModule DJANGO_SETTINGS_MODULE
  settingsModule: config.settings
  ## @param django.extraAllowedHosts Host names added to DJANGO_ALLOWED_HOSTS (the Service names and localhost are always there)
  extraAllowedHosts: []
  ## @param django.logLevel LOG_LEVEL
  logLevel: INFO
  ## @param django.gatewayHost Host clients use through the gateway (the umbrella's gateway.host; set it in global.serviceDefaults): added to DJANGO_ALLOWED_HOSTS, and its origin (https:// with secureHttps, http:// otherwise) to DJANGO_CSRF_TRUSTED_ORIGINS
  gatewayHost: ""
  ## @param django.secureHttps DJANGO_SECURE_HTTPS: clients reach the gateway over HTTPS, so HSTS, secure cookies and an HTTPS redirect of gateway requests (in-cluster calls and probes are not redirected)
  secureHttps: false
  ## @param django.trustedProxies DJANGO_TRUSTED_PROXIES: CIDRs whose X-Forwarded-* headers are believed (the gateway's pods: set the cluster's pod CIDR, or narrower); from any other address they are dropped
  trustedProxies:
    - 10.0.0.0/8
  ## @param django.adminPath DJANGO_ADMIN_PATH: path of the Django admin on the service (the gateway routes <prefix>/admin/, so change both together)
  adminPath: admin/
## @section Retention of event rows
prune:
  ## @param prune.enabled Render the CronJob that runs `manage.py prune_events`
  enabled: true
  ## @param prune.schedule Cron schedule of the prune CronJob
  schedule: "17 3 * * *"
  ## @param prune.retentionDays EVENTS_RETENTION_DAYS: processed-event and sent outbox rows older than this many days are deleted
  retentionDays: 7
  ## @param prune.activeDeadlineSeconds Upper bound on one run
  activeDeadlineSeconds: 600
  ## @param prune.ttlSecondsAfterFinished Delete a finished Job after this many seconds
  ttlSecondsAfterFinished: 86400
  ## @param prune.resources Resources of the prune container
  resources:
    requests:
      cpu: 50m
      memory: 128Mi
    limits:
      memory: 256Mi
## @section Periodic commands
## @param periodic The service's periodic management commands, one CronJob `<fullname>-<name>` each: name -> {enabled, schedule, command (the `manage.py` arguments, a list), activeDeadlineSeconds, ttlSecondsAfterFinished, resources}; declared by the service charts (inventory: release-expired-reservations, order: expire-orders)
periodic: {}
database:
  ## @param database.host PostgreSQL host (tpl); by default the postgres chart's Service in this release (its naming rules: the release name alone when it contains "postgres")
  host: {{ "{{ include \"musiccorp-common.names.postgres\" (dict \"release\" .Release.Name) }}" | quote }}
  ## @param database.port PostgreSQL port
  port: 5432
  ## @param database.name The service's own database (default: musiccorp_<chart>)
  name: {{ printf "musiccorp_%s" $name | quote }}
  ## @param database.user The service's own database role (default: musiccorp_<chart>)
  user: {{ printf "musiccorp_%s" $name | quote }}
  ## @param database.password Role password; empty: generated once and kept across upgrades
  password: ""
kafka:
  ## @param kafka.bootstrapServers KAFKA_BOOTSTRAP_SERVERS (tpl); the Strimzi bootstrap Service by default
  bootstrapServers: {{ "{{ .Release.Name }}-kafka-bootstrap:9092" | quote }}
  ## @param kafka.securityProtocol KAFKA_SECURITY_PROTOCOL: SASL_PLAINTEXT authenticates with SCRAM-SHA-512 as kafka.user (PLAINTEXT: no credentials, for an unauthenticated broker)
  securityProtocol: SASL_PLAINTEXT
  ## @param kafka.saslMechanism KAFKA_SASL_MECHANISM (the Strimzi KafkaUser's authentication type)
  saslMechanism: SCRAM-SHA-512
  ## @param kafka.user KafkaUser the umbrella renders for this service (tpl): KAFKA_SASL_USERNAME, and the Secret Strimzi writes (key `password`) read as KAFKA_SASL_PASSWORD
  user: {{ printf "{{ .Release.Name }}-kafka-%s" $name | quote }}
## @param peers Services this one calls, name: port; each becomes <NAME>_URL=http://<release>-<name>:<port> (set by each service chart)
peers: {}
otel:
  ## @param otel.enabled Export traces over OTLP (OTEL_TRACES_EXPORTER=none otherwise)
  enabled: false
  ## @param otel.endpoint OTEL_EXPORTER_OTLP_ENDPOINT (tpl); by default otel.collector's OTLP/HTTP receiver (musiccorp-common.otel.endpoint): Grafana Alloy's in this release
  endpoint: {{ "{{ include \"musiccorp-common.otel.endpoint\" . }}" | quote }}
  ## @param otel.samplerRatio Trace sampling ratio for root spans
  samplerRatio: 1
  ## @param otel.environment deployment.environment resource attribute
  environment: dev
  collector:
    ## @param otel.collector.service Service of the OTLP collector (tpl); empty: Grafana Alloy's in this release (the alloy chart's "<release>-alloy")
    service: ""
    ## @param otel.collector.namespace Namespace of the collector (empty: the release namespace)
    namespace: ""
    ## @param otel.collector.port Its OTLP/HTTP port (the port of the default endpoint and of the NetworkPolicy's egress rule)
    port: 4318
    ## @param otel.collector.podLabels Labels of the collector's pods (tpl), which the NetworkPolicy lets the service reach on otel.collector.port while otel.enabled
    podLabels:
      app.kubernetes.io/name: alloy
      app.kubernetes.io/instance: {{ "{{ .Release.Name }}" | quote }}
## @param extraEnv More non-secret env for the ConfigMap, NAME: value (values pass through tpl)
extraEnv: {}

## @section Secrets
secrets:
  ## @param secrets.existingSecret Secret made outside the chart holding DATABASE_URL and DJANGO_SECRET_KEY (no Secret is rendered then)
  existingSecret: ""
  ## @param secrets.djangoSecretKey Django secret key; empty: generated once and kept across upgrades
  djangoSecretKey: ""
  keys:
    ## @param secrets.keys.databaseUrl Key of DATABASE_URL in the Secret
    databaseUrl: DATABASE_URL
    ## @param secrets.keys.djangoSecretKey Key of DJANGO_SECRET_KEY in the Secret
    djangoSecretKey: DJANGO_SECRET_KEY
superuser:
  ## @param superuser.enabled Create the admin superuser: a Secret with a generated password (kept across upgrades), applied by the migration Job with `manage.py ensure_superuser`
  enabled: false
  ## @param superuser.username DJANGO_SUPERUSER_USERNAME
  username: admin
  ## @param superuser.email DJANGO_SUPERUSER_EMAIL
  email: admin@musiccorp.invalid
  ## @param superuser.existingSecret Secret made outside the chart with DJANGO_SUPERUSER_USERNAME, _EMAIL and _PASSWORD (no Secret is rendered then)
  existingSecret: ""

## @section Identity and availability
serviceAccount:
  ## @param serviceAccount.create Create the service's ServiceAccount (its token is never mounted)
  create: true
  ## @param serviceAccount.name ServiceAccount name (default: the fullname)
  name: ""
  ## @param serviceAccount.annotations ServiceAccount annotations
  annotations: {}
podDisruptionBudget:
  ## @param podDisruptionBudget.enabled Render a PodDisruptionBudget for the web pods
  enabled: true
  ## @param podDisruptionBudget.minAvailable minAvailable (set this or maxUnavailable)
  minAvailable: null
  ## @param podDisruptionBudget.maxUnavailable maxUnavailable (empty: 1)
  maxUnavailable: null
  ## @param podDisruptionBudget.unhealthyPodEvictionPolicy AlwaysAllow: a drain may evict pods that are not ready even when the budget is used up (they serve nothing; IfHealthyBudget lets one broken pod block every drain)
  unhealthyPodEvictionPolicy: AlwaysAllow
autoscaling:
  ## @param autoscaling.enabled Scale the web Deployment with an HPA (replicaCount is then ignored)
  enabled: false
  ## @param autoscaling.minReplicas HPA minimum replicas
  minReplicas: 2
  ## @param autoscaling.maxReplicas HPA maximum replicas
  maxReplicas: 6
  ## @param autoscaling.targetCPUUtilizationPercentage HPA CPU target, percent of requests
  targetCPUUtilizationPercentage: 70

## @section Network policy
networkPolicy:
  ## @param networkPolicy.enabled Render the service's NetworkPolicy (default deny plus the rules below)
  enabled: true
  gateway:
    ## @param networkPolicy.gateway.namespace Namespace of the gateway controller (empty: the release namespace)
    namespace: ""
    ## @param networkPolicy.gateway.podLabels Labels of the gateway controller pods (tpl)
    podLabels:
      app.kubernetes.io/name: ingress-nginx
  prometheus:
    ## @param networkPolicy.prometheus.namespace Namespace of Prometheus (empty: the release namespace)
    namespace: ""
    ## @param networkPolicy.prometheus.podLabels Labels of the Prometheus pods (tpl)
    podLabels:
      app.kubernetes.io/name: prometheus
  ## @param networkPolicy.clients MusicCorp services allowed to call this one (set by each service chart)
  clients: []
  dns:
    ## @param networkPolicy.dns.namespace Namespace of the cluster DNS
    namespace: kube-system
    ## @param networkPolicy.dns.podLabels Labels of the cluster DNS pods
    podLabels:
      k8s-app: kube-dns
  postgres:
    ## @param networkPolicy.postgres.namespace Namespace of PostgreSQL (empty: the release namespace)
    namespace: ""
    ## @param networkPolicy.postgres.podLabels Labels of the PostgreSQL pods (tpl)
    podLabels:
      app.kubernetes.io/name: postgres
      app.kubernetes.io/instance: {{ "{{ .Release.Name }}" | quote }}
  kafka:
    ## @param networkPolicy.kafka.namespace Namespace of the Kafka brokers (empty: the release namespace)
    namespace: ""
    ## @param networkPolicy.kafka.podLabels Labels of the Kafka broker pods (tpl)
    podLabels:
      strimzi.io/cluster: {{ "{{ .Release.Name }}" | quote }}
      strimzi.io/kind: Kafka
    ## @param networkPolicy.kafka.port Kafka listener port
    port: 9092
  ## @param networkPolicy.extraEgress More egress rules (NetworkPolicyEgressRule list); the OTLP collector's (otel.collector) is added while otel.enabled
  extraEgress: []

## @section Monitoring (Prometheus Operator)
metrics:
  serviceMonitor:
    ## @param metrics.serviceMonitor.enabled Render a ServiceMonitor for the web pods' /metrics
    enabled: true
    ## @param metrics.serviceMonitor.requireCRD Only when the cluster serves monitoring.coreos.com/v1 (.Capabilities)
    requireCRD: true
    ## @param metrics.serviceMonitor.interval Scrape interval
    interval: 30s
    ## @param metrics.serviceMonitor.scrapeTimeout Scrape timeout
    scrapeTimeout: 10s
    ## @param metrics.serviceMonitor.labels Extra labels (tpl); release=<release> is what kube-prometheus-stack selects by default
    labels:
      release: {{ "{{ .Release.Name }}" | quote }}
  podMonitor:
    ## @param metrics.podMonitor.enabled Render a PodMonitor for the consumer's /metrics (when consumer.enabled)
    enabled: true
    ## @param metrics.podMonitor.requireCRD Only when the cluster serves monitoring.coreos.com/v1 (.Capabilities)
    requireCRD: true
    ## @param metrics.podMonitor.interval Scrape interval
    interval: 30s
    ## @param metrics.podMonitor.scrapeTimeout Scrape timeout
    scrapeTimeout: 10s
    ## @param metrics.podMonitor.labels Extra labels (tpl), as for the ServiceMonitor
    labels:
      release: {{ "{{ .Release.Name }}" | quote }}
  prometheusRule:
    ## @param metrics.prometheusRule.enabled Render the service's PrometheusRule (error rate, latency, pod not ready; consumer lag and DLQ with a consumer)
    enabled: true
    ## @param metrics.prometheusRule.requireCRD Only when the cluster serves monitoring.coreos.com/v1 (.Capabilities)
    requireCRD: true
    ## @param metrics.prometheusRule.errorRateThreshold Alert when the 5xx ratio exceeds this (0-1)
    errorRateThreshold: 0.05
    ## @param metrics.prometheusRule.latencyP95Seconds Alert when p95 latency exceeds this many seconds
    latencyP95Seconds: 0.5
    ## @param metrics.prometheusRule.consumerLagThreshold Alert when a partition's lag (musiccorp_consumer_lag) stays above this many messages
    consumerLagThreshold: 1000
    ## @param metrics.prometheusRule.deadLetterWindow Window over which dead-lettered messages are counted
    deadLetterWindow: 15m
    ## @param metrics.prometheusRule.deadLetterThreshold Alert when more than this many messages went to a DLQ within deadLetterWindow
    deadLetterThreshold: 0
    ## @param metrics.prometheusRule.outboxUnsentAgeSeconds Alert when the oldest unsent outbox event (musiccorp_outbox_oldest_unsent_age_seconds) is older than this many seconds
    outboxUnsentAgeSeconds: 300
    ## @param metrics.prometheusRule.outboxFor How long the oldest unsent event must stay too old before alerting
    outboxFor: 5m
    ## @param metrics.prometheusRule.for How long a condition must hold before alerting
    for: 10m
    ## @param metrics.prometheusRule.labels Extra labels (tpl), as for the ServiceMonitor
    labels:
      release: {{ "{{ .Release.Name }}" | quote }}
{{- end -}}
