"""What a renewal carries from the permit it renews without asking again (approvals.permit_life):
the answers are copied onto its draft; the documents (files and certificates) stay where they were
given and count as answered at its submission."""

from permits.models import Permit

from .models import ApplicationCertificate, Attachment

# A renewal of a renewal of ... : a chain this long is decades of permits.
CHAIN_MAX = 50


def carried_document_keys(application) -> set[str]:
    """The document questions answered on the applications of the permits ``application`` renews
    (its renewed permit's, and so on back along the series)."""
    keys: set[str] = set()
    if not application.renews_id:
        return keys
    permit_id = application.renews_id
    for _step in range(CHAIN_MAX):
        if permit_id is None:
            break
        source_id, permit_id = (Permit.objects.filter(pk=permit_id)
                                .values_list("application_id", "application__renews_id").get())
        keys |= set(Attachment.objects.filter(application_id=source_id).values_list("field_key", flat=True))
        keys |= set(ApplicationCertificate.objects.filter(application_id=source_id)
                    .values_list("field_key", flat=True))
    return keys
