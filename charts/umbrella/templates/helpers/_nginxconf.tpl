{{/*
musiccorp.gateway.nginxConf: the bundled gateway's nginx.conf (gateway.api: nginx), rendered from
gateway.routes, the route table ci/stack/nginx_conf.py renders the local stack's gateway from and
the Ingresses and HTTPRoutes are rendered from. Same behaviour as the local gateway: per route one
regex location `^<prefix>(/|$)((?!metrics|admin).*)` (admin let through only on `admin: true`
routes, and never /metrics) forwarded as /$2 with X-Forwarded-Prefix; `methods` answer any other
method a JSON 405; each of `limits` is a limit_req zone per client address (JSON 429); bodies over
gateway.bodySizeLimit a JSON 413; a route whose service is not installed a JSON 503; any other path
a JSON 404; X-Correlation-ID passed on or made. Upstreams are the services' ClusterIP Services
(resolved once at start: a Service's ClusterIP does not change while it exists).
Written for an unprivileged nginx on a read-only root filesystem: pid and temp files in /tmp, logs
to stdout/stderr, no `user` directive.
*/}}
{{- define "musiccorp.gateway.nginxConf" -}}
{{- $n := .Values.gateway.nginx -}}
{{- $enabled := include "musiccorp.routes.enabled" . | fromJsonArray -}}
# Rendered by the musiccorp chart from gateway.routes (templates/helpers/_nginxconf.tpl).
worker_processes 1;
pid /tmp/nginx.pid;
error_log stderr warn;

events {
    worker_connections {{ int $n.workerConnections }};
}

http {
    default_type application/json;
    server_tokens off;
    client_body_temp_path /tmp/client_body;
    proxy_temp_path /tmp/proxy;
    fastcgi_temp_path /tmp/fastcgi;
    uwsgi_temp_path /tmp/uwsgi;
    scgi_temp_path /tmp/scgi;

    # Pass the caller's correlation id on, or make one from nginx's per-request id.
    map $http_x_correlation_id $correlation_id {
        ""      $request_id;
        default $http_x_correlation_id;
    }

    log_format gateway escape=json '{"time":"$time_iso8601","correlation_id":"$correlation_id",'
        '"method":"$request_method","uri":"$request_uri","status":$status,'
        '"upstream":"$upstream_addr","duration":$request_time}';
    access_log /dev/stdout gateway;

    # Abuse limits (issue 8): over a limit 429, over the body size 413, both as JSON below.
    limit_req_status 429;
    limit_req_log_level warn;
    client_max_body_size {{ .Values.gateway.bodySizeLimit }};
{{- range $route := .Values.gateway.routes }}
{{- range .limits }}

    # {{ .name }}: {{ .method | default "any method," }} {{ $route.prefix }}{{ .path }}, {{ .rpm }}r/m and a burst of {{ .burst | default 0 }} per client address.
    # The key is looked up after the route's rewrite, so $uri is the service's path.
    map "$request_method:$uri" $limit_key_{{ .name }} {
        "~^{{ .method | default "[A-Z]+" }}:{{ trimSuffix "/" .path }}/?$" $binary_remote_addr;
        default "";
    }
    limit_req_zone $limit_key_{{ .name }} zone={{ .name }}:1m rate={{ .rpm }}r/m;
{{- end }}
{{- end }}

    proxy_http_version 1.1;
    proxy_connect_timeout 5s;
    proxy_read_timeout 60s;

    server {
        listen 8080;
        {{- with .Values.gateway.host }}
        server_name {{ . }};
        {{- end }}

        # A service that is down answers JSON like everything else, not nginx's HTML page.
        error_page 502 503 504 = @upstream_unavailable;
        location @upstream_unavailable {
            add_header X-Correlation-ID $correlation_id always;
            return 502 '{"detail": "upstream service unavailable"}\n';
        }

        error_page 413 = @body_too_large;
        location @body_too_large {
            add_header X-Correlation-ID $correlation_id always;
            return 413 '{"detail": "request body too large"}\n';
        }
        error_page 429 = @rate_limited;
        location @rate_limited {
            add_header X-Correlation-ID $correlation_id always;
            add_header Retry-After 60 always;
            return 429 '{"detail": "too many requests, slow down"}\n';
        }

        location = /healthz {
            access_log off;
            add_header X-Correlation-ID $correlation_id always;
            return 200 '{"status": "ok"}\n';
        }
{{- range $route := .Values.gateway.routes }}
{{- if has $route.service $enabled }}

        # {{ $route.prefix }} -> {{ $route.service }} (admin {{ ternary "reachable" "blocked" (eq (toString $route.admin) "true") }})
        location ~ ^{{ $route.prefix }}(/|$)((?!{{ ternary "metrics" "metrics|admin" (eq (toString $route.admin) "true") }}).*) {
            # All headers here: a location with any proxy_set_header inherits none from above.
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header X-Forwarded-Prefix {{ $route.prefix }};
            proxy_set_header X-Correlation-ID $correlation_id;
            {{- with $route.methods }}
            if ($request_method !~ ^({{ join "|" . }})$) {
                add_header X-Correlation-ID $correlation_id always;
                add_header Allow "{{ join ", " . }}" always;
                return 405 '{"detail": "method not allowed through the gateway"}\n';
            }
            {{- end }}
            {{- range $route.limits }}
            limit_req zone={{ .name }} burst={{ .burst | default 0 }} nodelay;
            {{- end }}
            # The rewrite lets nginx re-escape the path ($2 is decoded) and keeps the arguments.
            rewrite ^{{ $route.prefix }}(/|$)(.*)$ /$2 break;
            proxy_pass http://{{ include "musiccorp.names.service" (dict "root" $ "service" $route.service) }}.{{ $.Release.Namespace }}.svc:{{ $route.port }};
        }
{{- else }}

        # {{ $route.prefix }} -> {{ $route.service }}: not installed ({{ if $route.implements }}{{ $route.implements }}.implementations has no {{ $route.implementation }}{{ else }}{{ $route.service }}.enabled is false{{ end }})
        location ~ ^{{ $route.prefix }}(/|$) {
            add_header X-Correlation-ID $correlation_id always;
            return 503 '{"detail": "service not deployed: {{ $route.service }}"}\n';
        }
{{- end }}
{{- end }}

        location / {
            add_header X-Correlation-ID $correlation_id always;
            return 404 '{"detail": "Not found."}\n';
        }
    }
}
{{- end -}}
