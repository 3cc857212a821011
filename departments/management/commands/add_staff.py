"""Create or update a staff account:

    manage.py add_staff --email E --password P --role officer --department health [--department tax]
                        [--totp-secret BASE32]

Running it again for the same address updates the account: role, password, and (for officers
and supervisors) exactly the departments listed. ``--totp-secret`` makes the authenticator app
holding that secret the account's second factor (scripted set-ups); without it the person sets
one up at their first sign-in."""

import getpass
import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.errors import AccountError
from departments.services import STAFF_ROLE_ORDER, staff_upsert


class Command(BaseCommand):
    help = "Create or update a staff account (officer, supervisor, manager, auditor, admin)."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="The address the person signs in with.")
        parser.add_argument("--password", help="Their password; asked for when omitted and run at a terminal.")
        parser.add_argument("--role", required=True, metavar="{" + ",".join(STAFF_ROLE_ORDER) + "}",
                            help="The staff role.")
        parser.add_argument("--department", action="append", dest="departments", default=[], metavar="CODE",
                            help="A department code (officers and supervisors; repeat for several).")
        parser.add_argument("--full-name", default="", help="The name shown to colleagues and citizens.")
        parser.add_argument("--totp-secret", metavar="BASE32",
                            help="Enrol the authenticator app holding this base32 secret as the second factor.")

    def handle(self, *args, email, password, role, departments, full_name, totp_secret, **options):
        if password is None:
            password = self._ask_password()
        existed = get_user_model().objects.filter(email__iexact=email.strip()).exists()
        try:
            user = staff_upsert(email=email, password=password, role=role, departments=departments, full_name=full_name,
                                totp_secret=totp_secret, actor_label="manage.py add_staff")
        except AccountError as exc:
            raise CommandError(" ".join(str(m) for m in exc.messages))
        codes = ", ".join(user.memberships.order_by("department__code").values_list("department__code", flat=True))
        self.stdout.write(self.style.SUCCESS(
            f"{'Updated' if existed else 'Created'} {user.role} {user.email}" + (f" in {codes}" if codes else "") + "."
            + (" Second factor: the authenticator app with the given TOTP secret." if totp_secret is not None else "")
        ))
        if not user.is_active:
            self.stderr.write(self.style.WARNING(f"{user.email} is deactivated and cannot sign in until reactivated."))

    def _ask_password(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError("Give --password, or run the command at a terminal to be asked for it.")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords are not the same.")
        return first
