"""The compose stack keeps what several processes and hosts share outside any one of them: files in
the object store's private bucket, cache and broker in Redis; and the production settings accept
the environment it gives every portal container."""

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PORTAL_SERVICES = ("web", "worker", "worker-permits", "beat", "migrate")
# What an operator puts in .env (the stack refuses to start without each).
OPERATOR = {"SECRET_KEY": "s" * 64, "POSTGRES_PASSWORD": "owner-pw", "POSTGRES_APP_PASSWORD": "app-pw",
            "SITE_URL": "https://portal.example.gov", "API_WEBHOOK_SECRET_KEYS": "x" * 43 + "=",
            "MINIO_ROOT_PASSWORD": "minio-admin-pw", "S3_SECRET_ACCESS_KEY": "portal-key-pw"}


def interpolated(value: str) -> str:
    """${NAME:?message} and ${NAME:-default} as compose reads them, from OPERATOR."""
    def one(match):
        name, kind, rest = match.groups()
        return OPERATOR.get(name) or (rest if kind == ":-" else "")
    return re.sub(r"\$\{(\w+)(:[?-])([^}]*)\}", one, value)


def services() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_every_portal_container_keeps_its_files_in_the_private_bucket():
    stack = services()
    for name in PORTAL_SERVICES:
        environment = {key: interpolated(str(value)) for key, value in stack[name]["environment"].items()}
        assert {key: environment[key] for key in ("S3_BUCKET", "S3_ENDPOINT_URL", "S3_ACCESS_KEY_ID",
                                                  "S3_SECRET_ACCESS_KEY", "CACHE_URL", "CELERY_BROKER_URL")} == {
            "S3_BUCKET": "portal", "S3_ENDPOINT_URL": "http://objectstore:9000", "S3_ACCESS_KEY_ID": "portal",
            "S3_SECRET_ACCESS_KEY": "portal-key-pw", "CACHE_URL": "redis://redis:6379/1",
            "CELERY_BROKER_URL": "redis://redis:6379/0"}, name
        # migrate waits for the bucket, and everything else for migrate.
        waits_for = "objectstore-bucket" if name == "migrate" else "migrate"
        assert stack[name]["depends_on"][waits_for] == {"condition": "service_completed_successfully"}, name
    # The store publishes no port; the bucket job makes the bucket private and the portal's own user.
    assert "ports" not in stack["objectstore"]
    script = stack["objectstore-bucket"]["command"][0]
    assert "mc mb --ignore-existing store/portal" in script
    assert "mc anonymous set none store/portal" in script
    assert 'mc admin user add store portal "$$S3_SECRET_ACCESS_KEY"' in script


def test_the_production_settings_accept_the_stacks_environment(tmp_path):
    environment = {key: interpolated(str(value)) for key, value in services()["web"]["environment"].items()}
    environment.update(PATH=os.environ["PATH"], PORTAL_VAR_DIR=str(tmp_path / "var"))
    probe = ("import django; django.setup(); from django.conf import settings as s; "
             "print(s.STORAGES['default']['BACKEND'], s.STORAGES['default']['OPTIONS']['bucket_name'], "
             "s.CACHES['default']['BACKEND'], s.CELERY_BROKER_URL)")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=environment, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["core.private_s3.PrivateS3Storage", "portal",
                                     "portal.cache.FailOpenRedisCache", "redis://redis:6379/0"]
