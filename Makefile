# Two commands for a fresh machine: `make run` and `make test`.
# The first Python 3.11 or newer on the PATH (Django 5.2 runs on 3.10 to 3.13); PYTHON=... to choose.
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; \
	done)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run serve test test-postgres bench loadtest lint format setup superuser

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (none found on the PATH): install it, or make PYTHON=/path/to/python3" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever the project's dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput

run: setup
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Production serving: gunicorn with uvicorn workers (gunicorn.conf.py: ASGI, so slow clients
# never hold a worker; one worker a core and one spare), DEBUG off, static files collected,
# compressed and cached forever by hashed name. Set SECRET_KEY (and DATABASE_URL,
# ALLOWED_HOSTS, HTTPS...) in the environment; without one, a random key is made for this run
# only (sessions end with it).
serve: setup
	@export DEBUG=false SECRET_KEY="$${SECRET_KEY:-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')}"; \
	$(BIN)/python manage.py collectstatic --noinput -v0 && \
	exec $(BIN)/gunicorn --config gunicorn.conf.py --bind 127.0.0.1:$(PORT) \
		--access-logfile - --log-level info

test: $(VENV)/.installed
	$(BIN)/python -m pytest

# The suite against a throwaway local PostgreSQL (installed from Debian's packages if missing).
test-postgres: $(VENV)/.installed
	.ci/with-postgres $(BIN)/python -m pytest

bench: $(VENV)/.installed
	$(BIN)/python -m bench

# The server as make serve runs it, on loopback (wrk from Debian's packages): 50 clients for
# 60 s, alone and while three strangers loop on the heaviest anonymous page; slow clients;
# concurrent saves of one scenario; a restart mid-save. SECONDS=10 for a quick look.
SECONDS ?= 60
loadtest: $(VENV)/.installed
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python -m bench.load --seconds $(SECONDS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy billing calculator
	$(BIN)/lint-imports

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

superuser: setup
	$(BIN)/python manage.py createsuperuser
