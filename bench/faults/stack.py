"""The portal's processes for one scenario, as docker-compose.yml runs them: gunicorn, a Celery
worker on the routing queue, one on the permits and mail queues, and one beat; each in a
session of its own with its log in the scenario's directory (bench/multihost/processes.py)."""

import os
import sys
import time
from pathlib import Path

from multihost.processes import Processes, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SHIFTED = Path(__file__).resolve().parent / "shifted.py"
QUEUES = {"route": "portal", "render": "permits,mail"}


class Stack:
    def __init__(self, directory: Path, env: dict, port: int):
        self.directory, self.env, self.port = directory, env, port
        self.processes = Processes(directory)

    def celery(self, *args: str, shift: float = 0) -> list[str]:
        program = [str(BIN / "celery"), "-A", "portal", *args]
        return [sys.executable, str(SHIFTED), str(shift), *program] if shift else program

    def start_web(self, name: str = "web") -> None:
        self.processes.start(name, [str(BIN / "gunicorn"), "portal.wsgi:application", "--bind",
                                    f"127.0.0.1:{self.port}", "--workers", "3", "--timeout", "60",
                                    "--graceful-timeout", "60"], env=self.env, cwd=ROOT)
        wait_for_port("127.0.0.1", self.port, timeout=90, process=self.processes.running[name])

    def start_worker(self, name: str, queues: str, *, shift: float = 0) -> None:
        argv = self.celery("worker", "-l", "info", "-c", "2", "-Q", queues, "-n", f"{name}@%h",
                           "--without-gossip", "--without-mingle", shift=shift)
        self.processes.start(name, argv, env=self.env, cwd=ROOT)
        deadline = time.monotonic() + 90
        while b" ready." not in self.processes.log(name).read_bytes():
            if time.monotonic() > deadline or self.processes.running[name].poll() is not None:
                raise RuntimeError(f"worker {name} did not start:\n{self.processes.log(name).read_text()[-3000:]}")
            time.sleep(0.2)

    def start_beat(self, name: str = "beat", *, shift: float = 0) -> None:
        argv = self.celery("beat", "-l", "info", "--schedule", str(self.directory / f"{name}-schedule"), shift=shift)
        self.processes.start(name, argv, env=self.env, cwd=ROOT)

    def start(self, *, worker_shift: float = 0) -> None:
        self.start_web()
        self.start_worker("route", QUEUES["route"], shift=worker_shift)
        self.start_worker("render", QUEUES["render"])
        self.start_beat()

    def signal(self, name: str, signum: int) -> None:
        """To the process itself (gunicorn's master, celery's main process), not its group."""
        os.kill(self.processes.running[name].pid, signum)

    def web_workers(self) -> list[int]:
        """The pids of gunicorn's worker processes (children of its master)."""
        master = self.processes.running["web"].pid
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        return [int(pid) for pid in children]

    def wait_stopped(self, name: str, timeout: float = 120) -> int | None:
        try:
            return self.processes.running[name].wait(timeout=timeout)
        except Exception:
            return None

    def stop(self) -> None:
        self.processes.stop_all(timeout=30)
