# MusicCorp's entry points. Each target is a thin call of a script under ci/; the scripts say what
# they do and print their progress. The local stack is described in docs/local-stack.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help bootstrap up down logs status

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

## Local stack (no Docker): PostgreSQL, Kafka, the services and the gateway on :8080.
bootstrap: ## install tools into ~/.cache/musiccorp (apt, venv, helm, kafka); seconds when warm
	ci/bootstrap

# Which order service `make up` runs (docs/local-stack.md): python, go or both.
ORDER_IMPL ?= python
up: ## start the local stack (bootstraps first), wait until healthy, print URLs and admin login; ORDER_IMPL=python|go|both
	ORDER_IMPL="$(ORDER_IMPL)" ci/stack/up

down: ## stop everything `make up` started (state stays in .run/)
	ci/stack/down

logs: ## follow every log of the local stack
	ci/stack/logs

status: ## show each component of the local stack and its state
	ci/stack/status

## Tests (tox environments in tox.ini; each bootstraps first, seconds when warm).
.PHONY: test lint unit order-go stack-test charts cluster-test pods-test e2e chaos
# The control plane's cold build (~15-25 min) runs in the background at nice 19 while the envs before
# `cluster` run; the cluster env waits for it (ci/build-kubernetes).
test: ## every test the project has, as CI runs it
	ci/bootstrap --no-kubernetes && ci/build-kubernetes --background && ci/tox

lint: ## ruff and script syntax
	ci/bootstrap && ci/tox -e lint

unit: ## each service's pytest-django suite on a real PostgreSQL
	ci/bootstrap && ci/tox -e unit

order-go: ## the Go order service's go vet and go test on a real PostgreSQL and Kafka (services/order-go)
	ci/bootstrap && ci/tox -e order-go

stack-test: ## database isolation and gateway config of the local stack
	ci/bootstrap && ci/tox -e stack

charts: ## helm lint, render matrix, schema validation, chart policies
	ci/bootstrap && ci/tox -e charts

cluster-test: ## umbrella install/upgrade/rollback/uninstall on a real Kubernetes control plane (kwok nodes)
	ci/bootstrap && ci/tox -e cluster

pods-test: ## the umbrella's own containers on a real one-node cluster: bundled profile, e2e scenarios through the NodePort, self-healing under load, a helm upgrade + rollback under load with no failed request (docs/kubernetes-here.md)
	ci/bootstrap && ci/tox -e pods

e2e: ## the local stack end to end through the gateway; ORDER_IMPL=python|go|both
	ci/bootstrap && ORDER_IMPL="$(ORDER_IMPL)" ci/tox -e e2e

chaos: ## fault-injection campaign: ~1,100 orders under killed processes, Kafka and PostgreSQL outages (docs/reliability.md); ORDER_IMPL=python|go|both
	ci/bootstrap && ORDER_IMPL="$(ORDER_IMPL)" ci/tox -e chaos

## Benchmark (docs/benchmark.md).
.PHONY: bench
bench: ## N orders (default 500) at C (default 8): latency, stack CPU and RSS, pgbench; SWEEP=1: C=1..16 and a plot; tracing off unless OBSERVABILITY=1; ORDER_IMPL=python|go|both
	ORDER_IMPL="$(ORDER_IMPL)" ci/bench

## Screenshots of the local stack's UIs for the docs (docs/local-stack.md, "Traces and metrics").
.PHONY: screenshots
screenshots: ## headless Chromium: one order's trace in Zipkin, the saga funnel in Prometheus during a short bench -> docs/screenshots/
	ci/screenshots

## kind: the umbrella chart on a local Kubernetes (needs docker, kind, kubectl, go; docs/charts.md).
.PHONY: kind-up kind-upgrade kind-down
kind-up: ## kind cluster, images built and loaded, helm install of charts/umbrella, smoke test
	ci/bootstrap && kind/up

kind-upgrade: ## rebuild and load the images, helm upgrade, wait for every rollout
	ci/bootstrap && kind/upgrade

kind-down: ## delete the kind cluster
	kind/down

## Container images and the podman smoke run (docs/containers.md); `make test` runs both (tox env images).
.PHONY: images images-smoke
images: ## podman, base images, PostgreSQL/Kafka stand-ins and the service images, built locally
	ci/bootstrap && ci/images/build

# One tag for both steps, even if HEAD moves in between.
images-smoke: ## the service images on a podman network with the stand-ins: health, one order through; ORDER_IMPL=python|go|both
	ci/bootstrap && export MUSICCORP_IMAGE_TAG="$${MUSICCORP_IMAGE_TAG:-$$(git rev-parse --short HEAD)}" \
	  && ci/images/build && ORDER_IMPL="$(ORDER_IMPL)" ci/images/smoke
