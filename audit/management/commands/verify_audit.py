from django.core.management.base import BaseCommand, CommandError

from audit.chain import audit_seal, audit_verify


class Command(BaseCommand):
    help = "Seal pending audit events, then walk the hash chain and report the first broken link."

    def add_arguments(self, parser):
        parser.add_argument("--no-seal", action="store_true", help="Verify only; do not seal pending events first.")

    def handle(self, *args, **options):
        if not options["no_seal"]:
            audit_seal()
        result = audit_verify()
        if not result.ok:
            raise CommandError(
                f"BROKEN at position {result.broken_position} (event id {result.broken_event_id}): {result.reason}; "
                f"{result.checked} events before it verified."
            )
        self.stdout.write(f"OK: {result.checked} events verified, {result.unsealed} not yet sealed.")
