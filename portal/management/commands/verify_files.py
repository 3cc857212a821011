from django.core.management.base import BaseCommand, CommandError

from portal.file_integrity import files_verify


class Command(BaseCommand):
    help = ("Check that every permit's file, every upload and every disarmed copy is in the storage and has the "
            "SHA-256 its row records.")

    def handle(self, *args, **options):
        checked, problems = files_verify()
        if problems:
            raise CommandError(f"{len(problems)} of {checked} files do not match their rows:\n" + "\n".join(problems))
        self.stdout.write(f"OK: {checked} files match the SHA-256 their rows record.")
