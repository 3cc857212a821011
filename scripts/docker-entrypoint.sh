#!/bin/sh
# The image's entrypoint. `migrate` (the compose stack's one-shot job) connects as the owner of the
# tables, MIGRATE_DATABASE_URL: it migrates, then grants the application role of DATABASE_URL its
# privileges (manage.py db_roles), and creates the audit trail's keys where none are provisioned
# (manage.py audit_keys). Every other command runs as the application role: the owner's address is
# taken out of its environment, whatever the deployment passed.
set -eu
if [ "${1:-}" = "migrate" ]; then
  : "${MIGRATE_DATABASE_URL:?the migrate job connects as the owner of the tables: set MIGRATE_DATABASE_URL}"
  umask 077  # it may create the audit trail's keys (mode 0600 in any case, core.secret_files)
  python manage.py migrate --noinput
  python manage.py db_roles
  exec python manage.py audit_keys
fi
unset MIGRATE_DATABASE_URL
# Prometheus multiprocess mode (portal.metrics): every process of this container counts into the
# directory, which starts empty with the container's main process.
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
  mkdir -p -m 0700 "$PROMETHEUS_MULTIPROC_DIR"
  find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -name '*.db' -type f -delete
fi
exec "$@"
