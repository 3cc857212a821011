from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalogue.dumper import catalogue_dump


class Command(BaseCommand):
    help = "Write the whole catalogue (calendar, departments, fields, services) in the format load_catalogue reads."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", metavar="FILE", help="Write to FILE instead of standard output.")

    def handle(self, *args, output=None, **options):
        text = catalogue_dump()
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror or exc}")
        self.stderr.write(f"Catalogue written to {output}")
