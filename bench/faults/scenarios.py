"""The faults, one per scenario. Each is injected once a share of the applications is submitted
(``Scenario.at``); ``inject`` returns when the fault is over, the service it broke back. A
scenario may also change how its stack starts (a worker's clock, a second beat, a small disk)."""

import os
import signal
import subprocess
import time
from dataclasses import dataclass

OUTAGE = float(os.environ.get("FAULTS_OUTAGE_SECONDS", "60"))
MAIL_OUTAGE = float(os.environ.get("FAULTS_MAIL_OUTAGE_SECONDS", "600"))
BEAT_STOPPED = 600.0  # seconds beat's clock jumps when it is started again
CLOCK_AHEAD = 300.0


@dataclass
class Scenario:
    key: str
    title: str
    inject: object  # (run) -> None
    at: float = 0.3
    worker_shift: float = 0
    second_beat: bool = False
    small_disk: bool = False


def pg_restart(run):
    run.cluster.restart()


def pg_unreachable(run):
    run.cluster.stop(mode="fast")
    time.sleep(OUTAGE)
    run.cluster.start()


def redis_hung(run):
    """Stopped (SIGSTOP): connections open, nothing answers, for OUTAGE seconds."""
    run.redis.pause()
    time.sleep(OUTAGE)
    run.redis.resume()


def redis_lost(run):
    """Killed and started again empty (no RDB, no AOF): every queued task and cached value gone;
    down for OUTAGE seconds meanwhile."""
    run.redis.stop()
    time.sleep(OUTAGE)
    run.redis.start()


def web_killed(run):
    """kill -9 of every gunicorn worker the moment a submission has been answered, three times:
    whatever those processes held to publish after their commits dies with them."""
    for _ in range(3):
        seen = run.applicants.submitted
        while run.applicants.submitted == seen:
            time.sleep(0.001)
        for pid in run.stack.web_workers():
            os.kill(pid, signal.SIGKILL)
        time.sleep(5)


def beat_doubled_and_stopped(run):
    """Two beats run from the start. Here both stop; some reviews fall overdue meanwhile; then both
    start again with their clocks BEAT_STOPPED later, so each finds every job due at once."""
    run.make_overdue()
    for name in ("beat", "beat2"):
        run.stack.signal(name, signal.SIGTERM)
        run.stack.wait_stopped(name)
    time.sleep(10)
    run.stack.start_beat("beat", shift=BEAT_STOPPED)
    run.stack.start_beat("beat2", shift=BEAT_STOPPED)


def mail_refused_then_hung(run):
    """The mail server refuses connections, then accepts them and never answers (each send waits
    for EMAIL_TIMEOUT), MAIL_OUTAGE seconds in all."""
    run.sink.refuse()
    time.sleep(MAIL_OUTAGE / 2)
    run.sink.hang()
    time.sleep(MAIL_OUTAGE / 2)
    run.sink.accept()


def disk_full(run):
    """The media file system filled to its last byte for OUTAGE seconds, then the filler removed."""
    filler = run.media / ".filler"
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M"], capture_output=True)
    time.sleep(OUTAGE)
    filler.unlink()


def clock_ahead(run):
    """The routing worker runs 5 minutes ahead from its start (Scenario.worker_shift)."""


def deploy(run):
    """A release: a migration adding a column, then new workers started and the old ones given a
    warm shutdown (they finish what they hold), gunicorn reloaded gracefully (HUP: new workers,
    the old ones finish their requests), a new beat before the old one stops."""
    run.cluster.sql(run.database, "ALTER TABLE approvals_application ADD COLUMN deploy_marker text NULL")
    run.stack.start_worker("route-new", "portal")
    run.stack.start_worker("render-new", "permits,mail")
    for name in ("route", "render"):
        run.stack.signal(name, signal.SIGTERM)
    run.stack.signal("web", signal.SIGHUP)
    run.stack.start_beat("beat-new")
    run.stack.signal("beat", signal.SIGTERM)
    for name in ("route", "render", "beat"):
        run.stack.wait_stopped(name)


SCENARIOS = [
    Scenario("pg-restart", "PostgreSQL restarted (fast shutdown, start)", pg_restart),
    Scenario("pg-unreachable", f"PostgreSQL unreachable {OUTAGE:.0f} s", pg_unreachable),
    Scenario("redis-hung", f"Redis stopped (SIGSTOP: connections hang) {OUTAGE:.0f} s", redis_hung),
    Scenario("redis-lost", f"Redis killed, back after {OUTAGE:.0f} s with its data lost", redis_lost),
    Scenario("web-killed", "gunicorn workers killed (-9) right after a submission's commit, 3 times", web_killed),
    Scenario("beat", f"Two beats at once; both stopped, started {BEAT_STOPPED / 60:.0f} min later (time-travelled)",
             beat_doubled_and_stopped, second_beat=True),
    Scenario("mail", f"Mail server refusing, then hanging, {MAIL_OUTAGE / 60:.0f} min", mail_refused_then_hung,
             at=0.1),
    Scenario("disk-full", f"Media disk full {OUTAGE:.0f} s while permits render and files upload", disk_full,
             small_disk=True),
    Scenario("clock-ahead", f"Routing worker's clock {CLOCK_AHEAD / 60:.0f} min ahead of the database's", clock_ahead,
             worker_shift=CLOCK_AHEAD),
    Scenario("deploy", "Deploy: migration adding a column, new processes, old ones finish", deploy),
]
