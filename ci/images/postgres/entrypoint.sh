#!/bin/bash
# Entrypoint of the local PostgreSQL stand-in. As root it fixes ownership and re-runs itself as
# the postgres user. For `postgres [ARGS]`: on an empty $PGDATA, initdb once with POSTGRES_USER
# (default postgres) / POSTGRES_PASSWORD and create POSTGRES_DB (default: the user's name);
# then exec postgres listening on every address. Any other command is run as given.
set -euo pipefail

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$0" "$@"
fi

_log() { echo "entrypoint: $*" >&2; }

_initdb() {
  local user="${POSTGRES_USER:-postgres}" db pwfile
  db="${POSTGRES_DB:-$user}"
  [ -n "${POSTGRES_PASSWORD:-}" ] || { _log "POSTGRES_PASSWORD must be set"; exit 1; }
  _log "initdb in $PGDATA (superuser $user, database $db)"
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  # Inside the container the unix socket trusts local users (as the official image does);
  # every TCP client needs the password.
  initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    # Single-user mode: no server listens until the database exists, so a client that sees a
    # port answering sees the finished database.
    printf 'CREATE DATABASE "%s"\n' "${db//\"/\"\"}" | postgres --single -D "$PGDATA" postgres >/dev/null
  fi
}

if [ "${1:-}" = postgres ]; then
  shift
  [ -s "$PGDATA/PG_VERSION" ] || _initdb
  exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
fi
exec "$@"
