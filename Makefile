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

up: ## start the local stack (bootstraps first), wait until healthy, print URLs and admin login
	ci/stack/up

down: ## stop everything `make up` started (state stays in .run/)
	ci/stack/down

logs: ## follow every log of the local stack
	ci/stack/logs

status: ## show each component of the local stack and its state
	ci/stack/status
