#!/usr/bin/env bash
# Make sure the PostgreSQL and Redis that the tests use answer, starting the local servers if
# they are installed but stopped. Prints the environment to use; with STRICT=1 a service that
# cannot be reached is an error, otherwise the tests fall back to SQLite and say so.
set -uo pipefail

DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/portal}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/15}
STRICT=${STRICT:-0}

hostport() { python3 -c 'import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p.hostname or "127.0.0.1", p.port or int(sys.argv[2]))' "$1" "$2"; }
read -r pg_host pg_port < <(hostport "$DATABASE_URL" 5432)
read -r redis_host redis_port < <(hostport "$REDIS_URL" 6379)

pg_up() { pg_isready -q -h "$pg_host" -p "$pg_port" 2>/dev/null; }
redis_up() { redis-cli -h "$redis_host" -p "$redis_port" ping 2>/dev/null | grep -q PONG; }

if ! pg_up && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  echo "Starting PostgreSQL" >&2
  for version in /etc/postgresql/*; do
    pg_ctlcluster --skip-systemctl-redirect "$(basename "$version")" main start >&2 || true
  done
  for _ in $(seq 20); do pg_up && break; sleep 0.5; done
fi
if ! redis_up && command -v redis-server >/dev/null; then
  echo "Starting Redis" >&2
  mkdir -p /tmp/portal-redis
  redis-server --daemonize yes --bind "$redis_host" --port "$redis_port" --save "" --appendonly no \
    --dir /tmp/portal-redis --logfile /tmp/portal-redis/redis.log >&2 || true
  for _ in $(seq 20); do redis_up && break; sleep 0.5; done
fi

ok=1
pg_up || { echo "PostgreSQL does not answer at $pg_host:$pg_port" >&2; ok=0; }
redis_up || { echo "Redis does not answer at $redis_host:$redis_port" >&2; ok=0; }
if [ "$ok" = 0 ] && [ "$STRICT" = 1 ]; then
  echo "STRICT=1: the tests need real PostgreSQL and Redis." >&2
  exit 1
fi
# Two roles, as in production: the owner (MIGRATE_DATABASE_URL) creates and migrates the test
# database, the application role (DATABASE_URL) is what the workers and the privilege tests use.
# Given one URL, it names the owner and the application role is portal_app on the same server.
if [ -z "${MIGRATE_DATABASE_URL:-}" ]; then
  MIGRATE_DATABASE_URL=$DATABASE_URL
  DATABASE_URL=$(python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); host=p.netloc.rsplit("@",1)[-1]; print(p._replace(netloc="portal_app:portal_app@"+host).geturl())' "$DATABASE_URL")
fi
if pg_up; then echo "export MIGRATE_DATABASE_URL=$MIGRATE_DATABASE_URL DATABASE_URL=$DATABASE_URL"; else
  echo "!!! PostgreSQL missing: tests run on SQLite and skip what needs row locks !!!" >&2
  echo "unset DATABASE_URL MIGRATE_DATABASE_URL"
fi
echo "export REDIS_URL=$REDIS_URL"
if redis_up; then echo "export CELERY_BROKER_URL=$REDIS_URL"; else
  echo "!!! Redis missing: the tests with a real Celery worker are skipped !!!" >&2
  echo "unset CELERY_BROKER_URL"
fi
