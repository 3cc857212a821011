import json
from dataclasses import asdict

from django.core.management.base import BaseCommand, CommandError

from catalogue.bundles import bundle_measure, bundle_schema
from catalogue.models import Bundle


class Command(BaseCommand):
    help = ("What applying once for a bundle saves: the distinct questions asked against the sum of the separate "
            "forms' questions, and the submissions, for every member or for given answers. Prints JSON.")

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The bundle's slug.")
        parser.add_argument("--answers", metavar="JSON", help='Answers by question, e.g. \'{"seating_capacity": 20}\'.')

    def handle(self, *args, slug, answers=None, **options):
        bundle = Bundle.objects.filter(slug=slug).first()
        if bundle is None:
            raise CommandError(f"No bundle {slug!r}.")
        try:
            values = json.loads(answers) if answers else None
        except json.JSONDecodeError as exc:
            raise CommandError(f"--answers is not JSON: {exc}")
        if values is not None and not isinstance(values, dict):
            raise CommandError("--answers must be a JSON object of answers by question.")
        self.stdout.write(json.dumps(asdict(bundle_measure(bundle_schema(bundle), values))))
