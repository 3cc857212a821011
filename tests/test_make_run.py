"""`make run` in a terminal: a short set-up, one summary block, and Ctrl-C stops everything cleanly."""

import os
import pty
import select
import signal
import socket
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLEARED = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "SITE_URL", "PORTAL_PORT",
           "CACHE_URL", "EMAIL_URL", "LOG_LEVEL", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_until(fd: int, out: bytearray, marker: bytes, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while marker not in out and time.monotonic() < deadline:
        if select.select([fd], [], [], 0.2)[0]:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return False
            if not data:
                return False
            out += data
    return marker in out


def exit_status(pid: int, fd: int, out: bytearray, seconds: float) -> int | None:
    """The child's wait status once it exits, reading its terminal meanwhile; None after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            read_until(fd, out, b"\0", 0.5)
            return status
        read_until(fd, out, b"\0", 0.2)
    return None


def kill_started_from(var_dir: Path) -> None:
    """SIGKILL every process whose environment names ``var_dir`` (the run's web server, worker
    and beat each run in a session of their own, so killing make would leave them behind)."""
    marker = f"PORTAL_VAR_DIR={var_dir}".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    os.kill(int(entry.name), signal.SIGKILL)
            except OSError:
                pass


def test_make_run_says_where_and_who_then_stops_cleanly_on_ctrl_c(tmp_path):
    port = free_port()
    pid, fd = pty.fork()
    if pid == 0:  # the child: `make run` in a terminal of its own, as a newcomer types it
        env = {k: v for k, v in os.environ.items() if k not in CLEARED}
        env.update(PORT=str(port), PORTAL_VAR_DIR=str(tmp_path / "var"))
        os.chdir(ROOT)
        os.execvpe("make", ["make", "--no-print-directory", "run"], env)  # noqa: S606 -- a fixed command
    out, status = bytearray(), None
    try:
        assert read_until(fd, out, b"Ctrl-C stops the web server, the worker and beat.", 240), out.decode()
        time.sleep(1)
        os.write(fd, b"\x03")  # Ctrl-C: the terminal signals its foreground process group
        started = time.monotonic()
        status = exit_status(pid, fd, out, seconds=60)
        took = time.monotonic() - started
        assert status is not None, "make run did not stop within 60 s of Ctrl-C\n" + out.decode()
    finally:
        if status is None:  # never leave a portal running behind a failed test
            kill_started_from(tmp_path / "var")
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    text = out.decode().replace("\r\n", "\n")
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, text
    assert took < 20, text
    setup, summary = text.split("─" * 72)[0], text.split("─" * 72)[1]
    assert [line for line in setup.splitlines() if line.startswith("==>")][-3:] == [
        "==> Preparing the database",
        "==> Loading the demo: catalogue, staff, citizens, sample applications",
        "==> Starting the web server, the Celery worker and beat",
    ]
    assert f"Portal:   http://127.0.0.1:{port}/\n" in summary
    assert "permit P-" in summary and "reviews waiting" in summary
    for noise in ("W040", "No hostname was supplied", "DSA is deprecated", "weasyprint", "Step 1 - "):
        assert noise not in text
    stopping = text.split("Ctrl-C stops the web server, the worker and beat.")[1]
    assert "worker: Warm shutdown" in stopping
    assert stopping.rstrip().endswith("Stopped.")
    assert "killed" not in stopping and "Error 130" not in text and "Interrupt" not in text
