"""A webhook receiver of the tests' own: a real HTTP server on 127.0.0.1 that checks each
signature with nothing but hmac and the subscription's secret, as a department system would."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, secret: str = ""):
        self.secret = secret
        self.mode = "ok"  # ok | error | slow | redirect
        self.received = []  # (event id header, type header, verified, payload)
        self.landed = 0  # requests that followed a redirect
        self.release = threading.Event()  # a slow answer waits for this
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/landed":
                    receiver.landed += 1
                    self._answer(200)
                    return
                timestamp = self.headers.get("X-Portal-Timestamp", "")
                expected = "v1=" + hmac.new(receiver.secret.encode(), timestamp.encode() + b"." + body,
                                            hashlib.sha256).hexdigest()
                verified = hmac.compare_digest(expected, self.headers.get("X-Portal-Signature", ""))
                receiver.received.append((self.headers.get("X-Portal-Event-Id"), self.headers.get("X-Portal-Event"),
                                          verified, json.loads(body)))
                if receiver.mode == "slow":
                    receiver.release.wait(30)
                    self._answer(200)
                elif receiver.mode == "error":
                    self._answer(500)
                elif receiver.mode == "redirect":
                    self.send_response(302)
                    self.send_header("Location", f"http://127.0.0.1:{receiver.port}/landed")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    self._answer(200 if verified else 401)

            def _answer(self, code):
                try:
                    self.send_response(code)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender gave up waiting

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
