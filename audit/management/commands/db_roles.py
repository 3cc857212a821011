from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit.privileges import RoleError, application_role_grant


class Command(BaseCommand):
    help = ("PostgreSQL: create or update the application role named by DATABASE_URL and grant it what the portal "
            "needs; on the audit log only INSERT, SELECT and the sealing UPDATE. Run as the owner of the tables "
            "(MIGRATE_DATABASE_URL), after every migration; safe to run again.")

    def handle(self, *args, **options):
        application = settings.APPLICATION_DATABASE
        try:
            result = application_role_grant(role=application.get("USER") or "", password=application.get("PASSWORD") or "")
        except RoleError as error:
            raise CommandError(str(error))
        self.stdout.write(f"Role {result.role} {'created' if result.created else 'updated'}: "
                          f"{result.tables} tables granted; on the audit log only INSERT, SELECT and sealing.")
