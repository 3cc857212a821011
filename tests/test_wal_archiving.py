"""The compose stack's WAL archiving (docs/backup.md, point-in-time recovery) works as written: the
`db` service's own settings, with POSTGRES_ARCHIVE_MODE=on, given to a PostgreSQL server of the
test's own, archive each finished WAL segment into the archive folder."""

import os
import pwd
import time

import psycopg

from tests.postgres_servers import (
    POSTGRES_BIN,
    SERVER_USER,
    _run,
    _server_directory,
    _start,
    _stop,
    _wait_for,
    free_port,
    postgres_present,
)
from tests.services import require_tool
from tests.test_compose_stack import services

ARCHIVE_IN_STACK = "/var/lib/postgresql/wal-archive"


def stack_settings(archive: str) -> list[str]:
    """The `-c` settings of the stack's `db` service, POSTGRES_ARCHIVE_MODE=on, archiving into ``archive``."""
    command = services()["db"]["command"]
    values = [command[index + 1] for index, word in enumerate(command) if word == "-c"]
    values = [value.replace("${POSTGRES_ARCHIVE_MODE:-off}", "on").replace("${POSTGRES_ARCHIVE_TIMEOUT:-300}", "300")
              for value in values]
    return [value.replace(ARCHIVE_IN_STACK, archive) for value in values]


def test_the_stacks_settings_archive_every_finished_wal_segment_once():
    require_tool(postgres_present(), f"PostgreSQL's server binaries in {POSTGRES_BIN}")
    with _server_directory("portal-wal-") as directory:
        archive = directory / "archive"
        archive.mkdir(mode=0o700)
        if os.geteuid() == 0:
            account = pwd.getpwnam(SERVER_USER)
            os.chown(archive, account.pw_uid, account.pw_gid)
        settings = stack_settings(str(archive))
        assert settings[0] == "archive_mode=on"
        port = free_port()
        _run([POSTGRES_BIN / "initdb", "-D", directory / "data", "-U", SERVER_USER, "--auth=trust",
              "--encoding=UTF8", "--locale=C.UTF-8"])
        try:
            _start(directory / "data", port, *(f"-c '{value}'" for value in settings))
            _wait_for(port, "postgres")
            with psycopg.connect(host="127.0.0.1", port=port, user=SERVER_USER, dbname="postgres",
                                 autocommit=True) as conn:
                conn.execute("CREATE TABLE permit_numbers AS SELECT generate_series(1, 1000) AS n")
                segment = conn.execute("SELECT pg_walfile_name(pg_current_wal_lsn())").fetchone()[0]
                conn.execute("SELECT pg_switch_wal()")
                deadline = time.monotonic() + 30
                archived = "SELECT archived_count, failed_count, last_archived_wal FROM pg_stat_archiver"
                while conn.execute(archived).fetchone()[0] == 0 and time.monotonic() < deadline:
                    time.sleep(0.1)
                assert conn.execute(archived).fetchone() == (1, 0, segment)
                assert (archive / segment).stat().st_size == 16 * 1024 * 1024
        finally:
            _stop(directory / "data")
