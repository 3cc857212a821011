"""Real Celery workers, a broker that hangs, and the reconciler, for the reliability tests.

A test gets a unique queue: the test process publishes to it (``celery_queue``) and every
worker it starts (``start_worker``) consumes only it, so stale messages from other runs never
reach them. Workers run ``celery -A portal worker`` in their own process group against the
test's PostgreSQL database (as the application role) and Redis, with PORTAL_VAR_DIR and MEDIA_ROOT in
the test's tmp dir.

This module is also imported inside each worker (``--include``): there it writes a ready file
when the worker starts consuming, and sends mail to files the test can count."""

import functools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest

from approvals.reconcile import reconcile
from core.nudges import reset_backoff
from portal.celery import app
from tests.services import redis_url

__all__ = ["celery_queue", "start_worker"]  # the fixtures; import helpers by name

ROOT = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).with_name("celery"))
READY_FILE_ENV = "PORTAL_TEST_WORKER_READY_FILE"
MAIL_DIR_ENV = "PORTAL_TEST_MAIL_DIR"
# How long a claimed permit render or email stays claimed in the workers started here. Short,
# so work claimed by a killed worker is taken over quickly; long enough that a render is never
# claimed twice while it runs.
WORKER_CLAIM_SECONDS = 8
MAIL_SEPARATOR = b"-" * 79


# --- Inside the worker -----------------------------------------------------------------------


def _install_worker_hooks() -> None:
    from celery.signals import worker_ready

    ready_file = os.environ[READY_FILE_ENV]

    @worker_ready.connect(weak=False)
    def _ready(**kwargs):
        Path(ready_file).write_text(str(os.getpid()))

    if mail_dir := os.environ.get(MAIL_DIR_ENV):
        from django.conf import settings

        settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
        settings.EMAIL_FILE_PATH = mail_dir


if os.environ.get(READY_FILE_ENV):
    _install_worker_hooks()


# --- Waiting -----------------------------------------------------------------------------------


def wait_for(check, *, timeout: float, what: str, every: float = 0.2, between=None, details=None):
    """Call ``check`` until it returns something truthy and return that; fail after ``timeout``
    seconds saying ``what`` was awaited (plus ``details()``). ``between`` runs before each retry."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            extra = f"\n{details()}" if details else ""
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}{extra}")
        if between:
            between()
        time.sleep(every)


def reconcile_now() -> dict:
    """One run of the beat reconciler, resending everything still undone (no age threshold)."""

    reset_backoff()
    return reconcile(older_than_seconds=0)


# --- Redis ---------------------------------------------------------------------------------------


@functools.cache
def redis_client():
    import redis


    return redis.Redis.from_url(redis_url(), socket_timeout=5, socket_connect_timeout=5)


def _unacked_tags(queue: str) -> set[bytes]:
    """Delivery tags of the messages of ``queue`` delivered to a worker and not yet acknowledged
    (kombu keeps them in one hash per Redis database, as [message, exchange, routing key])."""
    tags = set()
    for tag, entry in redis_client().hgetall("unacked").items():
        with suppress(ValueError, IndexError, TypeError):
            if json.loads(entry)[2] == queue:
                tags.add(tag)
    return tags


def unacked(queue: str) -> int:
    return len(_unacked_tags(queue))


def broker_idle(queue: str, *, unacked_left: int = 0) -> bool:
    """Nothing waiting in the queue and nothing delivered but unacknowledged, apart from
    ``unacked_left`` messages a killed worker took with it."""
    return redis_client().llen(queue) == 0 and unacked(queue) <= unacked_left


def redeliver_unacked(queue: str, *, timeout: float = 20) -> int:
    """What Redis does once the visibility timeout has passed: put every unacknowledged message
    of the database back on its queue (the database is the test's own: ``celery_queue`` flushed
    it). Returns how many of them were ``queue``'s."""
    from kombu import Connection


    tags = _unacked_tags(queue)
    deadline = time.monotonic() + timeout
    # A worker may hold the restore mutex for a moment: retry until every one has left the set.
    while tags & set(redis_client().hkeys("unacked")):
        if time.monotonic() > deadline:
            pytest.fail(f"could not redeliver {len(tags)} unacknowledged messages")
        with Connection(redis_url(), transport_options={"visibility_timeout": 0}) as conn:
            conn.default_channel.qos.restore_visible(num=10_000)
        time.sleep(0.1)
    return len(tags)


# --- The test process publishes to the test's queue -------------------------------------------------


def _reset_producer_pool(app) -> None:
    # Pools are shared per broker URL (kombu.pools): drop the app's references, never close them.
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def publishing_to(*, broker_url: str, queue: str):
    """Point this process's Celery app at ``broker_url`` and route every task to ``queue``.

    CELERY_BROKER_URL in the environment wins over the app's configuration, so it is set too;
    the cached connection and producer pools are dropped so the next publish connects anew."""

    conf = app.conf
    saved_env = os.environ.get("CELERY_BROKER_URL")
    saved = {key: conf[key] for key in ("broker_url", "task_default_queue", "task_routes")}
    os.environ["CELERY_BROKER_URL"] = broker_url
    conf.update(broker_url=broker_url, task_default_queue=queue, task_routes={"*": {"queue": queue}})
    _reset_producer_pool(app)
    try:
        yield
    finally:
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env
        conf.update(saved)
        _reset_producer_pool(app)


@pytest.fixture
def celery_queue():
    """A queue of this test's own on a flushed Redis database; this process publishes to it."""

    redis_client().flushdb()
    queue = f"reliability-{uuid.uuid4().hex[:10]}"
    reset_backoff()
    with publishing_to(broker_url=redis_url(), queue=queue):
        yield queue
    reset_backoff()


# --- Workers -------------------------------------------------------------------------------------


def _database_url(role: dict | None = None) -> str:
    """The test database, as the application role when it is given (tests.database_roles)."""
    from django.conf import settings

    db = {**settings.DATABASES["default"], **(role or {})}  # pytest-django has renamed it to the test database
    auth = quote(db.get("USER") or "postgres", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


class Worker:
    """One ``celery -A portal worker`` process group serving one queue."""

    def __init__(self, *, queue: str, directory: Path, name: str, concurrency: int = 2, mail_dir: Path | None = None,
                 claim_seconds: int = WORKER_CLAIM_SECONDS, database_role: dict | None = None,
                 media_root: Path | None = None, log_level: str = "warning", env: dict | None = None):
        from django.conf import settings

        self.name = name
        self.queue = queue
        self.log_path = directory / f"{name}.log"
        self.ready_file = directory / f"{name}.ready"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.test",
            "DATABASE_URL": _database_url(database_role),
            "CELERY_BROKER_URL": redis_url(),
            "CELERY_QUEUE": queue,
            "PORTAL_VAR_DIR": str(directory / "var"),
            # A disk of its own stands for a worker on another host (its files in the bucket: tests/s3_server.py).
            "MEDIA_ROOT": str(media_root or settings.MEDIA_ROOT),
            "PORTAL_RECONCILE_AFTER_SECONDS": str(claim_seconds),
            # The keys and checkpoints of the chain the test verifies.
            "AUDIT_CHAIN_KEYS_FILE": str(settings.AUDIT_CHAIN_KEYS_FILE),
            "AUDIT_ANCHOR_KEY_FILE": str(settings.AUDIT_ANCHOR_KEY_FILE),
            "AUDIT_ANCHOR_DIR": str(settings.AUDIT_ANCHOR_DIR),
            # The key of the webhook secrets the test made, and whether its receiver on 127.0.0.1 is allowed.
            "API_WEBHOOK_SECRET_KEYS": ",".join(settings.API_WEBHOOK_SECRET_KEYS),
            "API_WEBHOOK_ALLOW_LOOPBACK": "1" if settings.API_WEBHOOK_ALLOW_LOOPBACK else "0",
            "LOG_LEVEL": log_level.upper(),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            READY_FILE_ENV: str(self.ready_file),
            **(env or {}),
        }
        for key in ("CELERY_PERMITS_QUEUE", "CELERY_MAIL_QUEUE", "CELERY_BROKER_READ_URL", "CELERY_BROKER_WRITE_URL",
                    "MIGRATE_DATABASE_URL", MAIL_DIR_ENV):
            env.pop(key, None)
        if mail_dir is not None:
            mail_dir.mkdir(parents=True, exist_ok=True)
            env[MAIL_DIR_ENV] = str(mail_dir)
        self.env = env
        self.command = [
            CELERY, "-A", "portal", "worker", "-P", "prefork", "-c", str(concurrency), "-Q", queue,
            "-n", f"{name}-{uuid.uuid4().hex[:6]}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "-l", log_level, "--include", "tests.celery_worker",
        ]
        self.process: subprocess.Popen | None = None

    def start(self, *, timeout: float = 60) -> "Worker":
        self.ready_file.unlink(missing_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)

        def ready():
            if self.process.poll() is not None:
                pytest.fail(f"worker {self.name} exited with {self.process.returncode} before it was ready\n{self.log()}")
            return self.ready_file.exists()

        wait_for(ready, timeout=timeout, what=f"worker {self.name} to consume {self.queue}", details=self.log)
        return self

    def kill(self) -> None:
        """SIGKILL the whole process group: the main process and every pool child, mid-task."""
        if self.process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, *, timeout: float = 20) -> None:
        """Warm shutdown (running tasks finish), then SIGKILL whatever is left of the group."""
        if self.process is None:
            return
        if self.process.poll() is None:
            with suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        self.kill()

    def log(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return f"(no log for worker {self.name})"
        return f"--- last lines of {self.log_path} ---\n" + "\n".join(text[-lines:])


@pytest.fixture
def start_worker(transactional_db, celery_queue, tmp_path, application_role):
    """Start real workers on the test's queue, connected as the application role, as in production;
    every one is stopped when the test ends, before the database is flushed."""
    workers = []

    def _start(name: str = "worker", **kwargs) -> Worker:
        worker = Worker(queue=celery_queue, directory=tmp_path, name=f"{name}{len(workers) + 1}",
                        database_role=application_role, **kwargs)
        workers.append(worker)
        return worker.start()

    yield _start
    for worker in workers:
        worker.stop()


def mails_in(directory: Path) -> int:
    """How many messages Django's file-based backend wrote under ``directory``."""
    return sum(path.read_bytes().count(MAIL_SEPARATOR) for path in directory.glob("*.log"))


# --- A broker that accepts connections and never answers ---------------------------------------------


class HungBroker:
    """A TCP endpoint in front of Redis. While ``hung``, it accepts connections and never
    answers (the failure that makes a plain ``.delay()`` hang); ``recover()`` drops those
    connections, as a restarting broker would, and forwards every new one to Redis."""

    def __init__(self, target_url: str):
        parsed = urlparse(target_url)
        self.target = (parsed.hostname or "127.0.0.1", parsed.port or 6379)
        self.db = parsed.path.lstrip("/") or "0"
        self.hung = True
        self.held: list[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port = self.listener.getsockname()[1]
        self.accepted = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/{self.db}"

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            if self.hung:
                self.held.append(client)
                continue
            upstream = socket.create_connection(self.target, timeout=5)
            upstream.settimeout(None)
            self.held += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def recover(self):
        self.hung = False
        held, self.held = self.held, []
        for conn in held:
            with suppress(OSError):
                conn.close()

    def close(self):
        with suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        self.listener.close()
        for conn in self.held:
            with suppress(OSError):
                conn.close()
