"""The private network of `make bench-scale` (bench/multihost/network.py), for real: namespaces on
a bridge that reach each other and the services host, a cut that silences one host, and what a
killed run left removed by the next. Needs root and iproute2, as CI has."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from multihost.network import Network, ip, remove_leftovers  # noqa: E402

from tests.services import require_tool  # noqa: E402

require_tool(os.geteuid() == 0, "network namespaces need root")


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def names_of(run: str) -> list[str]:
    namespaces = [line.split(" ")[0] for line in ip("netns", "list").splitlines()]
    links = [line.split(":")[1].strip().split("@")[0] for line in ip("-o", "link", "show").splitlines()]
    return sorted(name for name in namespaces + links if name.startswith(run))


def connects(address: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((address, port)) == 0


@pytest.fixture
def network():
    net = Network()  # named after this process: no other run takes it for a leftover
    try:
        yield net
    finally:
        net.remove()


def test_hosts_are_reached_on_their_addresses_until_one_is_cut(network):
    network.create(["web", "worker"])
    web = network.hosts["web"]
    assert names_of(network.run) == sorted([network.bridge, f"{network.run}-web", f"{network.run}-worker",
                                            f"{network.run}h1", f"{network.run}h2"])
    server = subprocess.Popen(network.command("web", [sys.executable, "-m", "http.server", "8000", "--bind", web.address]),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not connects(web.address, 8000) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert connects(web.address, 8000)  # from the services host, through the bridge
        worker_to_web = subprocess.run(network.command("worker", ["bash", "-c", f"exec 3<>/dev/tcp/{web.address}/8000"]))
        assert worker_to_web.returncode == 0
        network.cut("web")
        assert not connects(web.address, 8000)
    finally:
        server.kill()
        server.wait()


def test_what_a_killed_run_left_is_removed_by_the_next():
    killed = Network(run=f"pmh{dead_pid()}")
    try:
        killed.create(["web"])
        left = subprocess.Popen(killed.command("web", ["sleep", "300"]))
        assert killed.run in remove_leftovers()  # with any other dead run's
        assert names_of(killed.run) == []
        assert left.wait(timeout=10) == -9  # what still ran in its namespace was ended
    finally:
        killed.remove()
