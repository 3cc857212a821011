"""Print the code a person's authenticator app shows now (development and tests only: devtools
is not installed in production):

    manage.py totp_code officer.health@demo.example.gov

Each code signs in once; the next one comes within 30 seconds."""

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from accounts.factors import totp_devices


class Command(BaseCommand):
    help = "Print the current code of a person's authenticator app (development only)."

    def add_arguments(self, parser):
        parser.add_argument("email", help="The address the person signs in with.")

    def handle(self, *args, email, **options):
        user = get_user_model().objects.filter(email__iexact=email.strip()).first()
        device = totp_devices(user).first() if user is not None else None
        if device is None:
            raise CommandError(f"{email} has no authenticator app set up.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits)  # what the app shows: no drift
        totp.time = time.time()
        self.stdout.write(f"{totp.token():0{device.digits}d}")
        left = device.step - int(totp.time - device.t0) % device.step
        self.stderr.write(f"(valid for about {left} more seconds; each code works once)")
