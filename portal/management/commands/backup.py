from django.core.management.base import BaseCommand, CommandError

from portal.backup import BackupError, backup_create


class Command(BaseCommand):
    help = ("Back up the database (pg_dump, custom format) and every stored file (MEDIA_ROOT or the bucket) into a "
            "new directory, with a manifest of each part's size and SHA-256 (docs/backup.md).")

    def add_arguments(self, parser):
        parser.add_argument("directory", help="A new (or empty) directory; it is created with mode 0700.")

    def handle(self, *args, directory, **options):
        try:
            parts = backup_create(directory)
        except (BackupError, OSError) as error:
            raise CommandError(str(error))
        size = sum(part.size for part in parts)
        self.stdout.write(f"Backed up the database and {len(parts) - 1} files ({size} bytes) into {directory}.")
