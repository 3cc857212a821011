from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from catalogue.loading.apply import catalogue_apply
from catalogue.loading.reader import CatalogueInvalid, catalogue_parse


class Command(BaseCommand):
    help = (
        "Load catalogue files (YAML) as one catalogue: a department or field defined in one file may be used "
        "in another. Certificate types, departments, registers, fields and services are created or updated by code, "
        "key and slug; objects "
        "missing from the files are NOT deleted. A service's reviews and filings become exactly those listed for it, and a "
        "calendar section replaces the working weekdays and the whole holiday list. Every problem in every file "
        "is reported and nothing changes unless all files are valid. A service whose form changed gets a new "
        "version; loading the same files again changes nothing. A service guide's template files are read from the "
        "catalogue file's folder and stored; a guide not complete in every language is listed as a warning "
        "(an error with --strict)."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="Catalogue files, read together.")
        parser.add_argument("--strict", action="store_true",
                            help="Treat a service guide (or a department's office details) not complete in every "
                                 "language as an error: nothing is loaded.")

    def handle(self, *args, files, strict=False, **options):
        try:
            catalogue = catalogue_parse(paths=files)
        except CatalogueInvalid as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            count = len(exc.problems)
            raise CommandError(f"{count} error{'s' if count != 1 else ''} in the catalogue; nothing was changed.")
        for warning in catalogue.warnings:
            self.stderr.write(f"{'error' if strict else 'warning'}: {warning}")
        if strict and catalogue.warnings:
            count = len(catalogue.warnings)
            raise CommandError(f"{count} part{'s' if count != 1 else ''} of the guides not published (--strict); "
                               "nothing was changed.")
        try:
            summary = catalogue_apply(catalogue=catalogue)
        except DatabaseError as exc:
            raise CommandError(f"The catalogue could not be saved; nothing was changed. ({exc})")
        if catalogue.certificate_types:
            self.stdout.write(f"Certificate types: {summary.certificate_types}")
        self.stdout.write(f"Departments: {summary.departments}")
        if catalogue.registers:
            self.stdout.write(f"Registers: {summary.registers}")
        self.stdout.write(f"Fields: {summary.fields}")
        self.stdout.write(f"Services: {summary.services}")
        if catalogue.bundles:
            self.stdout.write(f"Bundles: {summary.bundles}")
        removed = f", {summary.requirements_removed} removed" if summary.requirements_removed else ""
        self.stdout.write(f"Department reviews: {summary.requirements}{removed}")
        filings = summary.filings
        if filings.created or filings.updated or filings.unchanged or summary.filings_removed:
            removed = f", {summary.filings_removed} removed" if summary.filings_removed else ""
            self.stdout.write(f"Filings after approval: {filings}{removed}")
        if summary.guide_files:
            self.stdout.write(f"Guide files: {summary.guide_files} stored or removed")
        for key, done in summary.sections.items():
            self.stdout.write(f"{key.capitalize()}: {done}")
        if catalogue.calendar is not None:
            made_up = ""
            if summary.working_weekends_added or summary.working_weekends_removed:
                made_up = (f", {summary.working_weekends_added} make-up working days added, "
                           f"{summary.working_weekends_removed} removed")
            self.stdout.write(
                f"Calendar: working weekdays {'changed' if summary.calendar_changed else 'unchanged'}, "
                f"{summary.holidays_added} holidays added, {summary.holidays_removed} removed{made_up}"
            )
        if summary.department_calendars_changed:
            self.stdout.write(f"Department calendars: {summary.department_calendars_changed} changed")
        if summary.published:
            self.stdout.write(self.style.SUCCESS(
                f"New versions published ({len(summary.published)}): {', '.join(summary.published)}"
            ))
        else:
            self.stdout.write(self.style.SUCCESS("No new versions published: every service is unchanged."))
