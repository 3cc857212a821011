"""The processes of a run: each in a session of its own, its output in a log file of the run,
its process id written down so that a later run can end what a killed one left (only pids whose
command line is still the one started)."""

import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import suppress
from pathlib import Path


def require(program: str, package: str) -> str:
    path = shutil.which(program)
    if not path:
        raise SystemExit(f"{program} is missing: apt-get install -y --no-install-recommends {package}")
    return path


def free_port(address: str) -> int:
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


def wait_for_port(address: str, port: int, *, timeout: float, process: subprocess.Popen | None = None,
                  namespace_command=None) -> None:
    """Until something accepts connections on address:port (from inside a host: ``namespace_command``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[:6]} exited with {process.returncode}")
        if namespace_command:
            probe = subprocess.run(namespace_command(["bash", "-c", f"exec 3<>/dev/tcp/{address}/{port}"]),
                                   capture_output=True)
            if probe.returncode == 0:
                return
        else:
            with socket.socket() as s:
                s.settimeout(1)
                if s.connect_ex((address, port)) == 0:
                    return
        time.sleep(0.2)
    raise TimeoutError(f"nothing answered on {address}:{port} within {timeout:.0f} s")


class Processes:
    def __init__(self, directory: Path):
        self.directory = directory
        self.running: dict[str, subprocess.Popen] = {}
        self.pid_file = directory / "pids"

    def start(self, name: str, argv: list[str], *, env: dict, cwd: Path) -> subprocess.Popen:
        with open(self.directory / f"{name}.log", "ab") as log:
            process = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        self.running[name] = process
        with open(self.pid_file, "a") as pids:
            pids.write(f"{process.pid}\n")
        return process

    def log(self, name: str) -> Path:
        return self.directory / f"{name}.log"

    def kill(self, name: str) -> None:
        process = self.running[name]
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop_all(self, timeout: float = 20) -> None:
        """SIGTERM to every process group (a worker's warm shutdown), then SIGKILL what is left."""
        for process in self.running.values():
            if process.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.running.values():
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def end_left_processes(directory: Path) -> None:
    """SIGKILL the process groups a killed run started, found in its pid file."""
    pid_file = directory / "pids"
    if not pid_file.exists():
        return
    for pid in {int(line) for line in pid_file.read_text().split()}:
        with suppress(ProcessLookupError, PermissionError):
            if os.getpgid(pid) == pid:  # still the leader of the group it was started as
                os.killpg(pid, signal.SIGKILL)
