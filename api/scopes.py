"""Token scopes: which kind of token may hold which scope, and the one table of the scope each
endpoint needs (api.permissions.HasScope enforces it, api.schema documents it)."""

from django.utils.translation import gettext_lazy as _

from .models import Scope, TokenKind

# What each kind may hold. Issued without a choice, a token gets all of its kind's: what a
# department's case system, a citizen's app or a front desk does from the start (narrower
# tokens are chosen when issuing, e.g. only `read` for a reporting tool).
KIND_SCOPES = {
    TokenKind.DEPARTMENT: (Scope.READ, Scope.DECIDE, Scope.WEBHOOKS, Scope.ACKNOWLEDGE, Scope.CERTIFICATES_WRITE,
                           Scope.CERTIFICATES_VERIFY),
    TokenKind.CITIZEN: (Scope.READ, Scope.FILE),
    TokenKind.FRONT_DESK: (Scope.READ, Scope.FILE, Scope.REGISTER),
}

SCOPE_HELP = {
    Scope.READ: _("Read (GET): a department's reviews and their files, and its filings; applications and their "
                  "permits"),
    Scope.DECIDE: _("Claim reviews, decide them (approve, reject, ask for a correction) and write to the applicant"),
    Scope.WEBHOOKS: _("List, add and remove the department's webhook subscriptions and renew their secrets"),
    Scope.FILE: _("Start, fill in, attach files to, submit and correct applications, and renew and cancel their "
                    "permits"),
    Scope.REGISTER: _("Register walk-in citizens and print their claim letters"),
    Scope.CERTIFICATES_WRITE: _("Push e-certificates the department issued into their holders' wallets and revoke "
                                "them (signed with the department's signing secret as well)"),
    Scope.CERTIFICATES_VERIFY: _("Check whether an e-certificate is valid, when its holder gave the department consent"),
    Scope.ACKNOWLEDGE: _("Acknowledge the filings the department is told of after an approval"),
}

# View → HTTP method → the scope it needs. HEAD is answered as GET; OPTIONS only describes the
# endpoint. A token view missing here is refused (api/tests/test_scopes.py walks every route).
ENDPOINT_SCOPES = {
    "ReviewListView": {"GET": Scope.READ},
    "ReviewDetailView": {"GET": Scope.READ},
    "ReviewAttachmentView": {"GET": Scope.READ},
    "ReviewOpinionListView": {"GET": Scope.READ},
    "ReviewOpinionFileView": {"GET": Scope.READ},
    "ReviewClaimView": {"POST": Scope.DECIDE},
    "ReviewDecisionView": {"POST": Scope.DECIDE},
    "ReviewMessageView": {"POST": Scope.DECIDE},
    "FilingListView": {"GET": Scope.READ},
    "FilingDetailView": {"GET": Scope.READ},
    "FilingAcknowledgeView": {"POST": Scope.ACKNOWLEDGE},
    "WebhookListView": {"GET": Scope.WEBHOOKS, "POST": Scope.WEBHOOKS},
    "WebhookDetailView": {"GET": Scope.WEBHOOKS, "DELETE": Scope.WEBHOOKS},
    "WebhookSecretView": {"POST": Scope.WEBHOOKS},
    "ApplicationListView": {"GET": Scope.READ, "POST": Scope.FILE},
    "ApplicationDetailView": {"GET": Scope.READ},
    "ApplicationAnswersView": {"POST": Scope.FILE},
    "ApplicationAttachmentView": {"POST": Scope.FILE},
    "ApplicationSubmitView": {"POST": Scope.FILE},
    "ApplicationCorrectionView": {"POST": Scope.FILE},
    "ApplicationPermitView": {"GET": Scope.READ},
    "ApplicationPermitCancelView": {"POST": Scope.FILE},
    "ApplicationPermitRenewalView": {"POST": Scope.FILE},
    "ApplicationPermitAmendmentView": {"POST": Scope.FILE},
    "CitizenListView": {"POST": Scope.REGISTER},
    "CitizenClaimLetterView": {"POST": Scope.REGISTER},
    "CertificateListView": {"POST": Scope.CERTIFICATES_WRITE},
    "CertificateRevokeView": {"POST": Scope.CERTIFICATES_WRITE},
    "CertificateStatusView": {"GET": Scope.CERTIFICATES_VERIFY},
}


def required_scope(view, method: str) -> str | None:
    """The scope ``view`` needs for ``method``, or None when the table names none."""
    method = "GET" if method == "HEAD" else method
    return ENDPOINT_SCOPES.get(type(view).__name__, {}).get(method)


def scopes_of_kind(kind: str) -> tuple[str, ...]:
    return tuple(str(s) for s in KIND_SCOPES.get(kind, ()))
