"""The HTTP side of version 1 of the register interface, on the standard library's threading
server: ``GET /v1/{companies,persons,addresses}/{key}`` answers the record as a JSON object,
``GET /v1/health`` that the service is up; every error is a JSON object
``{"error": {"code", "message"}}`` with its status (400 a malformed key, 404 an unknown key or
path, 405 another method, 500 the database failing)."""

import json
import logging
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as NumberInvalid

from .store import Store

VERSION = "v1"
logger = logging.getLogger("register_service")


def _number_check(module):
    def check(value: str) -> bool:
        try:
            module.validate(value)
        except NumberInvalid:
            return False
        return True
    return check


# resource → (what a key must be, what the resource is called in messages)
KEYS = {
    "companies": (_number_check(uscc), "unified social credit code", "company"),
    "persons": (_number_check(ric), "resident identity number", "person"),
    "addresses": (lambda value: bool(re.fullmatch(r"[0-9]{16}", value)), "address code", "address"),
}
PATH = re.compile(r"/v1/([a-z]+)/([^/]{1,64})")


class RegisterServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, store: Store, *, verbose: bool = False):
        super().__init__(address, Handler)
        self.store, self.verbose = store, verbose


class Handler(BaseHTTPRequestHandler):
    server_version = "ReferenceRegister/1"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 -- the base class's name
        if self.server.verbose:
            super().log_message(format, *args)

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, code: str, message: str) -> None:
        self._send(status, {"error": {"code": code, "message": message}})

    def do_GET(self):  # noqa: N802 -- the base class's name
        path = self.path.split("?", 1)[0]
        if path == f"/{VERSION}/health":
            return self._send(200, {"status": "ok", "version": VERSION})
        match = PATH.fullmatch(path)
        if match is None or match.group(1) not in KEYS:
            return self._error(404, "no_such_resource", "This register answers /v1/companies/{code}, "
                                                        "/v1/persons/{number} and /v1/addresses/{code}.")
        resource, key = match.groups()
        valid, key_name, record_name = KEYS[resource]
        if not valid(key):
            return self._error(400, "malformed_key", f"This is not a well-formed {key_name}.")
        try:
            record = self.server.store.find(resource, key)
        except Exception:
            logger.exception("the register's database failed")
            return self._error(500, "register_failed", "The register could not read its records.")
        if record is None:
            return self._error(404, "not_found", f"No {record_name} is registered under this {key_name}.")
        return self._send(200, record)

    def _refuse(self):
        self._error(405, "method_not_allowed", "The register interface is read-only: use GET.")

    do_POST = do_PUT = do_PATCH = do_DELETE = _refuse  # noqa: N815
