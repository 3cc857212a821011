from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from api.models import WebhookSubscription
from api.webhook_secrets import SecretUnreadable, new_key, secret_reseal


class Command(BaseCommand):
    help = ("Print a new key for API_WEBHOOK_SECRET_KEYS. With --reseal, encrypt every webhook signing secret again "
            "with the first key of API_WEBHOOK_SECRET_KEYS, so that the keys after it can be dropped.")

    def add_arguments(self, parser):
        parser.add_argument("--reseal", action="store_true",
                            help="Encrypt every signing secret again with the first key (the secrets stay the same).")

    def handle(self, *args, reseal=False, **options):
        if not reseal:
            self.stdout.write(new_key())
            return
        count = 0
        try:
            with transaction.atomic():
                for sub in WebhookSubscription.objects.select_for_update().only("pk", "secret_sealed").order_by("pk"):
                    WebhookSubscription.objects.filter(pk=sub.pk).update(secret_sealed=secret_reseal(sub.secret_sealed))
                    count += 1
        except (SecretUnreadable, ImproperlyConfigured) as error:
            raise CommandError(f"{error} Nothing was changed.")
        self.stdout.write(f"{count} webhook secret{'s' if count != 1 else ''} sealed again with the first key of "
                          f"API_WEBHOOK_SECRET_KEYS.")
