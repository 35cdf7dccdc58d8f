"""The base Django settings of every MusicCorp service, read from the environment (12-factor).

A service's ``config/settings.py`` star-imports this module, calls
``globals().update(service_identity("<name>"))`` and adds its own apps. Every setting that
an operator can change is an environment variable read here, with the Django docs link
above it. Test runs set the same variables (see tox.ini).
"""

import os
from datetime import timedelta

import dj_database_url

from musiccorp_common.env import env_bool, env_float, env_int, env_list, env_prefixed, env_str
from musiccorp_common.logging import logging_config

# https://docs.djangoproject.com/en/5.2/ref/settings/#secret-key
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
# https://docs.djangoproject.com/en/5.2/ref/settings/#debug
DEBUG = env_bool("DJANGO_DEBUG", default=False)
# https://docs.djangoproject.com/en/5.2/ref/settings/#allowed-hosts
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
# Prometheus and the kubelet reach a pod by its IP, which arrives as the Host header; the chart
# passes it in POD_IP (downward API).
if env_str("POD_IP", default=""):
    ALLOWED_HOSTS.append(env_str("POD_IP"))
# https://docs.djangoproject.com/en/5.2/ref/settings/#csrf-trusted-origins
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
# Addresses (CIDRs) of the proxies whose X-Forwarded-* headers are believed: the gateway.
# musiccorp_common.proxies.TrustedProxyMiddleware drops those headers from anyone else, so
# SECURE_PROXY_SSL_HEADER, USE_X_FORWARDED_HOST and X-Forwarded-Prefix act only on them.
TRUSTED_PROXIES = env_list("DJANGO_TRUSTED_PROXIES", default=["127.0.0.1/32", "::1/128"])
# Behind the gateway the original scheme arrives in X-Forwarded-Proto; trust it only when the
# deployment says a proxy sets it (the gateway does, locally and in the cluster).
# https://docs.djangoproject.com/en/5.2/ref/settings/#secure-proxy-ssl-header
if env_bool("DJANGO_BEHIND_PROXY", default=True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
# Clients reach the shop over HTTPS at the gateway (production): HSTS, secure cookies and a
# redirect of plain-HTTP gateway requests. Off in the local stack, which is plain
# http://localhost:8080. In-cluster calls and probes to the pod are never redirected
# (musiccorp_common.proxies.GatewaySecurityMiddleware).
SECURE_HTTPS = env_bool("DJANGO_SECURE_HTTPS", default=False)
# https://docs.djangoproject.com/en/5.2/ref/settings/#secure-ssl-redirect
SECURE_SSL_REDIRECT = SECURE_HTTPS
# https://docs.djangoproject.com/en/5.2/ref/settings/#session-cookie-secure
SESSION_COOKIE_SECURE = SECURE_HTTPS
# https://docs.djangoproject.com/en/5.2/ref/settings/#csrf-cookie-secure
CSRF_COOKIE_SECURE = SECURE_HTTPS
# https://docs.djangoproject.com/en/5.2/ref/settings/#secure-hsts-seconds
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000) if SECURE_HTTPS else 0
# https://docs.djangoproject.com/en/5.2/ref/settings/#secure-hsts-include-subdomains
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# https://docs.djangoproject.com/en/5.2/ref/settings/#secure-hsts-preload
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
# The admin's path on the service (the gateway routes <prefix>/admin/ to it).
ADMIN_URL = env_str("DJANGO_ADMIN_PATH", default="admin/")
# Django's security.W001 looks for the SecurityMiddleware by its dotted name; ours is a
# subclass, and musiccorp_common.checks (musiccorp.W001) makes the same demand of it.
# https://docs.djangoproject.com/en/5.2/ref/settings/#silenced-system-checks
SILENCED_SYSTEM_CHECKS = ["security.W001"]

# https://docs.djangoproject.com/en/5.2/ref/settings/#databases
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# Django's own backend, not django_prometheus's wrapper: no alert rule or dashboard reads its
# django_db_* series, and it counted every query into the multiprocess files (issue 10).
DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("DATABASE_CONNECT_TIMEOUT", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
THIRD_PARTY_APPS = ["rest_framework", "drf_spectacular", "drf_spectacular_sidecar", "django_prometheus", "axes"]
SHARED_APPS = ["musiccorp_common"]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + SHARED_APPS

MIDDLEWARE = [
    # Before anything reads X-Forwarded-*: drops them unless the peer is a trusted proxy.
    "musiccorp_common.proxies.TrustedProxyMiddleware",
    # Without an exporter, the trace context the request's events carry (see telemetry).
    "musiccorp_common.telemetry.TraceContextMiddleware",
    "musiccorp_common.correlation.CorrelationIdMiddleware",
    "musiccorp_common.requestlog.RequestLogMiddleware",
    # Turns an unreachable database into 503 + Retry-After (sees what the view raised).
    "musiccorp_common.errors.DatabaseUnavailableMiddleware",
    "musiccorp_common.proxies.GatewaySecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Answers a locked-out admin login (django-axes); after authentication.
    "axes.middleware.AxesMiddleware",
    # Last, so it sees the resolved view: the django_http_* series the alerts and dashboards read.
    "musiccorp_common.request_metrics.RequestMetricsMiddleware",
]

# Admin login throttling (django-axes): failed logins are rows in the service's database, so
# every gunicorn worker and every pod sees the same count. Locked per (username, client IP);
# the client IP is the gateway's X-Forwarded-For entry, believed only from TRUSTED_PROXIES.
# https://docs.djangoproject.com/en/5.2/ref/settings/#authentication-backends
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# https://django-axes.readthedocs.io/en/latest/4_configuration.html
AXES_ENABLED = env_bool("DJANGO_LOGIN_THROTTLE", default=True)
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DJANGO_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "musiccorp_common.proxies.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# Static files are collected at build time and served by WhiteNoise from the app itself, so
# the admin works on the service port and through the gateway without a separate file server.
# https://docs.djangoproject.com/en/5.2/ref/settings/#static-root
STATIC_URL = "/static/"
# The image sets it to the directory collected at build time; the default serves development.
STATIC_ROOT = env_str("DJANGO_STATIC_ROOT", default="/tmp/musiccorp-static")  # noqa: S108
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "musiccorp_common.staticfiles.PrefixedStaticFilesStorage"},
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# https://www.django-rest-framework.org/api-guide/settings/
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["musiccorp_common.permissions.IsStaffOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "musiccorp_common.pagination.PageNumberPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "musiccorp_common.errors.json_exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Self-hosted Swagger UI assets: the docs page works without reaching a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["musiccorp_common.openapi.contract_paths"],
}

# Service-to-service credentials (musiccorp_common.service_auth, docs/security.md): this
# service's own token, sent to every peer it calls, and the tokens of the services allowed to
# call its internal endpoints, one variable per caller: CALLER_TOKEN_ORDER=... for "order".
SERVICE_TOKEN = env_str("SERVICE_TOKEN", default="")
SERVICE_CALLER_TOKENS = env_prefixed("CALLER_TOKEN_")

# Kafka bootstrap servers; the event library reads it.
KAFKA_BOOTSTRAP_SERVERS = env_str("KAFKA_BOOTSTRAP_SERVERS", default="127.0.0.1:9092")
# Client authentication (docs/security.md, docs/events.md): SASL_PLAINTEXT with SCRAM-SHA-512
# in the local stack and the chart (one Strimzi KafkaUser per service, password from its
# Secret); PLAINTEXT when unset, for containers that run an unauthenticated broker.
KAFKA_SECURITY_PROTOCOL = env_str("KAFKA_SECURITY_PROTOCOL", default="PLAINTEXT")
KAFKA_SASL_MECHANISM = env_str("KAFKA_SASL_MECHANISM", default="SCRAM-SHA-512")
KAFKA_SASL_USERNAME = env_str("KAFKA_SASL_USERNAME", default="")
KAFKA_SASL_PASSWORD = env_str("KAFKA_SASL_PASSWORD", default="")

# The event library (musiccorp_common.events); its knobs share the EVENTS_ prefix.
# Attempts at handling one message before it goes to <topic>.dlq (permanent failures only:
# a transient one, database or Kafka away, is retried until it passes and never dead-lettered;
# docs/decisions/0006-transient-and-permanent-failures.md).
EVENTS_MAX_ATTEMPTS = env_int("EVENTS_MAX_ATTEMPTS", 3)
# Backoff before the second attempt; doubled for each further one.
EVENTS_RETRY_BACKOFF_SECONDS = env_float("EVENTS_RETRY_BACKOFF_SECONDS", 0.5)
# Cap of that doubling for transient failures, which are retried for as long as it takes: the
# longest a consumer waits after its database or broker came back.
EVENTS_TRANSIENT_BACKOFF_MAX_SECONDS = env_float("EVENTS_TRANSIENT_BACKOFF_MAX_SECONDS", 15.0)
# Bounds of every handler's database work (statement_timeout, lock_timeout); hitting one is a
# transient failure, retried later.
EVENTS_HANDLER_STATEMENT_TIMEOUT_MS = env_int("EVENTS_HANDLER_STATEMENT_TIMEOUT_MS", 5000)
EVENTS_HANDLER_LOCK_TIMEOUT_MS = env_int("EVENTS_HANDLER_LOCK_TIMEOUT_MS", 2000)
# Kafka errors in a row after which the consumer exits (non-zero) so the pod is restarted.
EVENTS_MAX_CONSECUTIVE_KAFKA_ERRORS = env_int("EVENTS_MAX_CONSECUTIVE_KAFKA_ERRORS", 30)
# How long a produce may wait for the broker's acknowledgement.
EVENTS_PUBLISH_TIMEOUT_MS = env_int("EVENTS_PUBLISH_TIMEOUT_MS", 10000)
# librdkafka's limit between polls: one handler attempt must finish well within it (backoffs
# between attempts keep polling, so retries do not count).
EVENTS_MAX_POLL_INTERVAL_MS = env_int("EVENTS_MAX_POLL_INTERVAL_MS", 300000)
# Messages the consumer fetches at once and handles in one database transaction (a savepoint
# each), with one offset commit: fewer commits and round trips per message. A failing message
# ends the batch there and is retried alone (docs/decisions/0004-consumer-error-policy.md).
# One batch's handlers must finish well within EVENTS_MAX_POLL_INTERVAL_MS; 1 handles each
# message in its own transaction, as before issue 10.
EVENTS_CONSUMER_BATCH_SIZE = env_int("EVENTS_CONSUMER_BATCH_SIZE", 100)
# How often the consumer's client commits the offsets stored after each batch's transaction.
# A crash loses at most this much of commits: those messages come again and the inbox drops them.
EVENTS_CONSUMER_COMMIT_INTERVAL_MS = env_int("EVENTS_CONSUMER_COMMIT_INTERVAL_MS", 1000)
# Outbox rows the relay claims per pass, and its longest pause when there was nothing to
# send (a committed publish_event wakes it at once through LISTEN/NOTIFY).
EVENTS_RELAY_BATCH_SIZE = env_int("EVENTS_RELAY_BATCH_SIZE", 200)
EVENTS_RELAY_IDLE_SECONDS = env_float("EVENTS_RELAY_IDLE_SECONDS", 1.0)
# After a notification the relay waits this long before it claims, so the rows of the commits
# meanwhile go in the same batch (one claim, one flush, one settle): under load fewer, larger
# passes; without load this much more latency per event. 0: claim at once.
EVENTS_RELAY_COALESCE_MS = env_float("EVENTS_RELAY_COALESCE_MS", 5.0)
# The relay's lease on the rows it claimed (docs/decisions/0003-outbox.md): another relay takes
# them over only after this; longer than a produce may wait (EVENTS_PUBLISH_TIMEOUT_MS).
EVENTS_RELAY_LEASE_SECONDS = env_float("EVENTS_RELAY_LEASE_SECONDS", 60.0)
# A row whose delivery failed waits EVENTS_RELAY_BACKOFF_SECONDS, doubled per further failure up
# to EVENTS_RELAY_MAX_BACKOFF_SECONDS; after EVENTS_RELAY_MAX_ATTEMPTS failures it is parked
# (docs/runbooks/outbox.md). The same capped backoff spaces the relay's passes while the
# database is unreachable.
EVENTS_RELAY_BACKOFF_SECONDS = env_float("EVENTS_RELAY_BACKOFF_SECONDS", 1.0)
EVENTS_RELAY_MAX_BACKOFF_SECONDS = env_float("EVENTS_RELAY_MAX_BACKOFF_SECONDS", 60.0)
EVENTS_RELAY_MAX_ATTEMPTS = env_int("EVENTS_RELAY_MAX_ATTEMPTS", 20)
# Prepended to every topic name (the contract's names when empty); lets tests and shared
# clusters keep their topics apart.
EVENTS_TOPIC_PREFIX = env_str("EVENTS_TOPIC_PREFIX", default="")
# Port of the consumer process's /health/live, /health/ready and /metrics (0: none).
EVENTS_CONSUMER_HEALTH_PORT = env_int("EVENTS_CONSUMER_HEALTH_PORT", 0)
# Address it binds: loopback by default (the local stack); the chart sets the pod IP.
EVENTS_CONSUMER_HEALTH_HOST = env_str("EVENTS_CONSUMER_HEALTH_HOST", default="127.0.0.1")
# Days processed-event and sent outbox rows are kept before prune_events deletes them.
EVENTS_RETENTION_DAYS = env_int("EVENTS_RETENTION_DAYS", 7)

# Tracing: OTLP over HTTP to OTEL_EXPORTER_OTLP_ENDPOINT; "none" (or no endpoint) installs no SDK and
# instruments nothing, only the trace context travels (musiccorp_common.telemetry).
OTEL_TRACES_EXPORTER = env_str("OTEL_TRACES_EXPORTER", default="otlp")
OTEL_EXPORTER_OTLP_ENDPOINT = env_str("OTEL_EXPORTER_OTLP_ENDPOINT", default="")

# Workers of one gunicorn share metrics through files here (prometheus_client's multiprocess
# mode). Made on start so one-off commands (migrate, seed) can record metrics too.
PROMETHEUS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR", default="")
if PROMETHEUS_MULTIPROC_DIR:
    os.makedirs(PROMETHEUS_MULTIPROC_DIR, exist_ok=True)

LOG_LEVEL = env_str("LOG_LEVEL", default="INFO").upper()
LOGGING_CONFIG = "logging.config.dictConfig"


def service_identity(name: str) -> dict:
    """The settings that depend on which service this is.

    Cookie names carry the service so that the sessions of different services on one host
    (all of them sit behind the same gateway host) never overwrite each other.
    """
    return {
        "SERVICE_NAME": name,
        "SESSION_COOKIE_NAME": f"{name}_sessionid",
        "CSRF_COOKIE_NAME": f"{name}_csrftoken",
        "LOGGING": logging_config(service=name, level=LOG_LEVEL),
        "SPECTACULAR_SETTINGS": {**SPECTACULAR_SETTINGS, "TITLE": f"MusicCorp {name} API"},
    }
