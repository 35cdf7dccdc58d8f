# Shared helpers of the kind scripts (kind/up, kind/upgrade, kind/down). Source, don't run.
# shellcheck source=ci/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../ci/lib.sh"

CLUSTER="${MUSICCORP_KIND_CLUSTER:-musiccorp}"
RELEASE=musiccorp
NAMESPACE=musiccorp
KIND_CONFIG="$ROOT/kind/kind-config.yaml"
SERVICES=(catalog inventory order payment shipping)
export KUBECONFIG="${KUBECONFIG:-$HOME/.kube/config}"
# Go's own install location, where ci/bootstrap and the official tarball put it, when go is not on PATH.
command -v go >/dev/null || [ ! -x /usr/local/go/bin/go ] || PATH="/usr/local/go/bin:$PATH"

# Fail at once, naming what is missing, rather than halfway through a cluster setup.
require_tools() {
  local missing=()
  for tool in "$@"; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  [ ${#missing[@]} -eq 0 ] || die "missing on PATH: ${missing[*]} (kind needs docker, kind, kubectl and helm, and go for order-go's image; see docs/charts.md)"
  if [[ " $* " == *" docker "* ]]; then
    docker info >/dev/null 2>&1 || die "docker is installed but its daemon does not answer (is it running, may this user use it?)"
  fi
}

# The image the umbrella's defaults name for a service: musiccorp/<service>:<the service chart's
# appVersion> (charts/common's image defaults). kind/up builds and loads exactly this, so a plain
# `helm install musiccorp charts/umbrella` finds its images in the node.
# order-go (the Go order service, charts/order's go.image) shares the order chart's tag.
default_image() {
  local svc="$1" chart="$1" version
  [ "$svc" != order-go ] || chart=order
  version="$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\} *$/\1/p' "$ROOT/charts/$chart/Chart.yaml")"
  [ -n "$version" ] || die "no appVersion in charts/$chart/Chart.yaml"
  echo "musiccorp/$svc:$version"
}

# The image tag kind/upgrade builds: the git short sha, plus a content hash of uncommitted changes so
# a rebuild of edited code gets a new tag (and so rolls the pods); never "latest".
image_tag() {
  local sha dirty
  sha="$(git -C "$ROOT" rev-parse --short HEAD)"
  dirty="$(git -C "$ROOT" status --porcelain -- services | sha256sum | cut -c1-8)"
  if [ -n "$(git -C "$ROOT" status --porcelain -- services)" ]; then
    echo "$sha-dirty.$dirty"
  else
    echo "$sha"
  fi
}

cluster_exists() { kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; }

# Build every service image from services/Dockerfile with the repository root as context (it
# copies services/common), then order-go's (build_order_go_image), and load each into the kind
# node, where the pods find it (pullPolicy IfNotPresent and a pinned tag: never pulled). With a
# tag: musiccorp/<service>:<tag>; without: the image the defaults name (default_image). order-go
# is built whichever order.implementations the release runs, so switching needs no other step.
build_and_load_images() {
  local tag="${1:-}" svc image
  for svc in "${SERVICES[@]}" order-go; do
    if [ -n "$tag" ]; then image="musiccorp/$svc:$tag"; else image="$(default_image "$svc")"; fi
    step "docker build $image"
    if [ "$svc" = order-go ]; then
      build_order_go_image "$image"
    else
      docker build -f "$ROOT/services/Dockerfile" --build-arg "SERVICE=$svc" -t "$image" "$ROOT" \
        || die "docker build of $svc failed"
    fi
    step "kind load docker-image $image"
    kind load docker-image --name "$CLUSTER" "$image" || die "kind load of $svc failed"
  done
}

# order-go's image from services/order-go/Containerfile. Its build stage is made for podman
# (ci/images/services mounts the host's Go toolchain and module cache into it, which `docker build`
# cannot), so here the host's go builds the same static binary with the stage's flags (your Go
# settings fetch the modules pinned in go.sum), and a named build context (BuildKit's
# `docker build --build-context`, Docker 23+) takes the place of that stage: the Containerfile's
# runtime stage copies /out/order-go from it. The certificate bundle comes from the Python
# services' base image (services/Dockerfile's BASE_IMAGE, which docker has pulled for them).
build_order_go_image() {
  local image="$1" base out
  docker buildx version >/dev/null 2>&1 \
    || die "order-go's image needs BuildKit (docker build --build-context: the buildx plugin, Docker 23 or newer)"
  base="$(sed -n 's/^ARG BASE_IMAGE=//p' "$ROOT/services/Dockerfile")"
  [ -n "$base" ] || die "no ARG BASE_IMAGE in services/Dockerfile"
  out="$(mktemp -d)"
  (cd "$ROOT/services/order-go" && CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags='-s -w' \
    -o "$out/out/order-go" ./cmd/order-go) || { rm -rf "$out"; die "go build of order-go failed"; }
  # DEBIAN_BASE names the replaced stage's base; set to an image docker has, so nothing looks up
  # the local-only default.
  docker build -f "$ROOT/services/order-go/Containerfile" --build-context "build=$out" \
    --build-arg "DEBIAN_BASE=$base" --build-arg "CERTS_BASE=$base" -t "$image" "$ROOT" \
    || { rm -rf "$out"; die "docker build of order-go failed"; }
  rm -rf "$out"
}

# The umbrella's dependencies: each service chart's library first (packaged with it), then the
# umbrella's external charts at the versions pinned in Chart.lock, through ci/chart-deps: it adds
# the chart repositories Chart.yaml names to a private helm config (a fresh machine has none, and
# `helm dependency build` refuses an unknown repository) and checks the recorded sha256s.
build_chart_dependencies() {
  local svc
  step "helm dependency build (services, then the umbrella)"
  for svc in "${SERVICES[@]}"; do
    helm dependency build "$ROOT/charts/$svc" >/dev/null || die "helm dependency build charts/$svc failed"
  done
  "$ROOT/ci/chart-deps" "$ROOT/charts/umbrella" || die "the umbrella's dependencies failed (network to the chart repositories?)"
}

# helm upgrade --install of the umbrella with its defaults (the kind setup); with a tag, the
# services run musiccorp/<service>:<tag> instead of the default images.
helm_upgrade() {
  local tag="${1:-}" args=()
  [ -z "$tag" ] || args=(--set "global.serviceDefaults.image.tag=$tag")
  step "helm upgrade --install $RELEASE${tag:+ (images $tag)}"
  helm upgrade --install "$RELEASE" "$ROOT/charts/umbrella" \
    --namespace "$NAMESPACE" --create-namespace "${args[@]}" \
    --wait --timeout 20m || die "helm upgrade failed; look at: kubectl -n $NAMESPACE get pods,jobs"
}

# Wait until every MusicCorp Deployment has rolled out.
rollout_status() {
  local deployment
  for deployment in $(kubectl -n "$NAMESPACE" get deployments -l app.kubernetes.io/part-of=musiccorp -o name); do
    kubectl -n "$NAMESPACE" rollout status "$deployment" --timeout 10m || die "$deployment did not roll out"
  done
}

# Load the sample data (idempotent): albums in catalog, their stock in inventory.
seed() {
  local svc
  for svc in catalog inventory; do
    step "seeding $svc"
    kubectl -n "$NAMESPACE" exec "deploy/$RELEASE-$svc" -c web -- python manage.py seed || die "seeding $svc failed"
  done
}

# The contract's first request through the gateway.
smoke_test() {
  local url="http://localhost/api/catalog/albums/CD001" attempt
  step "smoke test: GET $url"
  for attempt in $(seq 1 30); do
    if curl -fsS --max-time 5 "$url"; then echo; ok "the gateway answers"; return 0; fi
    sleep 2
  done
  die "GET $url failed after $attempt attempts"
}
