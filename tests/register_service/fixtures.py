"""The reference register service for the tests: ``python -m register_service`` started as its own
process on a free port of 127.0.0.1, over a database of its own (on the PostgreSQL server of
DATABASE_URL, named after the test run's database with ``_register_service``; SQLite in a
temporary folder without PostgreSQL), with the demo's records and those of records.json.
Loaded by the root conftest (pytest_plugins).

``register_service`` is the session's process; ``registers`` points the portal's settings at it.
``misbehaving_register`` serves one canned answer (any status, body and delay), and
``silent_register`` accepts connections and never answers, for the client's timeouts."""

import json
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.services import stop_process, wait_until_answering

ROOT = Path(__file__).resolve().parents[2]
RECORDS = Path(__file__).resolve().parent / "records.json"
CODES = ("company", "population", "address")

# Records of records.json and of the demo (register_service.demo), by what the tests use them for.
COMPANY = "91110105MA01EMPT29"  # Wang Fang Test Trading, legal representative Wang Fang
MARKUP_COMPANY = "91110105MA01MARK11"  # a name and an address with markup in them
OTHERS_COMPANY = "91110108MA01JQ5T9Q"  # legal representative Zhang Wei
PERSON_NUMBER = "110105198806150024"  # Wang Fang in the population register
ADDRESS_CODE = "1101080020000003"  # 3 Riverside Industrial Park: industrial


def _unknown_company() -> str:
    from stdnum.cn import uscc

    base = "91110105MA01YYYY1"
    return base + uscc.calc_check_digit(base)


UNKNOWN_COMPANY = _unknown_company()  # well formed, in no register


@dataclass
class RegisterProcess:
    url: str
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        stop_process(self.process)


def service_database_url(tmp: Path) -> str:
    """The portal's PostgreSQL server as the test process reaches it (the owner, who may create a
    database), with a database of the register's own."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        return f"sqlite:///{tmp / 'registers.sqlite3'}"
    credentials = quote(database["USER"] or "postgres") + (f":{quote(database['PASSWORD'])}" if database["PASSWORD"] else "")
    where = f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
    return f"postgres://{credentials}@{where}/{database['NAME']}_register_service"


def start_register_service(directory: Path, *, timeout: float = 20.0) -> RegisterProcess:
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / "register-service.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "register_service", "--port", "0", "--database-url", service_database_url(directory),
             "--demo-data", "--data", str(RECORDS)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()
    try:
        match = re.search(r"on (http://\S+)/v1/", lines.get(timeout=timeout))
        if match is None:
            raise ValueError("no address announced")
        service = RegisterProcess(url=match.group(1), process=process, log=log)
        wait_until_answering(service.url + "/v1/health", seconds=timeout, what="the register service")
        return service
    except (queue.Empty, ValueError, TimeoutError) as exc:
        process.kill()
        process.wait(timeout=5)
        raise RuntimeError(f"the register service did not start: {exc!r}\n{log.read_text()}") from exc


@pytest.fixture(scope="session")
def register_service(tmp_path_factory):
    service = start_register_service(tmp_path_factory.mktemp("register-service"))
    yield service
    service.stop()


def point_registers_at(settings, url: str, *, read_timeout: float = 2.0) -> None:
    settings.REGISTER_URLS = dict.fromkeys(CODES, url)
    settings.REGISTER_CONNECT_TIMEOUT_SECONDS = 1.0
    settings.REGISTER_READ_TIMEOUT_SECONDS = read_timeout


@pytest.fixture
def registers(settings, register_service):
    """The portal asks the session's reference register service for every register."""
    point_registers_at(settings, register_service.url)
    return register_service


class _Canned(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        answer = self.server.answer
        self.server.requests.append(self.path)
        time.sleep(answer.get("delay", 0))
        body = answer["body"] if isinstance(answer["body"], bytes) else json.dumps(answer["body"]).encode()
        self.send_response(answer.get("status", 200))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def misbehaving_register(settings):
    """answer(status=200, body=..., delay=0) → every register answers that; ``.requests`` lists
    the paths asked."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Canned)
    server.daemon_threads = True
    server.answer, server.requests = {"body": {}}, []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    point_registers_at(settings, f"http://127.0.0.1:{server.server_address[1]}", read_timeout=0.5)

    def answer(**kwargs):
        server.answer = {"status": 200, "body": {}, **kwargs}
        return server

    yield answer
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent_register(settings):
    """A register that accepts the connection and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    point_registers_at(settings, f"http://127.0.0.1:{listener.getsockname()[1]}", read_timeout=0.3)
    yield listener
    listener.close()
