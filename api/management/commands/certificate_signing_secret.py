from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from api.models import SigningSecret
from api.request_signing import signing_secret_issue, signing_secret_retire
from departments.models import Department


class Command(BaseCommand):
    help = ("Issue a department's signing secret for pushing and revoking e-certificates through the API and "
            "print it once (--retire ID stops accepting an older one; --list shows the current ones).")

    def add_arguments(self, parser):
        parser.add_argument("department", help="code of the department whose systems sign with it")
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--retire", type=int, metavar="ID", help="retire the secret with this id instead")
        action.add_argument("--list", action="store_true", help="list the department's current secrets (ids only)")

    def handle(self, *args, department, retire=None, list=False, **options):
        dept = Department.objects.filter(code=department).first()
        if dept is None:
            raise CommandError(f"No department has the code {department!r}.")
        if list:
            for secret in SigningSecret.objects.filter(department=dept, retired_at__isnull=True):
                self.stdout.write(f"{secret.pk}\tissued {timezone.localtime(secret.created_at):%Y-%m-%d %H:%M %Z}")
            return
        if retire is not None:
            if not signing_secret_retire(department=dept, secret_id=retire):
                raise CommandError(f"{dept.code} has no current signing secret with the id {retire}.")
            self.stderr.write(f"Signing secret {retire} of {dept.code} retired: signatures made with it are refused.")
            return
        secret, clear = signing_secret_issue(department=dept)
        self.stderr.write(f"Signing secret {secret.pk} of {dept.code} issued; the older ones stay current until "
                          f"retired. It is shown only now:")
        self.stdout.write(clear)
