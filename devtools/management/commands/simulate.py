import json
import os

from django.core.management.base import BaseCommand, CommandError

from catalogue.models import Service
from devtools.simulation import Simulation


class Command(BaseCommand):
    help = (
        "Drive N applications through the real workflow (submit, claim, decide, correct) from K concurrent "
        "workers, wait until every application is final, and print a JSON summary."
    )

    def add_arguments(self, parser):
        parser.add_argument("--service", required=True, help="Service slug, e.g. open-a-restaurant.")
        parser.add_argument("--applications", type=int, required=True)
        parser.add_argument("--concurrency", type=int, default=8)
        parser.add_argument("--decide", choices=["approve", "mixed"], default="approve")
        parser.add_argument("--processes", type=int, default=None,
                            help="Processes to spread the workers over (default: one per CPU core, at most K).")
        parser.add_argument("--wait", type=float, default=600.0,
                            help="Seconds to wait for Celery to make every application final (default 600).")

    def handle(self, *args, **options):
        if options["applications"] < 1 or options["concurrency"] < 1:
            raise CommandError("--applications and --concurrency must be at least 1.")
        try:
            simulation = Simulation(service_slug=options["service"], applications=options["applications"],
                                    concurrency=options["concurrency"], decide=options["decide"])
        except Service.DoesNotExist:
            raise CommandError(f"Unknown service {options['service']!r}. Known: "
                               + ", ".join(Service.objects.values_list("slug", flat=True)))
        except ValueError as exc:
            raise CommandError(str(exc))
        processes = options["processes"] or min(options["concurrency"], os.cpu_count() or 1)
        summary = simulation.run(wait_seconds=options["wait"], processes=max(1, processes))
        self.stdout.write(json.dumps(summary, indent=2, ensure_ascii=False))
        if not summary["all_final"] or summary["error_count"]:
            raise CommandError("Not every application reached a final state (is a Celery worker running?)"
                               if not summary["all_final"] else "Errors occurred; see the summary.")
