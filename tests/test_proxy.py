"""The compose stack never trusts an X-Forwarded-For from the world: only its proxy publishes a
port, and the proxy (deploy/Caddyfile, run here for real in front of a recording upstream)
overwrites the header with the address it saw; the portal reads that one entry (PROXY_COUNT=1)."""

import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from tests.services import process_stop

ROOT = Path(__file__).resolve().parents[1]
CADDYFILE = ROOT / "deploy" / "Caddyfile"


def test_only_the_proxy_publishes_a_port_and_the_portal_reads_one_proxy():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    # The monitoring profile's tools publish on the host's loopback only (docs/observability.md).
    world = {name for name, service in services.items()
             if any(not port.startswith("127.0.0.1:") for port in service.get("ports", []))}
    assert world == {"proxy"}
    assert {name: service["ports"] for name, service in services.items() if name != "proxy" and "ports" in service} == {
        "flower": ["127.0.0.1:5555:5555"], "prometheus": ["127.0.0.1:9090:9090"], "grafana": ["127.0.0.1:3000:3000"]}
    assert {name for name, service in services.items() if "profiles" in service} == {"flower", "prometheus", "grafana"}
    assert services["proxy"]["ports"] == ["80:80", "443:443"]
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in services["proxy"]["volumes"]
    assert services["web"]["expose"] == ["8000"]
    for name in ("web", "worker", "worker-permits", "beat", "migrate"):
        assert services[name]["environment"]["PROXY_COUNT"] == "1", name


class Recorder(BaseHTTPRequestHandler):
    seen: list = []

    def do_GET(self):  # noqa: N802 (the standard library's name)
        Recorder.seen.append({name.lower(): value for name, value in self.headers.items()})
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def proxy(tmp_path):
    caddy = shutil.which("caddy")
    assert caddy, "caddy is missing: scripts/bootstrap.sh --dev installs it (apt-get install caddy)"
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port = free_port()
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
           "PORTAL_HOST": f"http://127.0.0.1:{port}", "PORTAL_UPSTREAM": f"127.0.0.1:{upstream.server_port}"}
    process = subprocess.Popen([caddy, "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        else:
            raise AssertionError("caddy did not start")
        Recorder.seen = []
        yield f"http://127.0.0.1:{port}"
    finally:
        process_stop(process, seconds=10)
        upstream.shutdown()


def test_the_proxy_overwrites_what_the_client_wrote(proxy):
    request = urllib.request.Request(f"{proxy}/healthz", headers={  # noqa: S310
        "X-Forwarded-For": "198.51.100.7, 203.0.113.5", "X-Real-IP": "198.51.100.8",
        "Forwarded": "for=198.51.100.9", "X-Forwarded-Proto": "https"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our own http:// address)
        assert response.status == 200
    [headers] = Recorder.seen
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"
    assert "x-real-ip" not in headers and "forwarded" not in headers


def test_the_proxy_never_lets_metrics_out(proxy):
    request = urllib.request.Request(f"{proxy}/metrics", headers={"Authorization": "Bearer anything"})  # noqa: S310
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310 (our own http:// address)
    assert refused.value.code == 404
    assert Recorder.seen == []  # the portal never saw it
    with urllib.request.urlopen(f"{proxy}/metrics-and-more", timeout=10) as response:  # noqa: S310
        assert response.status == 200  # only the metrics path itself
    assert len(Recorder.seen) == 1
