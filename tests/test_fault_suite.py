"""The parts of `make faults` (bench/faults) the figures rest on, for real: the SMTP server that
accepts, refuses and hangs on command and counts a message sent twice once per extra send; and
the private PostgreSQL cluster that a fast restart and a stop act on, and nothing else."""

import smtplib
import sys
from email.message import EmailMessage
from pathlib import Path

import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from faults.mail_sink import MailSink  # noqa: E402
from faults.servers import PostgresCluster  # noqa: E402

from tests.postgres_servers import free_port, postgres_present  # noqa: E402
from tests.services import require_tool  # noqa: E402


def message(subject: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "portal@example.gov", "citizen@example.org", subject
    mail.set_content("Your permit is ready.")
    return mail


def send(port: int, mail: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=1) as smtp:
        smtp.send_message(mail)


def test_the_mail_server_accepts_refuses_and_hangs_on_command():
    sink = MailSink(free_port())
    sink.accept()
    try:
        ready = message("Permit ready")
        send(sink.port, ready)
        del ready["Message-ID"], ready["Date"]
        ready["Message-ID"] = "<another@example.gov>"
        send(sink.port, ready)  # the same mail again, under another Message-ID
        send(sink.port, message("Application received"))
        assert (sink.total, sink.duplicated) == (3, 1)
        sink.refuse()
        with pytest.raises(ConnectionRefusedError):
            send(sink.port, message("Refused"))
        sink.hang()
        with pytest.raises(smtplib.SMTPServerDisconnected, match="timed out"):  # no greeting within the timeout
            send(sink.port, message("Unanswered"))
        sink.accept()
        send(sink.port, message("Back"))
        assert (sink.total, sink.duplicated) == (4, 1)
    finally:
        sink.stop()


def test_the_private_cluster_restarts_and_stops_only_itself():
    require_tool(postgres_present(), "PostgreSQL's server binaries are missing")
    with PostgresCluster() as cluster:
        cluster.sql("postgres", "CREATE TABLE kept (n int)")
        cluster.sql("postgres", "INSERT INTO kept VALUES (1)")
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as before:
            cluster.restart()
            with pytest.raises(psycopg.OperationalError):
                before.execute("SELECT 1")
        assert cluster.sql("postgres", "SELECT n FROM kept") == [(1,)]
        cluster.stop()
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(cluster.url("postgres"), connect_timeout=2)
        cluster.start()
        assert cluster.sql("postgres", "SELECT count(*) FROM kept") == [(1,)]
