"""Settings profiles, each read in a fresh interpreter with a controlled environment."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "db = s.DATABASES['default']; print(json.dumps({"
    "'engine': db['ENGINE'], 'name': str(db['NAME']), 'options': db.get('OPTIONS', {}), 'debug': s.DEBUG, "
    "'broker': s.CELERY_BROKER_URL, 'transport': s.CELERY_BROKER_TRANSPORT_OPTIONS, "
    "'email_backend': s.EMAIL_BACKEND, 'email_path': getattr(s, 'EMAIL_FILE_PATH', None), "
    "'email_host': getattr(s, 'EMAIL_HOST', None), 'secret_key': s.SECRET_KEY, 'time_zone': s.TIME_ZONE, "
    "'allowed_hosts': s.ALLOWED_HOSTS, 'acks_late': s.CELERY_TASK_ACKS_LATE, "
    "'prefetch': s.CELERY_WORKER_PREFETCH_MULTIPLIER, 'serializer': s.CELERY_TASK_SERIALIZER, "
    "'site_url': s.SITE_URL, 'silenced': s.SILENCED_SYSTEM_CHECKS}))"
)
KEY = secrets.token_urlsafe(64)
WEBHOOK_KEY = "x" * 43 + "="  # the production profile only asks that one is given
CLEARED = ("DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG", "EMAIL_URL", "ALLOWED_HOSTS", "TIME_ZONE",
           "DJANGO_ALLOW_ASYNC_UNSAFE", "SITE_URL", "PORTAL_PORT", "API_WEBHOOK_SECRET_KEYS", "CACHE_URL", "S3_BUCKET",
           "S3_ENDPOINT_URL", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_PREFIX", "S3_REGION", "METRICS_TOKEN",
           "CELERY_VISIBILITY_TIMEOUT")
SITE = "https://portal.example.gov"
# What production shares between processes and hosts (the profile refuses to start without it).
SHARED = {"CACHE_URL": "redis://redis.internal:6379/1", "CELERY_BROKER_URL": "redis://redis.internal:6379/0"}


def run_profile(profile: str, tmp_path: Path, **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in CLEARED}
    environment.update({"DJANGO_SETTINGS_MODULE": f"portal.settings.{profile}", "PORTAL_VAR_DIR": str(tmp_path / "var"),
                        "API_WEBHOOK_SECRET_KEYS": WEBHOOK_KEY, **(SHARED if profile == "production" else {}), **env})
    environment = {k: v for k, v in environment.items() if v is not None}  # None: not set at all
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=environment, capture_output=True, text=True,
                          timeout=60)


def read_profile(profile: str, tmp_path: Path, **env) -> dict:
    result = run_profile(profile, tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_dev_defaults_need_no_service(tmp_path):
    s = read_profile("dev", tmp_path)
    var = tmp_path / "var"
    assert s["engine"] == "django.db.backends.sqlite3"
    assert s["name"] == str(var / "portal.sqlite3")
    assert s["options"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in s["options"]["init_command"]
    assert s["broker"] == "filesystem://localhost/"
    assert s["transport"]["data_folder_in"] == str(var / "broker" / "queue")
    assert s["email_backend"] == "django.core.mail.backends.filebased.EmailBackend"
    assert s["email_path"] == str(var / "mail")
    # The demo shows citizens the friendly error pages, never Django's debug page: DEBUG is off
    # unless a developer sets DEBUG=1.
    assert s["debug"] is False
    assert read_profile("dev", tmp_path, DEBUG="1")["debug"] is True
    assert (s["acks_late"], s["prefetch"], s["serializer"]) == (True, 1, "json")
    assert s["site_url"] == "http://127.0.0.1:8000"
    # SQLite builds the PostgreSQL covering indexes without their extra columns, as intended.
    assert s["silenced"] == ["models.W040"]


@pytest.mark.parametrize(("visibility", "interval", "throttle"), [
    (None, 10, 10),  # an hour: kombu's own sweep, every 100 s
    ("300", 10, 3),
    ("30", 3, 1),
    ("5", 1, 1),
])
def test_redis_redelivers_after_the_visibility_timeout_and_looks_a_tenth_of_it_apart(tmp_path, visibility, interval,
                                                                                   throttle):
    env = {"CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"}
    if visibility:
        env["CELERY_VISIBILITY_TIMEOUT"] = visibility
    transport = read_profile("dev", tmp_path, **env)["transport"]
    assert transport == {"socket_timeout": 1.0, "socket_connect_timeout": 1.0, "max_retries": 0,
                         "visibility_timeout": int(visibility or 3600), "unacked_restore_interval": interval,
                         "unacked_restore_throttle": throttle}


@pytest.mark.parametrize(("env", "site_url"), [
    ({"PORTAL_PORT": "8080"}, "http://127.0.0.1:8080"),
    ({"PORTAL_PORT": "8080", "SITE_URL": "http://portal.test:9000/"}, "http://portal.test:9000"),
    ({"SITE_URL": "https://demo.example.org"}, "https://demo.example.org"),
])
def test_dev_site_url_follows_the_port_the_server_is_started_on(tmp_path, env, site_url):
    assert read_profile("dev", tmp_path, **env)["site_url"] == site_url


def test_postgresql_keeps_the_covering_index_check(tmp_path):
    assert read_profile("dev", tmp_path, DATABASE_URL="postgres://portal@db.internal:5433/portal")["silenced"] == []


def test_dev_secret_key_is_generated_once_and_private(tmp_path):
    first = read_profile("dev", tmp_path)["secret_key"]
    second = read_profile("dev", tmp_path)["secret_key"]
    key_file = tmp_path / "var" / "secret_key"
    assert first == second == key_file.read_text().strip()
    assert len(first) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_services_come_from_the_environment(tmp_path):
    s = read_profile(
        "dev", tmp_path, DATABASE_URL="postgres://portal@db.internal:5433/portal_prod",
        CELERY_BROKER_URL="redis://cache.internal:6379/2", EMAIL_URL="smtp+tls://mailer:pw@smtp.internal:587",
        SECRET_KEY="k" * 60, TIME_ZONE="Europe/Berlin", ALLOWED_HOSTS="portal.example.gov,www.portal.example.gov",
    )
    assert (s["engine"], s["name"]) == ("django.db.backends.postgresql", "portal_prod")
    assert s["broker"] == "redis://cache.internal:6379/2"
    # A request must never hang on the broker.
    assert s["transport"]["socket_timeout"] == 1.0
    assert s["transport"]["socket_connect_timeout"] == 1.0
    assert s["email_backend"] == "django.core.mail.backends.smtp.EmailBackend"
    assert s["email_host"] == "smtp.internal"
    assert s["secret_key"] == "k" * 60
    assert s["time_zone"] == "Europe/Berlin"
    assert s["allowed_hosts"] == ["portal.example.gov", "www.portal.example.gov"]


@pytest.mark.parametrize("key", [None, "too-short"])
def test_production_refuses_to_start_without_a_real_secret_key(tmp_path, key):
    env = {"SECRET_KEY": key} if key else {}
    result = run_profile("production", tmp_path, **env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set to a random string of at least 50 characters in production." in result.stderr


@pytest.mark.parametrize("site_url", [None, "", "portal.example.gov"])
def test_production_refuses_to_start_without_an_explicit_site_url(tmp_path, site_url):
    env = {"SITE_URL": site_url} if site_url is not None else {}
    result = run_profile("production", tmp_path, SECRET_KEY=KEY, PORTAL_PORT="8080", **env)
    assert result.returncode != 0
    assert "SITE_URL must be set to the portal's public address (https://...) in production." in result.stderr


def test_production_refuses_to_start_without_keys_for_the_webhook_secrets(tmp_path):
    result = run_profile("production", tmp_path, SECRET_KEY=KEY, SITE_URL=SITE, API_WEBHOOK_SECRET_KEYS="")
    assert result.returncode != 0
    assert "API_WEBHOOK_SECRET_KEYS must be set in production" in result.stderr


def test_production_refuses_a_metrics_token_that_could_be_guessed(tmp_path):
    result = run_profile("production", tmp_path, SECRET_KEY=KEY, SITE_URL=SITE, METRICS_TOKEN="x" * 31)
    assert result.returncode != 0
    assert "METRICS_TOKEN must be at least 32 random characters, or unset (metrics off)." in result.stderr
    for token in ("", "x" * 32):
        assert run_profile("production", tmp_path, SECRET_KEY=KEY, SITE_URL=SITE, METRICS_TOKEN=token).returncode == 0


def test_production_takes_the_site_url_as_given_whatever_the_port(tmp_path):
    assert read_profile("production", tmp_path, SECRET_KEY=KEY, SITE_URL=SITE + "/", PORTAL_PORT="8080")["site_url"] == SITE


def test_production_passes_the_deployment_checks(tmp_path):
    environment = {k: v for k, v in os.environ.items() if k not in CLEARED}
    environment.update(DJANGO_SETTINGS_MODULE="portal.settings.production", PORTAL_VAR_DIR=str(tmp_path / "var"),
                       SECRET_KEY=KEY, SITE_URL=SITE, API_WEBHOOK_SECRET_KEYS=WEBHOOK_KEY, **SHARED)
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                            env=environment, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    s = read_profile("production", tmp_path, SECRET_KEY=KEY, SITE_URL=SITE)
    assert s["debug"] is False


@pytest.mark.parametrize(("cache_url", "backend"), [
    (None, "django.core.cache.backends.locmem.LocMemCache"),
    ("locmemcache://", "django.core.cache.backends.locmem.LocMemCache"),
    ("dummycache://", "django.core.cache.backends.dummy.DummyCache"),
    ("filecache:///var/tmp/portal-cache", "django.core.cache.backends.filebased.FileBasedCache"),
])
def test_production_refuses_a_cache_kept_per_process_or_per_host(tmp_path, cache_url, backend):
    result = run_profile("production", tmp_path, SECRET_KEY=KEY, SITE_URL=SITE, CACHE_URL=cache_url)
    assert result.returncode != 0
    assert (f"ImproperlyConfigured: CACHE_URL must name a Redis server in production (e.g. redis://redis:6379/1): "
            f"the 'default' cache ({backend}) would keep rate limits, throttles and counters per process, not shared "
            "by every process and host.") in result.stderr


@pytest.mark.parametrize(("broker", "given"), [
    (None, "filesystem"), ("", "an empty one"), ("filesystem://localhost/", "filesystem"), ("memory://", "memory"),
])
def test_production_refuses_a_broker_that_is_not_redis(tmp_path, broker, given):
    result = run_profile("production", tmp_path, SECRET_KEY=KEY, SITE_URL=SITE, CELERY_BROKER_URL=broker)
    assert result.returncode != 0
    assert (f"ImproperlyConfigured: CELERY_BROKER_URL must name a Redis server in production (e.g. redis://redis:6379/0): "
            f"{given} would keep nudges on one host, out of other hosts' workers' reach.") in result.stderr


STORAGE_PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "o = s.STORAGES['default'].get('OPTIONS', {}); c = o.get('client_config'); print(json.dumps({"
    "'backend': s.STORAGES['default']['BACKEND'], 'static': s.STORAGES['staticfiles']['BACKEND'], "
    "'options': {k: v for k, v in o.items() if k != 'client_config'}, "
    "'timeouts': c and [c.connect_timeout, c.read_timeout]}))"
)


def read_storage(profile: str, tmp_path: Path, **env) -> dict:
    environment = {k: v for k, v in os.environ.items() if k not in CLEARED}
    environment.update({"DJANGO_SETTINGS_MODULE": f"portal.settings.{profile}", "PORTAL_VAR_DIR": str(tmp_path / "var"),
                        "API_WEBHOOK_SECRET_KEYS": WEBHOOK_KEY, "SECRET_KEY": KEY, "SITE_URL": SITE, **SHARED, **env})
    result = subprocess.run([sys.executable, "-c", STORAGE_PROBE], cwd=ROOT, env=environment, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_files_stay_on_the_file_system_without_a_bucket(tmp_path):
    s = read_storage("production", tmp_path)
    assert s["backend"] == "django.core.files.storage.FileSystemStorage"
    assert s["options"] == {}
    assert s["static"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_a_bucket_puts_files_in_a_private_s3_compatible_store(tmp_path):
    s = read_storage("production", tmp_path, S3_BUCKET="portal-files", S3_ENDPOINT_URL="http://minio:9000",
                     S3_ACCESS_KEY_ID="portal", S3_SECRET_ACCESS_KEY="minio-secret", S3_PREFIX="/city/")
    assert s["backend"] == "core.private_s3.PrivateS3Storage"
    assert s["options"] == {
        "bucket_name": "portal-files", "endpoint_url": "http://minio:9000", "region_name": "us-east-1",
        "access_key": "portal", "secret_key": "minio-secret", "location": "city", "addressing_style": "path",
        "verify": None, "default_acl": None, "querystring_auth": False, "file_overwrite": False,
        "max_memory_size": 2 * 1024 * 1024,
    }
    assert s["timeouts"] == [2.0, 20.0]
    assert s["static"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    # Amazon S3 itself: no endpoint, boto3's own credentials chain, its own addressing.
    aws = read_storage("dev", tmp_path, S3_BUCKET="portal-files", S3_REGION="cn-north-1")["options"]
    assert (aws["endpoint_url"], aws["access_key"], aws["secret_key"], aws["region_name"], aws["addressing_style"]) == (
        None, None, None, "cn-north-1", "auto")


def test_every_folder_with_tests_is_collected():
    """A folder missing from pytest's testpaths would silently never run in CI."""
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    testpaths = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["testpaths"]
    folders = {p.relative_to(root).parts[0] for p in root.glob("*/**/test_*.py") if ".venv" not in p.parts
               and not p.relative_to(root).parts[0].startswith(".")}
    assert folders <= set(testpaths), sorted(folders - set(testpaths))
