"""Create the self-signed key pair that signs permits in development and the demo."""

from django.conf import settings
from django.core.management.base import BaseCommand

from permits.signing import create_key_pair, key_paths


class Command(BaseCommand):
    help = ("Create a self-signed permit signing key and certificate at PERMIT_SIGNING_KEY / PERMIT_SIGNING_CERT "
            "(under var/keys/ by default), for development and demo only. Keeps an existing pair unless --force.")

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Replace an existing pair (old permits then need "
                            "the old certificate in PERMIT_TRUSTED_CERTS to verify).")
        parser.add_argument("--days", type=int, default=3650, help="Validity of the certificate in days.")

    def handle(self, *args, force, days, **options):
        key_path, cert_path = key_paths()
        created = create_key_pair(key_path=key_path, cert_path=cert_path, common_name=settings.PERMIT_SIGNER_NAME,
                                  days=days, force=force)
        verb = "Created" if created else "Kept the existing"
        self.stdout.write(f"{verb} permit signing key {key_path} and certificate {cert_path}.")
