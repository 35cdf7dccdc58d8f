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
export DEBIAN_BASE_IMAGE PYTHON_BASE_IMAGE POSTGRES_IMAGE POSTGRES_OFFICIAL_IMAGE KAFKA_IMAGE KAFKA_OFFICIAL_IMAGE

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
