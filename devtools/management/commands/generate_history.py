import json
import time

from django.core.management.base import BaseCommand, CommandError

from devtools.history import DEFAULT_BATCH, generate_history


class Command(BaseCommand):
    help = (
        "Write a realistic two-year history of N applications (every state, reviews, SLA cards, permits, "
        "ratings) with PostgreSQL COPY; the same seed gives the same history. Load the catalogue first "
        "(seed_demo)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--applications", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="Applications per transaction.")

    def handle(self, *args, applications, seed, batch, **options):
        if applications < 1 or batch < 1:
            raise CommandError("--applications and --batch must be at least 1.")
        started = time.monotonic()

        def progress(totals):
            self.stderr.write(f"{totals['applications']}/{applications} applications, {totals['reviews']} reviews "
                              f"({time.monotonic() - started:.0f} s)")

        try:
            totals = generate_history(applications=applications, seed=seed, batch=batch,
                                      progress=progress if options["verbosity"] > 1 else None)
        except ValueError as exc:
            raise CommandError(str(exc))
        totals["seconds"] = round(time.monotonic() - started, 1)
        self.stdout.write(json.dumps(totals))
