"""Cut the permit's CJK font down to GB 2312 and Latin (permits.fonts): run at install time."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from permits.fonts import build_subset, subset_is_current, subset_path


class Command(BaseCommand):
    help = ("Write the subset of the CJK font (PERMIT_CJK_FONT) to GB 2312's characters and Latin that permits "
            "render with, next to permit.css. Keeps a subset newer than the font unless --force.")

    def add_arguments(self, parser):
        parser.add_argument("--source", default=settings.PERMIT_CJK_FONT, help="The full font (.ttc or .otf).")
        parser.add_argument("--force", action="store_true", help="Build it again even when it is current.")

    def handle(self, *args, source, force, **options):
        source, target = Path(source), subset_path()
        if not source.is_file():
            raise CommandError(f"The CJK font {source} is missing: install fonts-noto-cjk or set PERMIT_CJK_FONT.")
        if not force and subset_is_current(source=source, target=target):
            self.stdout.write(f"The permit font {target} is current.")
            return
        try:
            built = build_subset(source=source, target=target)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Wrote the permit font {built['path']}: {built['characters']} characters, "
                          f"{built['glyphs']} glyphs, {built['bytes'] // 1024} KiB.")
