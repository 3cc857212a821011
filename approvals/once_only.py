"""Once only, measured: what an application asked of its citizen, and what the portal took from
what the government already holds instead.

Four counts per application, taken when it is submitted and again when a correction is answered
(the documents and values may change then), and kept on the application (``Application.once_only``)
so that its receipt and the managers' dashboard (through dashboards.stats) read one figure:

- ``fields_asked``: answers the citizen gave (typed or chose), files aside;
- ``fields_taken``: answers a register gave and the citizen kept (approvals.register_values,
  verified only: a value the citizen typed because the register failed or was wrong is asked);
- ``documents_uploaded``: document questions the citizen answered with a file;
- ``documents_reused``: document questions a certificate from the citizen's wallet answered
  (approvals.certificate_evidence), which the citizen did not have to provide.
"""

FIGURES = ("fields_asked", "fields_taken", "documents_uploaded", "documents_reused")


def once_only_figures(application) -> dict[str, int]:
    """The four counts of a submitted application as its rows hold them now (three queries)."""
    return once_only_count(
        application,
        taken=set(application.register_values.filter(verified=True).values_list("field_key", flat=True)),
        reused=set(application.certificates.filter(submitted_at__isnull=False).values_list("field_key", flat=True)),
        files=set(application.attachments.filter(field_key__in=application.schema.file_keys)
                  .values_list("field_key", flat=True)),
    )


def once_only_count(application, *, taken: set[str], reused: set[str], files: set[str]) -> dict[str, int]:
    """The four counts from what the application's rows hold: the fields a register gave verified
    (``taken``), the document questions answered by a certificate submitted (``reused``) and by a
    file (``files``). Submitting knows all three without reading them back."""
    schema = application.schema
    answered = {key for key, value in application.answers.items()
                if key in schema.fields_by_key and key not in schema.file_keys and value not in (None, "", [])}
    taken = taken & answered
    uploaded = (files & schema.file_keys) - reused
    return {"fields_asked": len(answered - taken), "fields_taken": len(taken),
            "documents_uploaded": len(uploaded), "documents_reused": len(reused)}


def not_provided(figures: dict) -> int:
    """What the citizen did not have to provide: answers taken from registers and documents reused."""
    return (figures or {}).get("fields_taken", 0) + (figures or {}).get("documents_reused", 0)
