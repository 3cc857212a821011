"""Which real services a test run has: PostgreSQL through DATABASE_URL, Redis through REDIS_URL."""

import functools
import os
from urllib.parse import urlparse

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def postgres_configured() -> bool:
    return urlparse(os.environ.get("DATABASE_URL", "")).scheme in ("postgres", "postgresql", "pgsql")


def redis_url() -> str:
    return os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)


@functools.cache
def redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(redis_url(), socket_timeout=1, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def require_tool(present: bool, message: str) -> None:
    """A test that needs a tool the bootstrap installs: skipped without it, failed under STRICT=1
    (CI), so that a machine missing it can never pass by skipping."""
    import pytest

    if present:
        return
    if os.environ.get("STRICT") == "1":
        pytest.fail(f"STRICT=1: {message}")
    pytest.skip(message)


def stop_process(process) -> None:
    """End a process the tests started (a subprocess.Popen): SIGTERM, then SIGKILL after 5 s."""
    import subprocess

    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def wait_until_answering(url: str, *, seconds: float, what: str) -> None:
    """Poll ``url`` until it answers 200 (a process of the tests' own just started); TimeoutError
    naming ``what`` after ``seconds``."""
    import time

    import httpx

    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not answer")
        time.sleep(0.05)
