# Shared shell helpers and locations for every script under ci/ and kind/. Source, don't run.
# Where things live:
#   $ROOT              the repository checkout
#   $MUSICCORP_CACHE   tools and virtualenvs, outside the tracked files, reused across clones
#   $VENV              this checkout's virtualenv (a link to the build for the current lock)
#   $RUN_DIR           runtime state of the local stack (pids, logs, data), inside the checkout, ignored by git
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=ci/versions.env
. "$ROOT/ci/versions.env"

MUSICCORP_CACHE="${MUSICCORP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/musiccorp}"
# One virtualenv per checkout (the shared package is installed editable from this checkout), at a
# stable path that points at the build for the current lock: ci/bootstrap swaps the link.
VENV="$MUSICCORP_CACHE/venvs/$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)/current"
TOOLS_BIN="$MUSICCORP_CACHE/bin"
KAFKA_HOME="$MUSICCORP_CACHE/kafka-$KAFKA_VERSION"
ZIPKIN_JAR="$MUSICCORP_CACHE/zipkin-$ZIPKIN_VERSION/zipkin-server-$ZIPKIN_VERSION-exec.jar"
PG_BIN="/usr/lib/postgresql/$POSTGRES_MAJOR/bin"
RUN_DIR="${MUSICCORP_RUN_DIR:-$ROOT/.run}"
export MUSICCORP_CACHE VENV TOOLS_BIN KAFKA_HOME ZIPKIN_JAR PG_BIN RUN_DIR ROOT
export PATH="$VENV/bin:$TOOLS_BIN:$PATH"

# The real node of `make pods-test` (ci/node, docs/kubernetes-here.md): its address on a port-less
# bridge, the pods' subnet, the Services' range with the API server's and the cluster DNS's address.
NODE_ADDRESS=10.86.0.1
POD_SUBNET=10.87.0.0/24
SERVICE_SUBNET=10.96.0.0/24
API_SERVICE_ADDRESS=10.96.0.1
DNS_ADDRESS=10.96.0.10

# Progress output: every long step says what it does, and failures say why.
step() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
ok()   { printf '    \033[32mok\033[0m %s\n' "$*" >&2; }
warn() { printf '    \033[33mwarn\033[0m %s\n' "$*" >&2; }
die()  { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }
