#!/usr/bin/env python
"""`make run`: set up the demo, start what the Procfile names (web server, Celery worker, beat, the
reference register service),
say where the portal runs and who can sign in, and stop everything cleanly on Ctrl-C.

Each process runs in a session of its own, so Ctrl-C reaches this script alone: it sends every
process SIGTERM once (for the worker a warm shutdown: running tasks finish), waits for them and
exits 0. While it runs it holds the terminal's foreground, so `make` is not interrupted either
(no "Error 130"). PORTAL_PORT is the port (the web server, the worker and seed_demo all read it,
so mails and permit QR codes carry it); the reference register service listens ten ports above it
(REGISTER_SERVICE_PORT, which the portal's development settings read too); LOG_LEVEL defaults to
WARNING here.

    PORTAL_PORT=8080 .venv/bin/python scripts/run.py     # what `PORT=8080 make run` does
"""

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
STOP_SECONDS = 30  # the worker's warm shutdown waits for running tasks (PDF rendering takes ~1 s)
_print_lock = threading.Lock()
_last_line = [time.monotonic()]


def say(line: str) -> None:
    with _print_lock:
        print(line, flush=True)
        _last_line[0] = time.monotonic()


def settle(quiet: float = 1.0, at_most: float = 8.0) -> None:
    """Wait until the processes have said what they say on starting, so the summary comes last."""
    deadline = time.monotonic() + at_most
    while time.monotonic() < deadline and time.monotonic() - _last_line[0] < quiet:
        time.sleep(0.1)


def procfile(path: Path = ROOT / "Procfile") -> list[tuple[str, str]]:
    """(name, command) of each line of the Procfile."""
    entries = []
    for line in path.read_text().splitlines():
        name, sep, command = line.partition(":")
        if sep and name.strip() and not name.startswith("#"):
            entries.append((name.strip(), command.strip()))
    return entries


def manage(env: dict, *args: str, capture: bool = False) -> str:
    # A session of its own: Ctrl-C meanwhile stops the run after this step, not in its middle.
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE if capture else None, start_new_session=True)
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed (exit code {result.returncode})")
    return result.stdout or ""


class StopRequest:
    """Set by the signal handlers. A plain attribute, not a threading.Event: a handler runs in the
    main thread between two bytecodes, possibly while that thread holds the Event's lock inside
    Event.wait(), and Event.set() would then wait for that lock forever."""

    def __init__(self):
        self.requested = False

    def handle(self, *_):
        self.requested = True

    def __bool__(self) -> bool:
        return self.requested


class Foreground:
    """Hold the terminal's foreground process group, so that Ctrl-C signals this script only."""

    def __init__(self):
        self.tty = sys.stdin.fileno() if sys.stdin and sys.stdin.isatty() else None
        self.before = None

    def __enter__(self):
        if self.tty is not None:
            self.before = os.tcgetpgrp(self.tty)
            os.setpgid(0, 0)
            self._give(os.getpgrp())
        return self

    def __exit__(self, *exc):
        if self.tty is not None:
            self._give(self.before)

    def _give(self, group: int) -> None:
        previous = signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # we may be in the background meanwhile
        try:
            os.tcsetpgrp(self.tty, group)
        except OSError:
            pass
        finally:
            signal.signal(signal.SIGTTOU, previous)


class Processes:
    def __init__(self, env: dict):
        self.env, self.running, self.width = env, {}, 0

    def start(self, entries: list[tuple[str, str]]) -> None:
        self.width = max(len(name) for name, _ in entries)
        for name, command in entries:
            process = subprocess.Popen(["/bin/sh", "-c", f"exec {command}"], cwd=ROOT, env=self.env,
                                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       text=True, bufsize=1, start_new_session=True)
            self.running[name] = process
            threading.Thread(target=self._relay, args=(name, process), daemon=True).start()

    def _relay(self, name: str, process) -> None:
        for line in process.stdout:
            say(f"{name:<{self.width}} | {line.rstrip()}")

    def exited(self) -> tuple[str, int] | None:
        for name, process in self.running.items():
            if process.poll() is not None:
                return name, process.returncode
        return None

    def stop(self) -> bool:
        """SIGTERM to each process, once; True when all ended by themselves in time."""
        for process in self.running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline, clean = time.monotonic() + STOP_SECONDS, True
        for name, process in self.running.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say(f"{name} did not stop within {STOP_SECONDS} s: killed")
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                clean = False
        return clean


def wait_until_up(url: str, processes: Processes, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not processes.exited():
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 -- our own local server
                return True
        except OSError:
            time.sleep(0.3)
    return False


def main() -> int:
    port = os.environ.setdefault("PORTAL_PORT", "8000")
    env = {**os.environ, "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"), "PYTHONUNBUFFERED": "1",
           "REGISTER_SERVICE_PORT": os.environ.get("REGISTER_SERVICE_PORT", str(int(port) + 10))}
    stop = StopRequest()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop.handle)

    with Foreground():
        say("==> Preparing the database")
        manage(env, "migrate", "--noinput", "-v", "0")
        if stop:
            return 0
        say("==> Loading the demo: catalogue, staff, citizens, sample applications")
        summary = manage(env, "seed_demo", capture=True)
        if stop:
            return 0
        say("==> Starting the web server, the Celery worker and beat")
        processes = Processes(env)
        processes.start(procfile())
        try:
            if wait_until_up(f"http://127.0.0.1:{port}/healthz", processes) and not stop:
                settle()
                say(f"{summary.rstrip()}\nCtrl-C stops the web server, the worker and beat.")
            while not stop:
                time.sleep(0.2)
                if ended := processes.exited():
                    say(f"{ended[0]} stopped (exit code {ended[1]}); stopping the others")
                    processes.stop()
                    return 1
        finally:
            if any(p.poll() is None for p in processes.running.values()):
                say("==> Stopping …")
                clean = processes.stop()
                say("Stopped." if clean else "Stopped (not cleanly).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
