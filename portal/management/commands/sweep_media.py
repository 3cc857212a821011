from django.core.management.base import BaseCommand

from portal.media_sweep import media_sweep


class Command(BaseCommand):
    help = ("Delete the stored files (MEDIA_ROOT or the bucket) that no row names and that are older than "
            "MEDIA_SWEEP_GRACE_HOURS (uploads of transactions that rolled back); beat runs it nightly.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List the files, delete nothing.")

    def handle(self, *args, dry_run=False, **options):
        swept = media_sweep(dry_run=dry_run)
        for name in swept:
            self.stdout.write(name)
        verb = "would delete" if dry_run else "deleted"
        self.stderr.write(f"{len(swept)} files no row names: {verb}.")
