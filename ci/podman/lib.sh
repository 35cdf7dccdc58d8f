# Shared helpers of the container scripts (ci/podman/*, ci/images/*): where the podman API
# socket lives and the environment testcontainers needs to reach it. Source, don't run.
# Podman runs as root here; see docs/containers.md for why each setting is what it is.
# shellcheck source=ci/stack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../stack/lib.sh"

PODMAN_DIR="$RUN_DIR/podman"
# The API's pid and log stay apart from $RUN_DIR/pids, which `make down` empties.
PODMAN_PID_DIR="$PODMAN_DIR"
PODMAN_API_LOG="$PODMAN_DIR/api.log"
# A unix socket path may be at most 107 bytes; a deep checkout falls back to /tmp.
PODMAN_SOCK="$PODMAN_DIR/api.sock"
if [ ${#PODMAN_SOCK} -gt 100 ]; then
  PODMAN_SOCK="/tmp/musiccorp-podman-$(printf %s "$RUN_DIR" | sha256sum | cut -c1-12).sock"
fi
export PODMAN_DIR PODMAN_SOCK

# The image names every script agrees on (docs/containers.md, "Images").
DEBIAN_BASE_IMAGE="localhost/musiccorp/debian-base:bookworm"
PYTHON_BASE_IMAGE="localhost/musiccorp/python-base:3.11-bookworm"
POSTGRES_IMAGE="localhost/musiccorp/postgres:$POSTGRES_MAJOR"
POSTGRES_OFFICIAL_IMAGE="docker.io/library/postgres:$POSTGRES_MAJOR"
KAFKA_IMAGE="localhost/musiccorp/kafka:$KAFKA_VERSION"
KAFKA_OFFICIAL_IMAGE="docker.io/apache/kafka:$KAFKA_VERSION"
# The gateway of the umbrella's bundled profile: Debian's nginx under the official name and the
# chart's tag (gateway.nginx.image.tag), which the chart's nginx.conf does not outgrow.
NGINX_IMAGE="localhost/musiccorp/nginx:1.22"
NGINX_CHART_TAG="$(sed -n '/^  nginx:$/,/tag:/ s/^ *tag: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$ROOT/charts/umbrella/values.yaml")"
[ -n "$NGINX_CHART_TAG" ] || die "no gateway.nginx.image.tag in charts/umbrella/values.yaml"
NGINX_OFFICIAL_IMAGE="docker.io/library/nginx:$NGINX_CHART_TAG"
export DEBIAN_BASE_IMAGE PYTHON_BASE_IMAGE POSTGRES_IMAGE POSTGRES_OFFICIAL_IMAGE KAFKA_IMAGE KAFKA_OFFICIAL_IMAGE
export NGINX_IMAGE NGINX_OFFICIAL_IMAGE

# The variables testcontainers-python needs to drive podman's Docker-compatible API:
# ryuk (the reaper) cannot be pulled, and docker_host mode avoids asking the engine for the
# network of the container this machine appears to be (it has a /.dockerenv).
container_env() {
  export DOCKER_HOST="unix://$PODMAN_SOCK"
  export TESTCONTAINERS_RYUK_DISABLED=true
  export TESTCONTAINERS_CONNECTION_MODE=docker_host
}

# image_exists NAME: the image is in local storage.
image_exists() { podman image exists "$1"; }

# timed DESCRIPTION CMD...: run CMD and report how long it took.
timed() {
  local what="$1" t0=$SECONDS; shift
  "$@" || return
  ok "$what in $((SECONDS - t0))s"
}

# build_image TAG CONTEXT_DIR [PODMAN_BUILD_ARGS...]: build CONTEXT_DIR/Containerfile (or the
# -f given in the arguments) as TAG without ever pulling, with the time it took. The layer cache
# makes an unchanged rebuild take a second or two.
build_image() {
  local tag="$1" context="$2" t0=$SECONDS log; shift 2
  local -a file=()
  [[ " $* " == *" -f "* ]] || file=(-f "$context/Containerfile")
  log="$PODMAN_DIR/build-$(printf %s "$tag" | tr '/:' '__').log"
  mkdir -p "$PODMAN_DIR"
  printf '    building %s ' "$tag" >&2
  if ! podman build --pull=never --layers "${file[@]}" -t "$tag" "$@" "$context" > "$log" 2>&1; then
    printf 'failed\n' >&2
    tail -n 30 "$log" >&2
    die "building $tag failed (full log: $log)"
  fi
  printf 'done (%ss)\n' "$((SECONDS - t0))" >&2
}

# The tag of the service images: the commit they were built from (the working tree's content;
# MUSICCORP_IMAGE_TAG overrides it).
image_tag() { echo "${MUSICCORP_IMAGE_TAG:-$(git -C "$ROOT" rev-parse --short HEAD)}"; }
service_image() { echo "localhost/musiccorp/$1:$(image_tag)"; }

# The services of this checkout (a Django project with manage.py), as "name port" (ports from the
# route table); each is built from services/Dockerfile.
image_services() { deployed_services; }

# Extra `podman build` arguments for builds that download over TLS (pip): when this machine
# trusts certificate authorities of its own (a TLS-inspecting egress proxy, say), the build's RUN
# steps see the host's CA bundle through a read-only bind mount; nothing of it enters the image.
host_trust_args() {
  local bundle=/etc/ssl/certs/ca-certificates.crt
  if [ "${MUSICCORP_BUILD_HOST_CA:-auto}" != no ] && [ -s "$bundle" ] \
    && compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    printf '%s\n' --volume "$bundle:$bundle:ro"
  fi
}
