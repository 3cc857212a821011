from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from portal.backup import BackupError, backup_check, backup_restore


class Command(BaseCommand):
    help = ("Check a backup against its manifest, restore it into an empty database (as its owner, "
            "MIGRATE_DATABASE_URL) and an empty storage, grant the application role its privileges (db_roles), "
            "then check the audit chain, the dashboards' summaries and every file's SHA-256 (docs/backup.md).")

    def add_arguments(self, parser):
        parser.add_argument("directory", help="A directory made by manage.py backup.")
        parser.add_argument("--check-only", action="store_true",
                            help="Only check the backup against its manifest; restore nothing.")

    def handle(self, *args, directory, check_only=False, **options):
        try:
            if check_only:
                parts = backup_check(directory)
                self.stdout.write(f"The backup matches its manifest: the database and {len(parts) - 1} files.")
                return
            parts = backup_restore(directory)
        except (BackupError, OSError) as error:
            raise CommandError(str(error))
        self.stdout.write(f"Restored the database and {len(parts) - 1} files from {directory}.")
        application, owner = settings.APPLICATION_DATABASE, settings.DATABASES["default"]
        if application.get("USER") and application["USER"] != owner.get("USER"):
            call_command("db_roles", stdout=self.stdout)
        else:  # one role for everything (no MIGRATE_DATABASE_URL): it owns the tables it restored
            self.stdout.write("DATABASE_URL names the owner: no application role to grant.")
        call_command("verify_audit", stdout=self.stdout)
        call_command("rebuild_stats", check=True, fail_on_drift=True, stdout=self.stdout)
        call_command("verify_files", stdout=self.stdout)
