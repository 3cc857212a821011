"""Every permit whose file was produced before the wallet existed enters its holder's wallet, as a
permit produced now would (certificates.services.certificate_of_permit): the type its service
names (none: skipped), the applicant as holder, the permit's validity and what it prints. Its
state stays the permit's, read live. Idempotent: a permit that has its certificate is skipped,
so running it again adds nothing."""

import re

from django.db import migrations

BATCH = 500
COMPANY_CODE = re.compile(r"[0-9A-Z]{18}")


def _company_code(value) -> str:
    code = "".join(str(value or "").split()).upper()
    return code if COMPANY_CODE.fullmatch(code) else ""


def backfill_permit_certificates(apps, schema_editor=None) -> int:
    """Create the missing certificates of produced permits; returns how many were made."""
    Permit = apps.get_model("permits", "Permit")
    Certificate = apps.get_model("certificates", "Certificate")
    made = 0
    permits = (Permit.objects.filter(rendered_at__isnull=False, certificate__isnull=True,
                                     application__service__certificate_type__isnull=False)
               .select_related("application__applicant", "application__service").order_by("issued_at", "pk"))
    # Oldest first, so that a re-issue finds the certificate of the permit it replaces.
    for permit in permits.iterator(chunk_size=BATCH):
        application, applicant = permit.application, permit.application.applicant
        printed = permit.data or {}
        Certificate.objects.create(
            type_id=application.service.certificate_type_id, number=permit.number, source="portal", permit=permit,
            holder=applicant, holder_name=(printed.get("holder") or applicant.full_name or applicant.email)[:150],
            holder_id_number=applicant.id_number.upper() if applicant.assurance else "",
            company_code=_company_code((application.answers or {}).get("unified_social_credit_code")),
            company_name=str(printed.get("business_name") or (application.answers or {}).get("business_name") or "")[:200],
            valid_from=permit.valid_from, valid_until=permit.valid_until, data=printed,
            replaces=Certificate.objects.filter(permit_id=permit.replaces_id).first() if permit.replaces_id else None,
        )
        made += 1
    return made


class Migration(migrations.Migration):

    dependencies = [
        ("certificates", "0002_consents_and_replacement"),
        ("permits", "0003_verification_codes_and_reissue_requests"),
        ("approvals", "0001_initial"),
        ("accounts", "0004_identity_assurance"),
    ]

    operations = [
        migrations.RunPython(backfill_permit_certificates, migrations.RunPython.noop, elidable=True),
    ]
