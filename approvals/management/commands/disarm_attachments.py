from django.core.management.base import BaseCommand, CommandError

from approvals.attachments import attachments_without_copy


class Command(BaseCommand):
    help = ("Make the disarmed copy of every attachment stored without one (files uploaded before copies were "
            "made), in batches. Safe to run again and while the portal serves.")

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=100, help="Rows read at a time (default 100).")

    def handle(self, *args, **options):
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be 1 or more")
        made = failed = 0
        for attachment_id, reason in attachments_without_copy(batch_size=options["batch_size"]):
            if reason:
                failed += 1
                self.stdout.write(f"attachment {attachment_id}: no copy: {reason}")
            else:
                made += 1
        self.stdout.write(f"{made} copies made, {failed} attachments left without one (they are not served; the "
                          "files as uploaded stay on record)")
