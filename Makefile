# The two commands a newcomer types: `make run` and `make test`. See README.md.
.PHONY: run test bench bench-scale bench-load faults lint check messages screenshots clean

PORT ?= 8000
PY := .venv/bin/python
# Tests and benchmarks use real PostgreSQL and Redis (scripts/services.sh starts them if installed).
export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal
export REDIS_URL ?= redis://127.0.0.1:6379/15

# scripts/run.py migrates, loads the demo and runs the Procfile; PORTAL_PORT reaches every process.
run:
	@scripts/bootstrap.sh
	@env -u DATABASE_URL -u MIGRATE_DATABASE_URL -u REDIS_URL PORTAL_PORT=$(PORT) $(PY) scripts/run.py

test:
	@scripts/bootstrap.sh --dev
	@services=$$(scripts/services.sh) && eval "$$services" && \
	  DJANGO_SETTINGS_MODULE=portal.settings.test .venv/bin/pytest $(PYTEST_ARGS)

bench:
	@scripts/bootstrap.sh --dev
	@services=$$(STRICT=1 scripts/services.sh) && eval "$$services" && $(PY) bench/run.py

# The multi-host run (bench/scale.py): root, iproute2, socat and redis-server; its own database.
bench-scale:
	@scripts/bootstrap.sh --dev
	@services=$$(STRICT=1 scripts/services.sh) && eval "$$services" && $(PY) bench/scale.py

# The load test (bench/load/run.py): Locust against gunicorn and the workers on a fresh database,
# after its scenario's test (tests/test_load_scenario.py, marked load: not in `make test`).
bench-load:
	@scripts/bootstrap.sh --dev
	@services=$$(STRICT=1 scripts/services.sh) && eval "$$services" && \
	  DJANGO_SETTINGS_MODULE=portal.settings.test .venv/bin/pytest -q -m load tests/test_load_scenario.py && \
	  $(PY) bench/load/run.py

# The fault suite (bench/faults/run.py, docs/reliability.md): root, PostgreSQL 15's server binaries
# and redis-server; it starts its own servers. Far too long for CI.
faults:
	@scripts/bootstrap.sh --dev
	@$(PY) bench/faults/run.py

lint:
	@.venv/bin/ruff check .
	@.venv/bin/lint-imports --no-logo

check:
	@$(PY) manage.py check
	@$(PY) manage.py makemigrations --check --dry-run

messages:
	@$(PY) manage.py makemessages -l zh_Hans --ignore '.venv/*' --ignore 'node_modules/*' --ignore 'var/*' --ignore 'tests/*' --ignore '*/tests/*' --no-obsolete --add-location file
	@$(PY) manage.py compilemessages -l zh_Hans --ignore '.venv/*'

screenshots:
	@scripts/bootstrap.sh --dev
	@$(PY) scripts/screenshots.py

clean:
	rm -rf var/ .pytest_cache .ruff_cache
