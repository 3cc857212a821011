#!/usr/bin/env bash
# schemathesis against the live API schema: a fresh database with the demo data, the portal
# served by gunicorn on a free local port, then one run each with a department, a citizen and a
# front-desk token. Fails on any server error or any response that does not match the schema.
#
#   scripts/api_schemathesis.sh            (SCHEMATHESIS_EXAMPLES=N to generate more per operation)
set -euo pipefail
umask 077  # the scratch directory holds API tokens: nothing it creates is readable by others
cd "$(dirname "$0")/.."
services=$(STRICT=1 scripts/services.sh) && eval "$services"

PY=.venv/bin/python
root=$(pwd)
db_name="portal_schemathesis_$$"
# The owner creates, migrates and seeds the scratch database; the server runs as the application role.
owner_url="${MIGRATE_DATABASE_URL:-$DATABASE_URL}"
owner_url="${owner_url%/*}/$db_name"
export DATABASE_URL="${DATABASE_URL%/*}/$db_name"
unset MIGRATE_DATABASE_URL
export DJANGO_SETTINGS_MODULE=portal.settings.test
export PORTAL_VAR_DIR
PORTAL_VAR_DIR=$(mktemp -d)
export MEDIA_ROOT="$PORTAL_VAR_DIR/media"
export CELERY_BROKER_URL=memory://  # nudges only: the state they point to is in the database
export API_TOKEN_RATE=100000/min API_PUBLIC_RATE=100000/min
admin_url="${owner_url%/*}/postgres"

psql_do() { "$PY" -c 'import sys, psycopg; c = psycopg.connect(sys.argv[1], autocommit=True); c.execute(sys.argv[2])' "$admin_url" "$1"; }
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  psql_do "DROP DATABASE IF EXISTS $db_name WITH (FORCE)" || true
  rm -rf "$PORTAL_VAR_DIR"
}
trap cleanup EXIT
psql_do "CREATE DATABASE $db_name"

MIGRATE_DATABASE_URL=$owner_url "$PY" manage.py migrate --noinput -v 0
if [ "$owner_url" != "$DATABASE_URL" ]; then MIGRATE_DATABASE_URL=$owner_url "$PY" manage.py db_roles >/dev/null; fi
MIGRATE_DATABASE_URL=$owner_url "$PY" manage.py seed_demo >/dev/null
MIGRATE_DATABASE_URL=$owner_url TOKENS_FILE="$PORTAL_VAR_DIR/tokens" "$PY" manage.py shell -c '
import os
from accounts.models import Role, User
from api.models import TokenKind
from api.services import api_token_create
from departments.models import Department
department = Department.objects.order_by("code").first()
citizen = User.objects.filter(role=Role.CITIZEN).order_by("pk").first()
print(api_token_create(kind=TokenKind.DEPARTMENT, name="schemathesis", department=department)[1],
      api_token_create(kind=TokenKind.CITIZEN, name="schemathesis", user=citizen)[1],
      api_token_create(kind=TokenKind.FRONT_DESK, name="schemathesis")[1],
      file=open(os.environ["TOKENS_FILE"], "w"))'
read -r dept_token citizen_token desk_token < "$PORTAL_VAR_DIR/tokens"

port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
.venv/bin/gunicorn portal.wsgi:application --bind "127.0.0.1:$port" --workers 2 --timeout 60 \
  --log-level warning --error-logfile "$PORTAL_VAR_DIR/gunicorn.log" &
server_pid=$!

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
status=0
for token in "$dept_token" "$citizen_token" "$desk_token"; do
  # Run from the scratch directory: schemathesis keeps its working files in the current one.
  (cd "$PORTAL_VAR_DIR" && "$root/.venv/bin/schemathesis" run "http://127.0.0.1:$port/api/schema/" --wait-for-schema 30 \
    -H "Authorization: Bearer $token" --checks "$checks" -n "${SCHEMATHESIS_EXAMPLES:-25}" \
    --seed 2026 --no-color --request-timeout 30 --generation-database none) || status=1
done
if [ -s "$PORTAL_VAR_DIR/gunicorn.log" ]; then
  grep -E "Traceback|Error" "$PORTAL_VAR_DIR/gunicorn.log" | head -20 >&2 || true
fi
exit $status
