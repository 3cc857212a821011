"""A private network of hosts on one machine: a Linux bridge in the root namespace (the services
host, which has the bridge's address) and one network namespace per host, each joined to the
bridge by a veth pair and given an address of its own.

Names carry the process id of the run (``pmh<pid>``), so runs never collide and what a killed run
left behind is recognised and removed by the next one (``remove_leftovers``)."""

import ipaddress
import os
import re
import signal
import subprocess
from contextlib import suppress
from dataclasses import dataclass, field

PREFIX = "pmh"
_NAMED = re.compile(rf"^{PREFIX}(\d+)")


def ip(*args: str, check: bool = True) -> str:
    return subprocess.run(["ip", *args], check=check, text=True, capture_output=True).stdout


def _alive(pid: int) -> bool:
    return os.path.exists(f"/proc/{pid}")


def _free_subnet() -> ipaddress.IPv4Network:
    """A /24 in 10.213.0.0/16 that no address or route of the machine falls in."""
    used = [ipaddress.ip_network(word, strict=False) for word in (ip("-4", "-o", "addr") + ip("-4", "route")).split()
            if re.fullmatch(r"\d+\.\d+\.\d+\.\d+/\d+", word)]
    for third in [(os.getpid() + i) % 250 + 1 for i in range(250)]:
        candidate = ipaddress.ip_network(f"10.213.{third}.0/24")
        if not any(candidate.overlaps(net) for net in used):
            return candidate
    raise RuntimeError("no free /24 in 10.213.0.0/16 for the bridge")


@dataclass
class Host:
    name: str  # what the report calls it: web, route1, …
    namespace: str
    link: str  # the veth end on the bridge; down cuts the host off
    address: str


@dataclass
class Network:
    run: str = field(default_factory=lambda: f"{PREFIX}{os.getpid()}")
    subnet: ipaddress.IPv4Network = field(default_factory=_free_subnet)
    hosts: dict[str, Host] = field(default_factory=dict)

    @property
    def bridge(self) -> str:
        return f"{self.run}br"

    @property
    def services_address(self) -> str:
        return str(self.subnet.network_address + 1)

    def create(self, names: list[str]) -> None:
        ip("link", "add", self.bridge, "type", "bridge")
        ip("addr", "add", f"{self.services_address}/{self.subnet.prefixlen}", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        for index, name in enumerate(names, start=2):
            self.add_host(name, str(self.subnet.network_address + index))

    def add_host(self, name: str, address: str) -> Host:
        number = len(self.hosts) + 1
        namespace, link, peer = f"{self.run}-{name}", f"{self.run}h{number}", f"{self.run}n{number}"
        ip("netns", "add", namespace)
        host = self.hosts[name] = Host(name=name, namespace=namespace, link=link, address=address)
        ip("link", "add", link, "type", "veth", "peer", "name", peer)
        ip("link", "set", link, "master", self.bridge)
        ip("link", "set", link, "up")
        ip("link", "set", peer, "netns", namespace)
        inside = ["netns", "exec", namespace, "ip"]
        ip(*inside, "link", "set", peer, "name", "eth0")
        ip(*inside, "addr", "add", f"{address}/{self.subnet.prefixlen}", "dev", "eth0")
        ip(*inside, "link", "set", "eth0", "up")
        ip(*inside, "link", "set", "lo", "up")
        return host

    def cut(self, name: str) -> None:
        """The host's cable pulled: its packets go nowhere, its peers see silence, not a reset."""
        ip("link", "set", self.hosts[name].link, "down")

    def command(self, name: str, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.hosts[name].namespace, *argv]

    def remove(self) -> None:
        remove_run(self.run)


def remove_run(run: str) -> None:
    """Every namespace (and whatever still runs in it) and link of one run."""
    for namespace in ip("netns", "list", check=False).split("\n"):
        namespace = namespace.split(" ")[0]
        if namespace.startswith(f"{run}-"):
            for pid in ip("netns", "pids", namespace, check=False).split():
                with suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)
            ip("netns", "del", namespace, check=False)
    for line in ip("-o", "link", "show", check=False).splitlines():
        name = line.split(":")[1].strip().split("@")[0] if ":" in line else ""
        if name == f"{run}br" or re.fullmatch(rf"{run}h\d+", name):
            ip("link", "del", name, check=False)


def remove_leftovers() -> list[str]:
    """What runs that are no longer alive left: their namespaces and links. Returns their names."""
    runs = set()
    for line in ip("netns", "list", check=False).splitlines() + ip("-o", "link", "show", check=False).splitlines():
        word = line.split(" ")[0] if not line[:1].isdigit() else line.split(":")[1].strip()
        if (match := _NAMED.match(word)) and not _alive(int(match.group(1))):
            runs.add(f"{PREFIX}{match.group(1)}")
    for run in sorted(runs):
        remove_run(run)
    return sorted(runs)
