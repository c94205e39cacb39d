# The two commands: `make run` (the site on http://127.0.0.1:8000) and `make test` (the suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps

.PHONY: run test lint format setup assets screenshots clean bench

run: setup .env
	@scripts/build-assets.sh
	@echo "==> Applying database migrations"
	@$(BIN)/python manage.py migrate --noinput -v0
	@echo "==> Loading demo data (idempotent)"
	@$(BIN)/python manage.py seed_demo
	@$(BIN)/python manage.py seed_directory
	@$(BIN)/python manage.py seed_emotes
	@echo "==> Installing LiveKit (livekit-server and redis-server) when possible"
	@if $(BIN)/python -m devservers install --optional; then \
		echo "==> Serving http://127.0.0.1:8000 with LiveKit on ws://127.0.0.1:7880 (Ctrl-C stops all)"; \
		exec scripts/serve.sh $(BIN)/honcho -f Procfile.dev start; \
	else \
		echo "==> Serving http://127.0.0.1:8000 without LiveKit, with the task worker (Ctrl-C to stop)"; \
		exec scripts/serve.sh $(BIN)/honcho -f Procfile.dev start web worker; \
	fi

test: setup
	@scripts/test.sh

lint: setup
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .

format: setup
	@$(BIN)/ruff check --fix .
	@$(BIN)/ruff format .

assets:
	@scripts/build-assets.sh

screenshots: setup assets
	@$(BIN)/python scripts/screenshots.py

# Every bench, one after the other; `make bench QUICK=1` for a first look (each with --quick).
bench: setup
	@$(BIN)/python -m devservers install
	@$(BIN)/python bench/pages.py $(if $(QUICK),--quick)
	@$(BIN)/python bench/floor.py $(if $(QUICK),--quick)
	@$(BIN)/python bench/profile.py $(if $(QUICK),--quick)
	@$(BIN)/python bench/livekit_client.py $(if $(QUICK),--quick)
	@$(BIN)/python bench/channel.py $(if $(QUICK),--quick)
	@$(BIN)/python bench/video.py $(if $(QUICK),--quick)
	@$(BIN)/python bench/broadcast_chart.py $(if $(QUICK),--quick)
	@$(BIN)/python bench/chat.py $(if $(QUICK),--quick)
	@$(BIN)/python bench/obs.py $(if $(QUICK),--quick)
	@$(BIN)/python bench/key_reset.py $(if $(QUICK),--quick)
	@$(BIN)/python bench/notify.py $(if $(QUICK),--quick)
	@$(BIN)/python bench/clips.py $(if $(QUICK),--quick)
	@$(BIN)/python bench/recording.py $(if $(QUICK),--quick)
	@$(BIN)/python bench/viewer_counts.py $(if $(QUICK),--quick)
	@$(BIN)/python bench/analytics.py $(if $(QUICK),--quick)

# How many viewers arriving per second the site admits through nginx, side by side with the
# ceiling (the same viewers, every request to /robots.txt), the site and Locust on separate
# cores (bench/load.py; about 5 minutes), then a real raid (bench/raid.py: viewers in one room
# moved to another channel at once, arrivals per second and every endpoint's p95 while they
# arrive); `make load QUICK=1` for a short look. nginx: scripts/system-deps.sh.
.PHONY: load
load: setup
	@$(BIN)/python -m devservers install
	@$(BIN)/python bench/load.py $(if $(QUICK),--quick)
	@$(BIN)/python bench/raid.py $(if $(QUICK),--quick)

setup: $(STAMPS)/python-deps

$(BIN)/python:
	@echo "==> Creating the virtualenv in $(VENV)"
	@$(PYTHON) -m venv $(VENV)

$(STAMPS)/python-deps: requirements.txt requirements-dev.txt | $(BIN)/python
	@echo "==> Installing Python dependencies (requirements-dev.txt)"
	@$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@mkdir -p $(STAMPS) && touch $@

.env:
	@echo "==> Creating .env from .env.example (development settings)"
	@cp .env.example .env

clean:
	rm -rf $(VENV) $(STAMPS) staticfiles .pytest_cache .ruff_cache
