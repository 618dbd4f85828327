# Reelforge front door. `make help` lists the targets.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-stamp
PROJECTS := $(wildcard libs/*/pyproject.toml tools/*/pyproject.toml services/*/pyproject.toml clients/*/pyproject.toml)
PY_SOURCES := libs/common/src services/gateway/src services/ingest/src services/transcription/src services/pose/src services/render/src services/notify/src services/aigen/src clients/sdk/src clients/cli/src tools/devstack/src tools/gen_proto.py tests bench

.PHONY: help setup lock proto proto-check lint format typecheck unit integration deploy-check test chaos security up down status bench demo clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

setup: $(STAMP)  ## build .venv from the lock file; install ffmpeg when missing (as root)

$(STAMP): constraints.txt requirements-dev.txt requirements-nodeps.txt $(PROJECTS) scripts/setup.sh
	@scripts/setup.sh
	@touch $@

lock:  ## re-resolve dependencies into constraints.txt
	@scripts/lock.sh

proto: setup  ## regenerate libs/contracts from proto/
	@$(BIN)/python tools/gen_proto.py

proto-check: setup  ## fail if generated code drifts from proto/
	@$(BIN)/python tools/gen_proto.py --check

lint: setup  ## ruff lint and format check
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .

format: setup  ## apply ruff fixes and formatting
	@$(BIN)/ruff check --fix .
	@$(BIN)/ruff format .

typecheck: setup  ## mypy (strict for libs/common)
	@$(BIN)/mypy $(PY_SOURCES)

unit: setup  ## unit tests (no infrastructure)
	@$(BIN)/pytest tests/unit

integration: setup  ## integration tests against the real local stack (started on demand)
	@$(BIN)/pytest tests/integration

deploy-check: setup  ## validate deploy/ offline: every kustomize overlay, compose, Dockerfiles, alert rules and dashboard
	@$(BIN)/pytest tests/unit/test_deploy_k8s.py tests/unit/test_deploy_compose.py tests/unit/test_deploy_images.py tests/unit/test_observability_rules.py

test: setup lint typecheck proto-check  ## everything CI runs
	@$(BIN)/pytest tests

chaos: setup  ## reliability suite, every run (crashes, poison, network faults, load); prints its figures
	@REELFORGE_SUITE=full $(BIN)/pytest tests/integration -m chaos -p no:cacheprovider

security: setup  ## security suite, every case (BOLA, schemathesis, SSRF, malicious media, keys); prints its figures
	@REELFORGE_SUITE=full $(BIN)/pytest tests/integration -m security -p no:cacheprovider

up: setup  ## start NATS, Postgres, S3 and the services under .stack/
	@$(BIN)/reelforge-stack up

down:  ## stop what `make up` started
	@if [ -x $(BIN)/reelforge-stack ]; then $(BIN)/reelforge-stack down; else echo "nothing to stop"; fi

status: setup  ## health of each part of the local stack
	@$(BIN)/reelforge-stack status

bench: setup  ## benchmarks: bus, upload, gateway latency, transcription, pose, render, export, e2e, webhooks, AI gateway (each against its baseline)
	@$(BIN)/reelforge-stack up >/dev/null
	@$(BIN)/python bench/bus.py
	@$(BIN)/python bench/upload.py
	@$(BIN)/python bench/gateway.py
	@$(BIN)/python bench/transcribe.py --scaling 1,5,20
	@$(BIN)/python bench/pose.py
	@$(BIN)/python bench/render.py
	@$(BIN)/python bench/export.py
	@$(BIN)/python bench/e2e.py
	@$(BIN)/python bench/notify.py
	@$(BIN)/python bench/aigen.py

demo: setup  ## the main job on the bundled sample: 3 captioned 9:16 clips into demo-output/
	@scripts/demo.sh

clean:  ## stop the stack, delete its data (.stack/) and .venv/
	@if [ -x $(BIN)/reelforge-stack ]; then $(BIN)/reelforge-stack destroy; else rm -rf .stack; fi
	@rm -rf $(VENV)
