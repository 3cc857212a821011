"""A webhook receiver of the tests' own: a real HTTP server on a loopback address that checks each
signature with nothing but hmac and the subscription's secret, as a department system would. With
a TLS context it answers HTTPS and records the server name (SNI) each client asked for."""

import hashlib
import hmac
import json
import ssl
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that refused our certificate, or gave up waiting: the test looks at what arrived


class Receiver:
    def __init__(self, secret: str = "", *, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None):
        self.secret = secret
        self.mode = "ok"  # ok | error | slow | redirect
        self.received = []  # (event id header, type header, verified, payload)
        self.hosts = []  # the Host header of each request
        self.server_names = []  # the TLS server name (SNI) of each handshake
        self.landed = 0  # requests that followed a redirect
        self.release = threading.Event()  # a slow answer waits for this
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.hosts.append(self.headers.get("Host"))
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

        self.server = _QuietServer((host, port), Handler)
        if tls is not None:
            tls.sni_callback = lambda connection, name, context: self.server_names.append(name)
            # The handshake runs in the request's thread, not in the accepting one.
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True, do_handshake_on_connect=False)
        self.host = host
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hook"

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class TestAuthority:
    """A certificate authority of the test's own: its certificate in ``ca_file`` (for
    API_WEBHOOK_CA_FILE), and server contexts with a certificate for a host name it signed."""

    __test__ = False  # not a test class

    def __init__(self, directory: Path):
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Portal test CA")])
        self.certificate = (
            self._builder(name, name, self.key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.directory = directory
        self.ca_file = directory / "test-ca.pem"
        self.ca_file.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))

    @staticmethod
    def _builder(subject: x509.Name, issuer: x509.Name, public_key) -> x509.CertificateBuilder:
        now = datetime.now(UTC)
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(hours=1)))

    def server_context(self, host_name: str) -> ssl.SSLContext:
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = (
            self._builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host_name)]), self.certificate.subject,
                          key.public_key())
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host_name)]), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        chain = self.directory / f"{host_name}.pem"
        chain.write_bytes(
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            + certificate.public_bytes(serialization.Encoding.PEM))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(chain)
        return context
