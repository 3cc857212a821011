from django.core.management.base import BaseCommand, CommandError

from dashboards.stats import stats_rebuild


class Command(BaseCommand):
    help = "Recompute the dashboards' summary tables from the raw tables and report any drift (expected 0)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Only compare; keep the summaries as they are.")
        parser.add_argument("--fail-on-drift", action="store_true", help="Exit with an error when anything drifted.")

    def handle(self, *args, **options):
        drift = stats_rebuild(dry_run=options["check"])
        self.stdout.write(f"drift: {drift.total} summary rows (day {drift.day}, duration {drift.duration}, "
                          f"month {drift.month}, backlog {drift.backlog})")
        for example in drift.examples:
            self.stdout.write(f"  {example}")
        if not options["check"]:
            self.stdout.write("summaries rebuilt from the raw tables")
        if drift.total and options["fail_on_drift"]:
            raise CommandError(f"{drift.total} summary rows drifted from the raw tables")
