from django.core.management.base import BaseCommand, CommandError

from audit.keys import AuditKeyError, anchor_signer, chain_key_rotate, chain_keys


class Command(BaseCommand):
    help = ("Create the audit trail's missing key files, mode 0600: the chain keys (AUDIT_CHAIN_KEYS_FILE) and the "
            "checkpoints' signing key (AUDIT_ANCHOR_KEY_FILE). With --rotate, append a new chain key: new links are "
            "sealed with it, earlier links still verify with theirs.")

    def add_arguments(self, parser):
        parser.add_argument("--rotate", action="store_true", help="Append a new chain key and seal with it from now on.")

    def handle(self, *args, **options):
        try:
            if options["rotate"]:
                chain_key_rotate()
            keys = chain_keys(create=True)
            signer = anchor_signer(create=True)
        except (AuditKeyError, OSError) as error:
            raise CommandError(str(error))
        count = len(keys.by_id)
        self.stdout.write(f"Chain keys: {keys.path} ({count} key{'s' if count != 1 else ''}; "
                          f"new links are sealed with {keys.current[0]}).")
        self.stdout.write(f"Checkpoint signing key: {signer.path} (Ed25519, fingerprint {signer.fingerprint}).")
