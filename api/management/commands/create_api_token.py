from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from api.models import Scope, TokenKind
from api.scopes import KIND_SCOPES
from api.services import api_token_create
from core.errors import ValidationFailed
from departments.models import Department


class Command(BaseCommand):
    help = ("Create an API token for a department system (--department CODE) or a front desk (--front-desk) "
            "and print it once: only its digest is stored.")

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--department", help="code of the department the token acts for")
        target.add_argument("--front-desk", action="store_true", help="a front-desk token that files for citizens")
        parser.add_argument("--name", default="", help="what the token is for (default: the department's system)")
        parser.add_argument("--days", type=int, default=None,
                            help=f"days the token works, at most API_TOKEN_LIFETIME_DAYS "
                                 f"({settings.API_TOKEN_LIFETIME_DAYS}, the default)")
        kinds = "; ".join(f"{kind.value}: {', '.join(scopes)}" for kind, scopes in KIND_SCOPES.items())
        parser.add_argument("--scope", action="append", dest="scopes", choices=Scope.values, default=None,
                            help=f"a scope the token gets (repeat for several; default: all of its kind's — {kinds})")

    def handle(self, *args, department=None, front_desk=False, name="", days=None, scopes=None, **options):
        if front_desk:
            kind, dept = TokenKind.FRONT_DESK, None
            name = name or "front desk"
        else:
            dept = Department.objects.filter(code=department).first()
            if dept is None:
                raise CommandError(f"No department has the code {department!r}.")
            kind, name = TokenKind.DEPARTMENT, name or f"{dept.code} system"
        try:
            token, clear = api_token_create(kind=kind, name=name, department=dept, lifetime_days=days, scopes=scopes)
        except ValidationFailed as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.errors.items()))
        self.stderr.write(f"Token {token.prefix} ({token.name}) created, scopes {', '.join(token.scopes)}, "
                          f"works until {timezone.localtime(token.expires_at):%Y-%m-%d %H:%M %Z}. It is shown only now:")
        self.stdout.write(clear)
