from django.core.management.base import BaseCommand, CommandError

from audit.anchors import checkpoints_read
from audit.chain import audit_seal, audit_verify
from audit.keys import AuditKeyError


def positions(runs: list[tuple[int, int]]) -> str:
    return ", ".join(f"positions {start}-{end}" if end > start else f"position {start}" for start, end in runs)


class Command(BaseCommand):
    help = ("Seal pending audit events, then walk the keyed hash chain against the checkpoints written outside the "
            "database: report the first broken link, the positions rewritten or removed, and any checkpoint that "
            "does not verify.")

    def add_arguments(self, parser):
        parser.add_argument("--no-seal", action="store_true", help="Verify only; do not seal pending events first.")
        parser.add_argument("--anchors", metavar="DIR",
                            help="The directory of checkpoint files (default AUDIT_ANCHOR_DIR), e.g. a copy kept off-host.")

    def handle(self, *args, **options):
        try:
            if not options["no_seal"]:
                audit_seal()
            anchors = checkpoints_read(options["anchors"])
        except (AuditKeyError, OSError) as error:
            raise CommandError(str(error))
        heads = anchors.heads()
        result = audit_verify(checkpoints=heads)
        failures = []
        if not result.ok:
            where = f"event id {result.broken_event_id}" if result.broken_event_id else "no event there"
            failures.append(f"BROKEN at position {result.broken_position} ({where}): {result.reason}; "
                            f"{result.checked} events before it verified.")
            failures.append(f"Rewritten or removed: {positions(result.rewritten)}.")
        failures += [f"Checkpoint {problem}." for problem in anchors.problems]
        if failures:
            raise CommandError("\n".join(failures))
        summary = f"OK: {result.checked} events verified, {result.unsealed} not yet sealed"
        if anchors.checkpoints:
            last = max(anchors.checkpoints, key=lambda c: (c.position, c.at))
            count = len(anchors.checkpoints)
            summary += (f"; {count} checkpoint{'s' if count != 1 else ''} in {anchors.directory} hold, "
                        f"the last at position {last.position} ({last.at})")
        else:
            summary += f"; no checkpoint in {anchors.directory} yet"
        self.stdout.write(summary + ".")
