# Shared helpers of the local stack's scripts (ci/stack/*): process control by recorded pid,
# bounded waits, the generated secrets and the service list. Source, don't run.
# shellcheck source=ci/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

STACK_DIR="$ROOT/ci/stack"
LOG_DIR="$RUN_DIR/logs"
PID_DIR="$RUN_DIR/pids"
SECRETS_FILE="$RUN_DIR/secrets.env"
VALUES_FILE="$ROOT/charts/umbrella/values.yaml"
PG_PORT=55432
PG_HOST=127.0.0.1
KAFKA_BOOTSTRAP=127.0.0.1:9092
GATEWAY_PORT=8080
# Metrics and traces (ci/stack/observability): Prometheus, Zipkin's UI and API, the OTLP/HTTP receiver.
PROMETHEUS_PORT=9090
ZIPKIN_PORT=9411
OTLP_PORT=4318
# The namespace and release the local series are labelled with, as the chart's monitors label them.
METRICS_NAMESPACE=musiccorp
export LOG_DIR PID_DIR SECRETS_FILE VALUES_FILE PG_PORT PG_HOST KAFKA_BOOTSTRAP GATEWAY_PORT
export PROMETHEUS_PORT ZIPKIN_PORT OTLP_PORT METRICS_NAMESPACE

# Prometheus and the trace backend run unless MUSICCORP_OBSERVABILITY=0 (then the exporters are `none`).
observability_on() { [ "${MUSICCORP_OBSERVABILITY:-1}" != 0 ]; }

# Which order service runs (ORDER_IMPL, docs/local-stack.md): python (the Django one, default), go
# (services/order-go in its place, also behind /api/orders/) or both (order-go beside it).
ORDER_GO_PORT=5006
order_impl() {
  case "${ORDER_IMPL:-python}" in
    python|go|both) echo "${ORDER_IMPL:-python}" ;;
    *) die "ORDER_IMPL='$ORDER_IMPL' is not one of python, go, both" ;;
  esac
}

ensure_run_dirs() {
  mkdir -p "$RUN_DIR" "$LOG_DIR" "$PID_DIR"
  # Postgres and nginx run as unprivileged users and must be able to reach their files in here.
  chmod 755 "$RUN_DIR" "$LOG_DIR"
}

# The unprivileged account a daemon runs as when we are root ($1: wanted user); empty otherwise.
run_as_user() {
  [ "$(id -u)" -eq 0 ] || return 0
  id -u "$1" >/dev/null 2>&1 || die "user '$1' does not exist (run ci/bootstrap)"
  echo "$1"
}

# Run a command as $1 (exec, no extra fork, so a backgrounded pid is the daemon's own pid).
as_user() {
  local user="$1"; shift
  if [ -z "$user" ]; then "$@"; else setpriv --reuid="$user" --regid="$user" --init-groups -- "$@"; fi
}

# The folder under which a daemon run as the unprivileged user $1 keeps its files: the run dir,
# unless that user cannot reach it (a checkout in a private home directory); then a folder under
# /tmp named after the run dir, linked from it.
daemon_base_dir() {
  local user dir
  user="$(run_as_user "$1")"
  if [ -z "$user" ] || as_user "$user" test -x "$RUN_DIR"; then echo "$RUN_DIR"; return; fi
  dir="${TMPDIR:-/tmp}/musiccorp-$(printf %s "$RUN_DIR" | sha256sum | cut -c1-12)"
  mkdir -p "$dir" && chmod 755 "$dir"
  echo "$dir"
}

# link_into_run_dir TARGET LINK: when a daemon's file lives outside the run dir, link it in.
link_into_run_dir() { [ "$1" = "$2" ] || ln -sfn "$1" "$2"; }

load_secrets() {
  # Always: it only appends keys a newer checkout needs (say, a new service's credential).
  "$STACK_DIR/secrets"
  set -a
  # shellcheck disable=SC1090
  . "$SECRETS_FILE"
  set +a
}

# "name port" lines of every service in the route table (charts/umbrella/values.yaml).
all_services() { "$VENV/bin/python" "$STACK_DIR/routes.py" services; }

# The subset that exists in this checkout (a Django project with manage.py).
deployed_services() {
  local name port
  all_services | while read -r name port; do
    [ -f "$ROOT/services/$name/manage.py" ] && echo "$name $port"
  done
  return 0
}

# The services allowed to call service $1 (networkPolicy.clients of charts/$1/values.yaml, as
# in the cluster), one per line.
service_callers() {
  "$VENV/bin/python" -c 'import sys, yaml
values = yaml.safe_load(open(sys.argv[1])) or {}
print("\n".join((values.get("networkPolicy") or {}).get("clients") or []))' "$ROOT/charts/$1/values.yaml"
}

# pid recorded in $PID_DIR/$1.pid, if that process is still alive.
live_pid() {
  local file="$PID_DIR/$1.pid" pid
  [ -f "$file" ] || return 1
  pid="$(cat "$file")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

# start_daemon NAME LOGFILE [USER] -- CMD...: run CMD in its own session, survive the caller,
# and record its pid. The command must not daemonize itself.
start_daemon() {
  local name="$1" log="$2" user="" ; shift 2
  if [ "$1" != "--" ]; then user="$1"; shift; fi
  shift
  : >> "$log"
  [ -n "$user" ] && chown "$user" "$log"
  # setsid without -f execs in place (a non-interactive shell's background job is no group
  # leader), so $! is the daemon's pid and also its process group id.
  if [ -z "$user" ]; then
    setsid "$@" >> "$log" 2>&1 < /dev/null &
  else
    setsid setpriv --reuid="$user" --regid="$user" --init-groups -- "$@" >> "$log" 2>&1 < /dev/null &
  fi
  echo $! > "$PID_DIR/$name.pid"
}

# stop_daemon NAME [TIMEOUT]: SIGTERM the recorded pid, wait, then SIGKILL its process group.
stop_daemon() {
  local name="$1" timeout="${2:-20}" pid i
  if ! pid="$(live_pid "$name")"; then rm -f "$PID_DIR/$name.pid"; return 0; fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    warn "$name (pid $pid) ignored SIGTERM for ${timeout}s: SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_DIR/$name.pid"
  ok "$name stopped (pid $pid)"
}

# wait_for DESCRIPTION TIMEOUT CMD...: poll CMD every half second, printing progress; fail after
# TIMEOUT seconds. $WAIT_PID, when set, aborts early if that process died.
wait_for() {
  local what="$1" timeout="$2" start=$SECONDS; shift 2
  printf '    waiting for %s ' "$what" >&2
  until "$@" >/dev/null 2>&1; do
    if [ -n "${WAIT_PID:-}" ] && ! kill -0 "$WAIT_PID" 2>/dev/null; then
      printf ' died\n' >&2; return 1
    fi
    if ((SECONDS - start >= timeout)); then printf ' timed out after %ss\n' "$timeout" >&2; return 1; fi
    printf '.' >&2
    sleep 0.5
  done
  printf ' ready (%ss)\n' "$((SECONDS - start))" >&2
}

http_ok() { "$VENV/bin/python" "$STACK_DIR/probe.py" "$1"; }
