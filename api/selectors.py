"""Reads of the API: what a token may see. Another department's review, another citizen's
application, or an application a front desk did not file does not exist for the token."""

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet

from accounts.models import Role
from approvals.bundle_selectors import permit_of as bundle_permit_of
from approvals.models import Application, Attachment, Filing, Review
from catalogue.models import Service
from permits.models import Permit, PermitStatus

from .models import ApiFiling, ApiToken, FilingConsent, TokenKind, WebhookSubscription


def reviews_for_department(token: ApiToken, *, status: str | None = None, service: str | None = None,
                           updated_since=None) -> QuerySet:
    reviews = Review.objects.filter(department_id=token.department_id).select_related("application__service",
                                                                                       "department")
    if status:
        reviews = reviews.filter(status=status)
    if service:
        reviews = reviews.filter(application__service__slug=service)
    if updated_since is not None:
        reviews = reviews.filter(updated_at__gte=updated_since)
    return reviews


def review_for_department(token: ApiToken, pk: int) -> Review:
    return (
        Review.objects.select_related("application__service_version", "application__service", "application__applicant",
                                      "department", "assignee")
        .get(pk=pk, department_id=token.department_id)
    )


def filings_for_department(token: ApiToken, *, acknowledged: bool | None = None, filed_since=None) -> QuerySet:
    """The department's filings after approval (another department's do not exist for the token)."""
    filings = Filing.objects.filter(department_id=token.department_id).select_related("application__service",
                                                                                      "department")
    if acknowledged is not None:
        filings = filings.filter(acknowledged_at__isnull=not acknowledged)
    if filed_since is not None:
        filings = filings.filter(created_at__gte=filed_since)
    return filings


def filing_for_department(token: ApiToken, pk: int) -> Filing:
    return (Filing.objects.select_related("application__service_version", "application__service",
                                          "application__applicant", "department")
            .get(pk=pk, department_id=token.department_id))


def applications_for(token: ApiToken) -> QuerySet:
    applications = Application.objects.select_related("service", "renews", "amends")
    if token.kind == TokenKind.CITIZEN:
        return applications.filter(applicant_id=token.user_id)
    if token.kind == TokenKind.FRONT_DESK:
        return applications.filter(api_filing__token_id=token.pk)
    return applications.none()


def application_for(token: ApiToken, pk: int) -> Application:
    application = (
        applications_for(token).select_related("service_version", "applicant", "api_filing__token",
                                               "api_filing__consent")
        .prefetch_related(
            Prefetch("reviews", queryset=Review.objects.select_related("department").order_by("stage", "department__code")),
            "attachments",
            Prefetch("permits", queryset=Permit.objects.exclude(status=PermitStatus.SUPERSEDED), to_attr="current_permits"),
        )
        .get(pk=pk)
    )
    # Every part of a bundle with one combined permit answers with that one permit.
    permit = bundle_permit_of(application)
    application.current_permits = [permit] if permit else []
    return application


def filing_applicant(email: str):
    """The citizen a front desk files for, by the email of their account, or None."""
    return get_user_model().objects.filter(email__iexact=(email or "").strip(), role=Role.CITIZEN,
                                           is_active=True).first()


def walk_in_applicant(user_id: int):
    """A citizen registered at a front desk (any desk: they may come back to another), by id, or None."""
    return get_user_model().objects.filter(pk=user_id, role=Role.CITIZEN, is_active=True,
                                           counter_registration__isnull=False).first()


def filing_of(application_id: int) -> ApiFiling | None:
    """The front desk's filing of an application, with its consent (for the pages), or None."""
    return ApiFiling.objects.select_related("token", "consent").filter(application_id=application_id).first()


def consent_document_of(user, application_id: int) -> FilingConsent:
    """The signed consent document of one of ``user``'s own applications."""
    return FilingConsent.objects.exclude(document="").get(filing__application_id=application_id,
                                                          filing__application__applicant=user)


def attachment_of(application: Application, pk: int) -> Attachment:
    return Attachment.objects.get(pk=pk, application=application)


def current_permit(application: Application) -> Permit:
    permit = next(iter(getattr(application, "current_permits", None) or
                       Permit.objects.filter(application=application).exclude(status=PermitStatus.SUPERSEDED)), None)
    if permit is None or not permit.file:
        raise Permit.DoesNotExist
    return permit


def public_services() -> QuerySet:
    return (Service.objects.filter(is_active=True, current_version__isnull=False).select_related("current_version")
            .order_by("position", "slug"))


def public_service(slug: str) -> Service:
    return public_services().get(slug=slug)


def subscriptions_for(token: ApiToken) -> QuerySet:
    return WebhookSubscription.objects.filter(department_id=token.department_id).order_by("pk")


def subscription_for(token: ApiToken, pk: int) -> WebhookSubscription:
    """The token's department's subscription; another department's raises DoesNotExist (404)."""
    return subscriptions_for(token).get(pk=pk)


def tokens_of_citizen(user) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user, kind=TokenKind.CITIZEN).order_by("-created_at", "-pk"))


def front_desk_filed(token: ApiToken, application: Application) -> bool:
    return ApiFiling.objects.filter(token=token, application=application).exists()
