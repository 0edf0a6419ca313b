# Care coordination assistant. `make run` starts everything; `make test` runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
BOT_VENV := .venv/bot
BACKEND_VENV := .venv/backend
BOT_PY := $(BOT_VENV)/bin/python
BACKEND_PY := $(BACKEND_VENV)/bin/python
PIP_FLAGS := --disable-pip-version-check -q

.PHONY: help setup setup-backend setup-bot db train run test test-backend test-bot validate test-stories test-e2e bench-safety lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'

$(BACKEND_VENV)/.installed: pyproject.toml requirements/backend.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "the backend needs Python 3.11 or newer"' \
	  || { echo "error: '$(PYTHON)' is not Python 3.11+; set PYTHON=/path/to/python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(BACKEND_VENV)
	$(BACKEND_PY) -m pip install $(PIP_FLAGS) -c requirements/backend.txt -e ".[backend,dev]"
	@touch $@

$(BOT_VENV)/.installed: pyproject.toml requirements/bot.txt
	@PY310=$$(scripts/find-python310.sh) && $$PY310 -m venv $(BOT_VENV)
	$(BOT_PY) -m pip install $(PIP_FLAGS) -c requirements/bot.txt -e ".[bot,dev]"
	@touch $@

setup-backend: $(BACKEND_VENV)/.installed ## backend environment (current Python)
setup-bot: $(BOT_VENV)/.installed ## bot environment (Python 3.10, Rasa 3.6)
setup: setup-backend setup-bot ## both environments

db: setup-backend ## migrate the database and load the demo caseload
	@mkdir -p var
	$(BACKEND_VENV)/bin/alembic -c backend/alembic.ini upgrade head
	$(BACKEND_PY) -m backend.app.seed

train: setup-bot ## train the model unless one from the same data is cached
	@scripts/train.sh $(BOT_VENV)

run: setup db train ## set up what is missing and start every process
	@scripts/run.sh

lint: setup-backend ## ruff on the Python code
	$(BACKEND_VENV)/bin/ruff check backend actions bot tests

test-backend: setup-backend ## backend tests (SQLite; and PostgreSQL when TEST_DATABASE_URL is set)
	env -u TEST_DATABASE_URL $(BACKEND_PY) -m pytest tests/backend -q -p no:cacheprovider
	@if [ -n "$${TEST_DATABASE_URL:-}" ]; then echo "== backend tests on PostgreSQL"; \
	  $(BACKEND_PY) -m pytest tests/backend -q -p no:cacheprovider; fi

test-bot: setup-bot ## action and channel tests (Python 3.10)
	$(BOT_PY) -m pytest tests/actions tests/bot -q -p no:cacheprovider

validate: setup-bot ## rasa data validate --fail-on-warnings
	$(BOT_VENV)/bin/rasa data validate --fail-on-warnings --domain bot/domain \
	  --data data/nlu data/rules data/stories --config config.yml --quiet

test-stories: train ## test stories, failing on any prediction error
	$(BOT_VENV)/bin/rasa test core --stories tests/stories --model "$$(cat models/CURRENT)" \
	  --fail-on-prediction-errors --out var/results --quiet

bench-safety: setup-bot ## the safety detector's figures on the labelled sets
	$(BOT_PY) -m bot.nlu.safety_benchmark

test-e2e: setup-backend train ## starts backend, sandbox, action server and Rasa; texts them
	BOT_VENV=$(BOT_VENV) $(BACKEND_PY) -m pytest tests/e2e -q -p no:cacheprovider

test: lint test-backend test-bot validate test-stories test-e2e ## the whole suite

clean: ## remove environments, models and local data
	rm -rf .venv models var .rasa
