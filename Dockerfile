# The portal image: one image for web (gunicorn), worker and beat; the command picks the role.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=portal.settings.production \
    PORTAL_VAR_DIR=/var/lib/portal \
    MEDIA_ROOT=/var/lib/portal/media \
    STATIC_ROOT=/app/staticfiles \
    PROMETHEUS_MULTIPROC_DIR=/tmp/portal-metrics \
    METRICS_WORKER_PORT=9808

# WeasyPrint's libraries, HarfBuzz subsetting (fast PDF fonts) and CJK fonts for Chinese text,
# libmagic for checking uploads by content.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk libmagic1 curl \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system portal && useradd --system --gid portal --home /app portal
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# collectstatic needs keys, an address and Redis URLs to import the production settings (it connects to
# nothing); none is kept in the image. build_permit_font cuts the installed CJK font down to what
# permits print (permits/fonts.py) first, so that the subset is among the static files.
RUN SECRET_KEY=build-only-not-a-secret-build-only-not-a-secret-build-only SITE_URL=https://build.invalid \
      API_WEBHOOK_SECRET_KEYS=build-only-not-a-key \
      CACHE_URL=redis://build.invalid:6379/1 CELERY_BROKER_URL=redis://build.invalid:6379/0 \
      sh -c 'python manage.py build_permit_font && python manage.py collectstatic --noinput' \
 && mkdir -p /var/lib/portal/media \
 && chown -R portal:portal /var/lib/portal \
 && install -d -m 0700 -o portal -g portal /var/lib/portal-anchors

USER portal
EXPOSE 8000
# A Celery worker's metrics (portal.worker_metrics); reached inside the stack only.
EXPOSE 9808
# `migrate` runs as the owner of the tables; every other command as the application role. No
# gunicorn access log: the portal logs each request itself, as JSON with its id (portal.request_id).
ENTRYPOINT ["/app/scripts/docker-entrypoint.sh"]
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--max-requests", "1000", "--max-requests-jitter", "100", "--timeout", "30"]
