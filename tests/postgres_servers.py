"""Database servers a test starts for itself: a PostgreSQL primary with a streaming replica, and
PgBouncer in transaction pooling mode. Each runs from a temporary directory on a free port as an
ordinary user (PostgreSQL and PgBouncer refuse to run as root: as root they run as `postgres`), and
is stopped, its directory deleted, when the test ends, also after a failure."""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

POSTGRES_BIN = Path(os.environ.get("POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
SERVER_USER = "postgres"


def postgres_present() -> bool:
    return all((POSTGRES_BIN / tool).is_file() for tool in ("initdb", "pg_ctl", "pg_basebackup"))


def pgbouncer_present() -> bool:
    return Path(PGBOUNCER).is_file()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(command: list) -> list:
    return ["runuser", "-u", SERVER_USER, "--", *map(str, command)] if os.geteuid() == 0 else list(map(str, command))


def _run(command: list, **kwargs) -> None:
    done = subprocess.run(_as_server_user(command), capture_output=True, text=True, timeout=120, **kwargs)
    if done.returncode:
        raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stderr or done.stdout}")


@contextmanager
def _server_directory(prefix: str):
    path = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        account = pwd.getpwnam(SERVER_USER)
        os.chown(path, account.pw_uid, account.pw_gid)
    path.chmod(0o700)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _wait_for(port: int, dbname: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with psycopg.connect(host="127.0.0.1", port=port, user=SERVER_USER, dbname=dbname, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@dataclass
class ReplicatedPair:
    primary_port: int
    replica_port: int

    def sql(self, port: int, statement: str, dbname: str = "postgres"):
        with psycopg.connect(host="127.0.0.1", port=port, user=SERVER_USER, dbname=dbname, autocommit=True) as conn:
            cursor = conn.execute(statement)
            return cursor.fetchone()[0] if cursor.description else None

    def wait_until_replayed(self, seconds: float = 30) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        target = self.sql(self.primary_port, "SELECT pg_current_wal_lsn()::text")
        deadline = time.monotonic() + seconds
        while not self.sql(self.replica_port, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
            if time.monotonic() > deadline:
                raise TimeoutError("the replica did not catch up")
            time.sleep(0.05)


def copy_database(source: dict, *, port: int, name: str) -> None:
    """Copy the database Django's settings ``source`` name (schema and rows, without owners or
    privileges) into a new database ``name`` on the server of ours at ``port``."""
    password = f":{source['PASSWORD']}" if source.get("PASSWORD") else ""
    url = f"postgresql://{source['USER']}{password}@{source['HOST'] or '127.0.0.1'}:{source['PORT'] or 5432}/{source['NAME']}"
    with psycopg.connect(host="127.0.0.1", port=port, user=SERVER_USER, dbname="postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    dump = subprocess.run([POSTGRES_BIN / "pg_dump", "--no-owner", "--no-privileges", "-d", url], capture_output=True,
                          check=True, timeout=300)
    subprocess.run([POSTGRES_BIN / "psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(port), "-U",
                    SERVER_USER, "-d", name], input=dump.stdout, capture_output=True, check=True, timeout=300)


def _start(data: Path, port: int, *settings: str) -> None:
    options = " ".join([f"-p {port}", "-c listen_addresses=127.0.0.1", f"-c unix_socket_directories={data}",
                        "-c fsync=off", *settings])
    _run([POSTGRES_BIN / "pg_ctl", "-D", data, "-l", data / "server.log", "-o", options, "-w", "-t", "60", "start"])


def _stop(data: Path) -> None:
    if (data / "postmaster.pid").exists():
        subprocess.run(_as_server_user([POSTGRES_BIN / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"]),
                       capture_output=True, timeout=60)


@contextmanager
def replicated_pair():
    """A primary (wal_level=replica, trust for local connections and replication) and a hot standby
    made from it by pg_basebackup -R, streaming from it."""
    with _server_directory("portal-primary-") as primary, _server_directory("portal-replica-") as replica:
        pair = ReplicatedPair(free_port(), free_port())
        try:
            _run([POSTGRES_BIN / "initdb", "-D", primary / "data", "-U", SERVER_USER, "--auth=trust",
                  "--encoding=UTF8", "--locale=C.UTF-8"])
            _start(primary / "data", pair.primary_port, "-c wal_level=replica", "-c max_wal_senders=4")
            _wait_for(pair.primary_port, "postgres")
            _run([POSTGRES_BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", pair.primary_port, "-U", SERVER_USER,
                  "-D", replica / "data", "-R", "-X", "stream", "-c", "fast"])
            _start(replica / "data", pair.replica_port, "-c hot_standby=on")
            _wait_for(pair.replica_port, "postgres")
            yield pair
        finally:
            _stop(replica / "data")
            _stop(primary / "data")


@contextmanager
def pgbouncer(*, host: str, port: int, dbname: str, user: str, pool_size: int = 4):
    """PgBouncer in transaction pooling mode in front of ``dbname`` on host:port, for ``user``
    (trusted on its side, as the server trusts it here); yields its port. Its admin console
    (database ``pgbouncer``) is open to the same user."""
    with _server_directory("portal-pgbouncer-") as directory:
        listen = free_port()
        (directory / "users.txt").write_text(f'"{user}" ""\n')
        (directory / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"{dbname} = host={host} port={port} dbname={dbname} user={user}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {listen}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {directory / 'users.txt'}\nadmin_users = {user}\n"
            f"pool_mode = transaction\ndefault_pool_size = {pool_size}\nmax_client_conn = 200\n"
            "log_connections = 0\nlog_disconnections = 0\n"
            f"logfile = {directory / 'pgbouncer.log'}\npidfile = {directory / 'pgbouncer.pid'}\n"
        )
        if os.geteuid() == 0:
            account = pwd.getpwnam(SERVER_USER)
            for name in ("users.txt", "pgbouncer.ini"):
                os.chown(directory / name, account.pw_uid, account.pw_gid)
        # Its log goes to its logfile; nothing reads its standard streams (a full pipe would stop it).
        process = subprocess.Popen(_as_server_user([PGBOUNCER, directory / "pgbouncer.ini"]),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_for(listen, dbname)
            yield listen
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
