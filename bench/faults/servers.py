"""The run's own PostgreSQL cluster and redis-server, on free ports in temporary directories, so
that stopping, pausing or emptying them touches nobody else's work. PostgreSQL is started the
way the suite's own servers are (tests/postgres_servers.py), as the `postgres` user under root."""

import os
import shutil
import signal
import subprocess
import time
from contextlib import suppress
from pathlib import Path

import psycopg

from tests.postgres_servers import (
    POSTGRES_BIN,
    SERVER_USER,
    _as_server_user,
    _run,
    _server_directory,
    _start,
    _wait_for,
    free_port,
)


class PostgresCluster:
    """initdb'd in a temporary directory; ``stop``/``start``/``restart`` are the faults."""

    def __init__(self):
        self._directory = _server_directory("portal-faults-pg-")
        self.port = free_port()

    def __enter__(self):
        self.data = self._directory.__enter__() / "data"
        _run([POSTGRES_BIN / "initdb", "-D", self.data, "-U", SERVER_USER, "--auth=trust", "--encoding=UTF8",
              "--locale=C.UTF-8"])
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop(mode="immediate")
        self._directory.__exit__(*exc)

    def url(self, database: str) -> str:
        return f"postgres://{SERVER_USER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        _start(self.data, self.port, "-c max_connections=200", "-c shared_buffers=64MB")
        _wait_for(self.port, "postgres")

    def stop(self, *, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(_as_server_user([POSTGRES_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop"]),
                           capture_output=True, timeout=120)

    def restart(self) -> None:
        """A fast shutdown (open transactions rolled back, sessions ended), then start."""
        self.stop(mode="fast")
        self.start()

    def sql(self, database: str, statement: str, params=()):
        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else None


class RedisServer:
    """No persistence (no RDB, no AOF): a restart comes back empty, as a lost Redis does."""

    def __init__(self, directory: Path):
        self.directory, self.port = directory, free_port()
        self.binary = shutil.which("redis-server")
        if not self.binary:
            raise SystemExit("redis-server is missing: apt-get install -y --no-install-recommends redis-server")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = open(self.directory / "redis.log", "ab")  # noqa: SIM115 (the process keeps it)
        self.process = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 20
        while subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).stdout != b"PONG\n":
            if time.monotonic() > deadline:
                raise TimeoutError("redis-server did not answer")
            time.sleep(0.1)

    def stop(self) -> None:
        """Killed: what it held in memory is gone."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def pause(self) -> None:
        """Connections are still accepted, nothing answers (SIGSTOP): the hang a client must not wait on."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        with suppress(ProcessLookupError):
            self.resume()
        self.stop()
