"""The compose stack's processes on this machine (docker-compose.yml, Dockerfile): a Redis of the
run's own (broker in database 0, cache in 1, as compose), gunicorn with the image's workers and
recycling, the routing worker (queue ``portal``), the permits-and-mail worker and one beat.

Settings: portal.settings.dev with DEBUG off, WhiteNoise serving the static files, PROXY_COUNT=1
(compose's proxy writes the client's address into X-Forwarded-For: the load test's clients write
their own, one per simulated person, as the proxy would for people at different addresses)."""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from multihost.processes import Processes, free_port, require, wait_for_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# The image's command (Dockerfile): three sync workers, recycled after 1,000 ± 100 requests.
GUNICORN_ARGS = ["--workers", "3", "--max-requests", "1000", "--max-requests-jitter", "100", "--timeout", "30"]


def portal_env(run_dir: Path, database_url: str, redis_url: str, port: int) -> dict:
    return {
        **os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.dev", "DEBUG": "false", "MIGRATE_DATABASE_URL": "",
        "DATABASE_URL": database_url, "CELERY_BROKER_URL": f"{redis_url}/0", "CACHE_URL": f"{redis_url}/1",
        "PORTAL_VAR_DIR": str(run_dir / "var"), "MEDIA_ROOT": str(run_dir / "media"),
        "CELERY_PERMITS_QUEUE": "permits", "CELERY_MAIL_QUEUE": "mail", "PROXY_COUNT": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "SITE_URL": f"http://127.0.0.1:{port}", "PORTAL_PORT": str(port), "LOG_LEVEL": "WARNING",
    }


def start_redis(processes: Processes, run_dir: Path) -> str:
    port = free_port("127.0.0.1")
    processes.start("redis", [require("redis-server", "redis-server"), "--bind", "127.0.0.1", "--port", str(port),
                              "--save", "", "--appendonly", "no", "--dir", str(run_dir)], env=dict(os.environ),
                    cwd=run_dir)
    wait_for_port("127.0.0.1", port, timeout=20, process=processes.running["redis"])
    return f"redis://127.0.0.1:{port}"


def start_portal(processes: Processes, env: dict, port: int) -> None:
    """gunicorn, the two workers and beat as compose runs them; returns once all are ready."""
    celery = [str(BIN / "celery"), "-A", "portal"]
    commands = {
        "web": [str(BIN / "gunicorn"), "portal.wsgi:application", "--bind", f"127.0.0.1:{port}", *GUNICORN_ARGS],
        "worker": [*celery, "worker", "-Q", "portal", "--concurrency", "2", "-l", "info", "-n", "worker@%h"],
        "worker-permits": [*celery, "worker", "-Q", "permits,mail", "--concurrency", "2", "-l", "info",
                           "-n", "permits@%h"],
        "beat": [*celery, "beat", "-l", "warning", "--schedule", env["PORTAL_VAR_DIR"] + "/celerybeat-schedule"],
    }
    for name, argv in commands.items():
        processes.start(name, argv, env=env, cwd=ROOT)
    wait_for_port("127.0.0.1", port, timeout=120, process=processes.running["web"])
    for name in ("worker", "worker-permits"):
        deadline = time.monotonic() + 120
        while b" ready." not in processes.log(name).read_bytes():
            if time.monotonic() > deadline or processes.running[name].poll() is not None:
                raise RuntimeError(f"{name} did not start:\n{processes.log(name).read_text()[-2000:]}")
            time.sleep(0.2)
