"""REST API v1: thin views over the engine's services and the selectors."""

from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from approvals import filings, workflow
from approvals.attachments import CopyUnavailable, disarmed_copy
from approvals.consultation import message_send_by_department
from approvals.evidence import CertificateRefused
from approvals.models import ReviewStatus
from approvals.need_to_know import department_attachment, filing_need_to_know, need_to_know
from approvals.opinions import asked_opinion_file, asked_opinions
from approvals.payment_flow import PaymentRefused, payment_record
from approvals.permit_life import permit_amend_start, permit_cancel, permit_renew_start
from audit.models import Action
from audit.services import Event, access_record, client_ip
from catalogue.fees import fee_answer_problems, fee_quote, payment_mode
from catalogue.schema import Schema
from core.errors import ValidationFailed
from core.replica import replica_readable
from payments.models import IssueSource
from payments.providers import SIGNATURE_HEADER, TIMESTAMP_HEADER, NotificationRefused, provider_for
from permits.selectors import normalize_number, valid_by_number, verification_by_code

from . import selectors, serializers
from .acting import token_actor
from .base import ApiView
from .errors import error_response
from .front_desk import claim_letter_print, filing_follow_on, walk_in_register
from .front_desk import filing_create as front_desk_filing
from .idempotency import Replay, idempotency_begin, idempotency_finish
from .models import TokenKind
from .parsers import StrictJSONParser
from .permissions import HasScope, IsApplicantToken, IsDepartmentToken, IsFrontDeskToken
from .refusals import api_denied
from .services import webhook_rotate_secret, webhook_subscribe, webhook_unsubscribe
from .throttles import PublicRateThrottle, TokenRateThrottle

E = serializers.ErrorSerializer


def errors(*codes) -> dict:
    return {code: OpenApiResponse(E) for code in codes}


READ_ERRORS = (400, 401, 403, 404, 406, 429)
WRITE_ERRORS = (400, 401, 403, 404, 406, 409, 413, 415, 422, 429)
ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
ATTACHMENT_ID = OpenApiParameter("attachment_id", OpenApiTypes.INT, OpenApiParameter.PATH)
IDEMPOTENCY_KEY = OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
                                   description="Replays the first answer for the same key and body; another body: 422.")


class Pages(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"

    def get_paginated_response_schema(self, schema):
        return {"type": "object", "required": ["results"], "properties": {
            "next": {"type": "string", "nullable": True, "format": "uri"},
            "previous": {"type": "string", "nullable": True, "format": "uri"},
            "results": schema}}


class ReviewPages(Pages):
    ordering = ("updated_at", "pk")


class FilingPages(Pages):
    ordering = ("created_at", "pk")


class ApplicationPages(Pages):
    ordering = ("-created_at", "-pk")


class TokenView(ApiView):
    """A view for token holders: throttled per token; POSTs honour Idempotency-Key."""

    throttle_classes = [TokenRateThrottle]
    parser_classes = [StrictJSONParser]

    def get_permissions(self):
        # The kind of token the view's group serves, then the scope this call needs (api.scopes).
        return [*super().get_permissions(), HasScope()]

    def initial(self, request, *args, **kwargs):
        self._idempotency = None
        super().initial(request, *args, **kwargs)
        if request.method == "POST":
            self.check_write(request)
            self._idempotency = idempotency_begin(request)

    def check_write(self, request):
        """What a write must carry besides its token, checked before its Idempotency-Key is taken
        (a signed write: its signature, api.certificate_views)."""

    def handle_exception(self, exc):
        if isinstance(exc, Replay):
            return Response(exc.record.body, status=exc.record.status_code, headers={"Idempotent-Replayed": "true"})
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        if getattr(self, "_idempotency", None) is not None:
            idempotency_finish(self._idempotency, response)
            self._idempotency = None
        return super().finalize_response(request, response, *args, **kwargs)

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except Exception:
            if getattr(self, "_idempotency", None) is not None:
                self._idempotency.delete()
            raise

    def ip(self):
        return client_ip(self.request._request)

    def acting(self):
        """The token acting, for the audit events of what it writes and reads (api.acting)."""
        return token_actor(self.request.auth)

    def viewed(self, action, obj_type, obj_id, application, *, department_code="", purpose="api"):
        """An API read of personal data, on record with the token that read it (a front desk's: the desk's),
        once a minute."""
        access_record(self.acting().stamp(Event(
            action=action, object_type=obj_type, object_id=obj_id, subject_id=application.applicant_id,
            application_id=application.pk, department_code=department_code, ip=self.ip(), purpose=purpose)))

    def denied(self, obj_type, obj_id):
        api_denied(self.request, object_type=obj_type, object_id=obj_id, reason="not_found", token=self.request.auth)

    def owned(self, obj_type, lookup, pk):
        """``lookup(token, id)``, the token's own object for the path's ``pk``; anything else is a
        404 whose attempt is on record."""
        try:
            return lookup(self.request.auth, _path_id(pk))
        except Exception:
            self.denied(obj_type, pk)
            raise


def _path_id(value) -> int:
    """A path's id: anything but a positive integer names nothing (404)."""
    text = str(value)
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**62:
        raise Http404
    return int(text)


def _shown_once(body: dict, status: int, *, replay: dict) -> Response:
    """An answer with something shown once (a claim code, a signing secret): an Idempotency-Key
    replays ``replay``, the answer without it."""
    response = Response(body, status=status)
    response.replay_data = replay
    return response


# --- Public -------------------------------------------------------------------------------------


class PublicView(ApiView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicRateThrottle]


@extend_schema(tags=["public"], responses={200: serializers.ServiceSummarySerializer(many=True), **errors(406, 429)})
class ServiceListView(PublicView):
    """Every service open for applications."""

    def get(self, request):
        return Response([serializers.service_summary(s) for s in selectors.public_services()])


@extend_schema(tags=["public"], responses={200: serializers.ServiceDetailSerializer, **errors(404, 406, 429)})
class ServiceDetailView(PublicView):
    """A service's fields, reviewing departments, stages and time limits."""

    def get(self, request, slug):
        return Response(serializers.service_detail(selectors.public_service(slug)))


@extend_schema(tags=["public"], request=serializers.FeeQuoteRequestSerializer,
               responses={200: serializers.FeeQuoteSerializer, **errors(400, 404, 406, 413, 415, 429)})
class ServiceFeeQuoteView(PublicView):
    """What the service's fee comes to for these answers, item by item, as the portal would charge
    it on submission (the current version's rule). A service that charges no fee: 404."""

    parser_classes = [StrictJSONParser]

    @extend_schema(operation_id="services_fee_quote_create")
    def post(self, request, slug):
        service = selectors.public_service(slug)
        body = serializers.FeeQuoteRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        schema = Schema(service.current_version.schema)
        if not schema.fee:
            return error_response(404, _("This service charges no fee through the portal."))
        answers = body.validated_data["answers"]
        problems = fee_answer_problems(schema, answers)
        if problems:
            raise ValidationFailed({f"answers.{key}": messages for key, messages in problems.items()})
        quote = fee_quote(schema.fee, answers, schema.fields_by_key)
        return Response(serializers.fee_quote_body(quote, payment_mode(schema.fee)))


@extend_schema(tags=["payments"], request=serializers.PaymentNotificationSerializer, parameters=[
    OpenApiParameter(TIMESTAMP_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
                     description="Unix seconds when the notification was signed; outside the window: 401."),
    OpenApiParameter(SIGNATURE_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
                     description='"sha256=" and the hex HMAC-SHA256 of "<timestamp>." and the body, under the '
                                 "provider's secret."),
], responses={200: serializers.PaymentOutcomeSerializer, **errors(400, 401, 404, 413, 429)})
class PaymentNotificationView(PublicView):
    """A payment provider tells the portal that money arrived (payments.providers). A notification
    told twice counts once; money that cannot be applied is kept for a person (outcome "issue")."""

    @extend_schema(operation_id="payments_notifications_create")
    def post(self, request, provider):
        found = provider_for(provider)
        if found is None:
            return error_response(404, _("No payment provider has this name."))
        body = request._request.body  # the bytes signed, before anything parses them
        try:
            found.verify(headers=request.headers, body=body, now=timezone.now())
            notice = found.parse(body)
            outcome = payment_record(provider=found.slug, transaction_id=notice.transaction_id, code=notice.code,
                                     amount=notice.amount, currency=notice.currency, paid_at=notice.paid_at,
                                     source=IssueSource.NOTIFICATION, details=notice.details)
        except NotificationRefused as refused:
            return error_response(refused.http_status, refused.message, code=refused.code)
        except PaymentRefused as refused:
            return error_response(400, refused.message, code="not_a_payment")
        return Response({"outcome": outcome.outcome, "problem": outcome.problem or None})


class PermitVerificationView(PublicView):
    """Verification reads what is issued, never what its caller has written: from the replica
    where one is configured and not behind, as the public verification pages do (core.replica)."""

    @method_decorator(replica_readable)
    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)


@extend_schema(tags=["public"], responses={200: serializers.PermitValiditySerializer, **errors(404, 406, 429)})
class PermitVerifyView(PermitVerificationView):
    """Is a permit with this number valid today? Nothing more: permit numbers are sequential."""

    def get(self, request, number):
        number = normalize_number(number) if number.isprintable() else None
        if number is None or not valid_by_number(number):
            return error_response(404, _("No valid permit has this number."))
        return Response({"number": number, "valid": True})


@extend_schema(tags=["public"], responses={200: serializers.PermitVerificationSerializer, **errors(404, 406, 429)})
class PermitVerifyCodeView(PermitVerificationView):
    """The permit with this number and verification code (both printed on it): its state and
    what it prints. A wrong code is answered like a number never issued."""

    @extend_schema(operation_id="permits_verification_by_code_retrieve")
    def get(self, request, number, code):
        number = normalize_number(number) if number.isprintable() else None
        v = verification_by_code(number, code[:64]) if number else None
        if v is None:
            return error_response(404, _("No permit has this number and verification code."))
        permit = v.permit
        # One reading of a permit for the page and the API: what the permit itself prints.
        return Response({
            "number": permit.number, "state": v.state, "holder": v.holder, "business_name": v.business_name,
            "site_address": v.site_address, "service": v.service, "application": v.application,
            "departments": v.departments, "issued_at": permit.issued_at, "valid_from": permit.valid_from,
            "valid_until": permit.valid_until, "replaces": v.replaces or None, "replaced_by": v.replaced_by or None,
        })


# --- Department systems -------------------------------------------------------------------------


class DepartmentView(TokenView):
    permission_classes = [IsDepartmentToken]

    def review(self, pk):
        return self.owned("review", selectors.review_for_department, pk)

    def subscription(self, pk):
        return self.owned("webhook_subscription", selectors.subscription_for, pk)

    def download(self, review, item, obj_type: str, obj_id):
        """A file of ``review`` the department may download (``item``, None: a 404 on record) as its
        disarmed copy, never the upload as it came (approvals.attachments); the read on record."""
        if item is None:
            self.denied(obj_type, obj_id)
            return error_response(404, _("Not found."))
        try:
            copy = disarmed_copy(item)
        except CopyUnavailable as unavailable:
            return error_response(409, unavailable.message, code="invalid_state")
        self.viewed(Action.ATTACHMENT_VIEWED, obj_type, item.pk, review.application, department_code=review.department.code)
        return FileResponse(copy, as_attachment=True, filename=item.original_name, content_type="application/octet-stream")

    def filing(self, pk):
        return self.owned("filing", selectors.filing_for_department, pk)

    def listed(self, filters, select, summary):
        """A cursor page of ``select(token, **filters)`` (the query's filters checked: 400 when bad),
        each row as ``summary`` gives it."""
        filters = filters(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(select(self.request.auth, **filters.validated_data), self.request, view=self)
        return paginator.get_paginated_response([summary(row) for row in page])


@extend_schema(
    tags=["department"],
    parameters=[
        OpenApiParameter("status", OpenApiTypes.STR, enum=ReviewStatus.values),
        OpenApiParameter("service", OpenApiTypes.STR, description="Service slug"),
        OpenApiParameter("updated_since", OpenApiTypes.DATETIME),
    ],
    responses={200: serializers.ReviewSummarySerializer(many=True), **errors(*READ_ERRORS)},
)
class ReviewListView(DepartmentView):
    """The department's reviews, oldest change first (cursor pages)."""

    pagination_class = ReviewPages

    def get(self, request):
        return self.listed(_ReviewFilters, selectors.reviews_for_department, serializers.review_summary)


class _ReviewFilters(drf_serializers.Serializer):
    status = drf_serializers.ChoiceField(choices=ReviewStatus.choices, required=False)
    service = drf_serializers.SlugField(max_length=80, required=False)
    updated_since = drf_serializers.DateTimeField(required=False)


@extend_schema(parameters=[ID], tags=["department"], responses={200: serializers.ReviewDetailSerializer, **errors(*READ_ERRORS)})
class ReviewDetailView(DepartmentView):
    """One review with the answers and files the department needs, and the details of the
    applicant's identity its requirement lists; nothing of the application before the review's
    stage starts."""

    def get(self, request, pk):
        review = self.review(pk)
        view = need_to_know(review)
        self.viewed(Action.REVIEW_VIEWED, "review", review.pk, review.application,
                    department_code=review.department.code)
        return Response(serializers.review_detail(review, view))


@extend_schema(parameters=[ID, ATTACHMENT_ID], tags=["department"], responses={
    (200, "application/octet-stream"): OpenApiTypes.BINARY, **errors(*READ_ERRORS, 409)})
class ReviewAttachmentView(DepartmentView):
    """Download one of the files the department may see: the disarmed copy (a PDF rewritten without
    actions, scripts, embedded files, forms or annotations; an image re-encoded without metadata).
    ``size`` and ``sha256`` in the review describe the file as uploaded. 409 when no safe copy
    can be made."""

    def get(self, request, pk, attachment_id):
        review = self.review(pk)
        return self.download(review, department_attachment(review, _path_id(attachment_id)), "attachment",
                             attachment_id)


@extend_schema(parameters=[ID], tags=["department"],
               responses={200: serializers.AskedOpinionSerializer(many=True), **errors(*READ_ERRORS)})
class ReviewOpinionListView(DepartmentView):
    """The departments the review's department asked for an opinion on this application (newest
    first), each with its opinion once given: agree, agree with conditions or disagree, the text,
    who gave it and when, and the files given with it. An opinion is final. Not paged: a review
    asks few departments."""

    def get(self, request, pk):
        review = self.review(pk)
        shares = list(asked_opinions(review))
        self.viewed(Action.REVIEW_VIEWED, "review", review.pk, review.application, department_code=review.department.code)
        return Response([serializers.asked_opinion(review, share) for share in shares])


OPINION_FILE_ID = OpenApiParameter("file_id", OpenApiTypes.INT, OpenApiParameter.PATH)


@extend_schema(parameters=[ID, OPINION_FILE_ID], tags=["department"], responses={
    (200, "application/octet-stream"): OpenApiTypes.BINARY, **errors(*READ_ERRORS, 409)})
class ReviewOpinionFileView(DepartmentView):
    """Download a file another department gave with its opinion on this application: its disarmed
    copy, as for the review's attachments. ``size`` and ``sha256`` in the opinion describe the
    file as uploaded."""

    def get(self, request, pk, file_id):
        review = self.review(pk)
        return self.download(review, asked_opinion_file(review, _path_id(file_id)), "opinionattachment", file_id)


@extend_schema(tags=["department"], request=None, parameters=[ID, IDEMPOTENCY_KEY],
               responses={200: serializers.ReviewSummarySerializer, **errors(*WRITE_ERRORS)})
class ReviewClaimView(DepartmentView):
    """Take the review from the queue (the token's department system holds it)."""

    def post(self, request, pk):
        review = self.review(pk)
        review = workflow.review_claim(review_id=review.pk, actor=request.auth.user, ip=self.ip(), via=self.acting())
        return Response(serializers.review_summary(selectors.review_for_department(request.auth, review.pk)))


@extend_schema(tags=["department"], request=serializers.DecisionSerializer, parameters=[ID, IDEMPOTENCY_KEY],
               responses={200: serializers.ReviewSummarySerializer, **errors(*WRITE_ERRORS)})
class ReviewDecisionView(DepartmentView):
    """Approve (with conditions), reject (with a reason) or ask for a correction (fields and message)."""

    def post(self, request, pk):
        review = self.review(pk)
        data = serializers.DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        workflow.review_decide(review_id=review.pk, actor=request.auth.user, ip=self.ip(), via=self.acting(),
                               **data.validated_data)
        return Response(serializers.review_summary(selectors.review_for_department(request.auth, review.pk)))


@extend_schema(tags=["department"], request=serializers.MessageInSerializer, parameters=[ID, IDEMPOTENCY_KEY],
               responses={201: serializers.MessageOutSerializer, **errors(*WRITE_ERRORS)})
class ReviewMessageView(DepartmentView):
    """Write to the applicant in the department's thread."""

    def post(self, request, pk):
        review = self.review(pk)
        data = serializers.MessageInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = message_send_by_department(review_id=review.pk, actor=request.auth.user, body=data.validated_data["body"],
                                             ip=self.ip(), via=self.acting())
        return Response({"id": message.pk, "side": message.side, "body": message.body,
                         "created_at": message.created_at}, status=201)


@extend_schema(
    tags=["department"],
    parameters=[
        OpenApiParameter("acknowledged", OpenApiTypes.BOOL, description="Only those acknowledged (true) or not (false)"),
        OpenApiParameter("filed_since", OpenApiTypes.DATETIME),
    ],
    responses={200: serializers.FilingSummarySerializer(many=True), **errors(*READ_ERRORS)},
)
class FilingListView(DepartmentView):
    """The approvals the department is told of by filing (record filing after approval), oldest
    first (cursor pages); the webhook event ``filing.created`` names each new one."""

    pagination_class = FilingPages

    def get(self, request):
        return self.listed(_FilingFilters, selectors.filings_for_department, serializers.filing_summary)


class _FilingFilters(drf_serializers.Serializer):
    acknowledged = drf_serializers.BooleanField(required=False, allow_null=True, default=None)
    filed_since = drf_serializers.DateTimeField(required=False)


@extend_schema(parameters=[ID], tags=["department"], responses={200: serializers.FilingDetailSerializer,
                                                                **errors(*READ_ERRORS)})
class FilingDetailView(DepartmentView):
    """One filing: the answers and the details of the applicant's identity the department's filing
    lists, nothing more, and the permit issued. Its reading is on record, as a review's."""

    def get(self, request, pk):
        filing = self.filing(pk)
        view = filing_need_to_know(filing)
        self.viewed(Action.FILING_VIEWED, "filing", filing.pk, filing.application,
                    department_code=filing.department.code, purpose="filing")
        return Response(serializers.filing_detail(filing, view))


@extend_schema(tags=["department"], request=None, parameters=[ID, IDEMPOTENCY_KEY],
               responses={200: serializers.FilingSummarySerializer, **errors(*WRITE_ERRORS)})
class FilingAcknowledgeView(DepartmentView):
    """Acknowledge the filing, once. Acknowledged already (by an officer on the portal, or an
    earlier call): 409 ``already_acknowledged``, saying when, and nothing is recorded again; an
    ``Idempotency-Key`` replays the first answer instead."""

    def post(self, request, pk):
        filing = self.filing(pk)
        filings.filing_acknowledge(filing_id=filing.pk, actor=request.auth.user, ip=self.ip(), via=self.acting())
        return Response(serializers.filing_summary(selectors.filing_for_department(request.auth, filing.pk)))


@extend_schema(tags=["department"])
class WebhookListView(DepartmentView):
    """The department's webhook subscriptions."""

    @extend_schema(responses={200: serializers.WebhookOutSerializer(many=True), **errors(*READ_ERRORS)})
    def get(self, request):
        return Response([serializers.webhook_row(s) for s in selectors.subscriptions_for(request.auth)])

    @extend_schema(request=serializers.WebhookInSerializer, parameters=[IDEMPOTENCY_KEY],
                   responses={201: serializers.WebhookCreatedSerializer, **errors(*WRITE_ERRORS)})
    def post(self, request):
        """Subscribe: the answer gives the signing secret, once."""
        data = serializers.WebhookInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sub, secret = webhook_subscribe(department=request.auth.department, token=request.auth, **data.validated_data)
        row = serializers.webhook_row(sub, secret=secret)
        return _shown_once(row, 201, replay=serializers.without_secret(row))


@extend_schema(parameters=[ID], tags=["department"])
class WebhookDetailView(DepartmentView):
    """One of the department's webhook subscriptions (without its secret)."""

    @extend_schema(responses={200: serializers.WebhookOutSerializer, **errors(*READ_ERRORS)})
    def get(self, request, pk):
        return Response(serializers.webhook_row(self.subscription(pk)))

    @extend_schema(responses={204: None, **errors(*READ_ERRORS)})
    def delete(self, request, pk):
        webhook_unsubscribe(department=request.auth.department, subscription_id=self.subscription(pk).pk,
                            token=request.auth)
        return Response(status=204)


@extend_schema(tags=["department"], request=None, parameters=[ID, IDEMPOTENCY_KEY],
               responses={200: serializers.WebhookCreatedSerializer, **errors(*WRITE_ERRORS)})
class WebhookSecretView(DepartmentView):
    """A new signing secret, shown once in this answer; deliveries sent from now on are signed with it."""

    def post(self, request, pk):
        sub, secret = webhook_rotate_secret(department=request.auth.department, subscription_id=self.subscription(pk).pk,
                                            token=request.auth)
        row = serializers.webhook_row(sub, secret=secret)
        return _shown_once(row, 200, replay=serializers.without_secret(row))


# --- Applications: citizens and front desks -------------------------------------------------------


class ApplicantView(TokenView):
    permission_classes = [IsApplicantToken]

    def application(self, pk):
        return self.owned("application", selectors.application_for, pk)

    def write(self, action, **kwargs):
        """An engine write for the token; a certificate named that is not the citizen's is on record."""
        try:
            return action(**kwargs)
        except CertificateRefused as exc:
            for _key, sent in exc.refused:
                api_denied(self.request, object_type="certificate", object_id=sent, reason="not_holder",
                           token=self.request.auth)
            raise

    def detail(self, pk, *, status=200):
        application = selectors.application_for(self.request.auth, pk)
        self.viewed(Action.APPLICATION_VIEWED, "application", application.pk, application)
        return Response(serializers.application_detail(application), status=status)


@extend_schema(tags=["applications"])
class ApplicationListView(ApplicantView):
    pagination_class = ApplicationPages

    @extend_schema(responses={200: serializers.ApplicationSummarySerializer(many=True), **errors(*READ_ERRORS)})
    def get(self, request):
        """The token's applications: a citizen's own, or those a front desk filed, newest first."""
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.applications_for(request.auth), request, view=self)
        return paginator.get_paginated_response([serializers.application_summary(a) for a in page])

    @extend_schema(request=serializers.ApplicationCreateSerializer, parameters=[IDEMPOTENCY_KEY],
                   responses={201: serializers.ApplicationDetailSerializer, **errors(*WRITE_ERRORS)})
    def post(self, request):
        """Start a draft for a service, with first answers if given (checked as the web form does).
        A front desk names the citizen (a walk-in by `applicant_id`, anyone by `applicant_email`) and
        sends the citizen's signed consent, kept with the filing."""
        token = request.auth
        front_desk = token.kind == TokenKind.FRONT_DESK
        data = serializers.ApplicationCreateSerializer(data=request.data, context={"front_desk": front_desk})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        applicant = self._applicant(values) if front_desk else token.user
        try:
            service = selectors.public_service(values["service"])
        except Exception:
            raise ValidationFailed({"service": [_("No open service has this name.")]})
        if front_desk:
            application = front_desk_filing(token=token, applicant=applicant, service=service, answers=values["answers"],
                                            consent=values["consent"], ip=self.ip())
        else:
            application = workflow.application_start(applicant=applicant, service=service, answers=values["answers"],
                                                     ip=self.ip(), via=self.acting())
        return self.detail(application.pk, status=201)

    @staticmethod
    def _applicant(values):
        if "applicant_id" in values:
            applicant = selectors.walk_in_applicant(values["applicant_id"])
            if applicant is None:
                raise ValidationFailed({"applicant_id": [_("No citizen registered at a front desk has this id.")]})
            return applicant
        applicant = selectors.filing_applicant(values["applicant_email"])
        if applicant is None:
            raise ValidationFailed({"applicant_email": [_("No citizen account has this email address.")]})
        return applicant


@extend_schema(parameters=[ID], tags=["applications"],
               responses={200: serializers.ApplicationDetailSerializer, **errors(*READ_ERRORS)})
class ApplicationDetailView(ApplicantView):
    """The application: answers, files, every department's review, the permit."""

    def get(self, request, pk):
        return self.detail(self.application(pk).pk)


@extend_schema(tags=["applications"], request=serializers.AnswersSerializer, parameters=[ID, IDEMPOTENCY_KEY],
               responses={200: serializers.ApplicationDetailSerializer, **errors(*WRITE_ERRORS)})
class ApplicationAnswersView(ApplicantView):
    """Save answers of a draft (a missing required answer is fine until submission)."""

    def post(self, request, pk):
        application = self.application(pk)
        data = serializers.AnswersSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        self.write(workflow.application_save_answers, application_id=application.pk, actor=application.applicant,
                   data=data.validated_data["answers"], certificates=data.validated_data["certificates"], ip=self.ip(),
                   via=self.acting())
        return self.detail(application.pk)


@extend_schema(tags=["applications"], request={"multipart/form-data": serializers.AttachmentUploadSerializer},
               parameters=[ID, IDEMPOTENCY_KEY],
               responses={201: serializers.AttachmentSerializer, **errors(*WRITE_ERRORS)})
class ApplicationAttachmentView(ApplicantView):
    """Upload a document for a file question (the same checks as the web form: type, size, count)."""

    parser_classes = [MultiPartParser, FormParser]

    def post(self, request, pk):
        application = self.application(pk)
        data = serializers.AttachmentUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attachment = workflow.application_attach(application_id=application.pk, actor=application.applicant,
                                                 field_key=data.validated_data["field_key"],
                                                 uploaded=data.validated_data["file"], ip=self.ip(), via=self.acting())
        return Response(serializers.attachment_row(attachment, ""), status=201)


@extend_schema(tags=["applications"], request=None, parameters=[ID, IDEMPOTENCY_KEY],
               responses={200: serializers.ApplicationDetailSerializer, **errors(*WRITE_ERRORS)})
class ApplicationSubmitView(ApplicantView):
    """Submit the draft: every answer is checked; the departments' reviews start."""

    def post(self, request, pk):
        application = self.application(pk)
        workflow.application_submit(application_id=application.pk, actor=application.applicant, ip=self.ip(),
                                    via=self.acting())
        return self.detail(application.pk)


@extend_schema(tags=["applications"], request=serializers.AnswersSerializer, parameters=[ID, IDEMPOTENCY_KEY],
               responses={200: serializers.ApplicationDetailSerializer, **errors(*WRITE_ERRORS)})
class ApplicationCorrectionView(ApplicantView):
    """Answer the departments' correction requests (only the requested answers may change)."""

    def post(self, request, pk):
        application = self.application(pk)
        data = serializers.AnswersSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        self.write(workflow.application_resubmit, application_id=application.pk, actor=application.applicant,
                   data=data.validated_data["answers"], certificates=data.validated_data["certificates"], ip=self.ip(),
                   via=self.acting())
        return self.detail(application.pk)


@extend_schema(parameters=[ID], tags=["applications"],
               responses={(200, "application/pdf"): OpenApiTypes.BINARY, **errors(*READ_ERRORS)})
class ApplicationPermitView(ApplicantView):
    """Download the permit (PDF) once it has been produced."""

    def get(self, request, pk):
        application = self.application(pk)
        permit = selectors.current_permit(application)
        self.viewed(Action.APPLICATION_VIEWED, "permit", permit.pk, application)
        return FileResponse(permit.file.open("rb"), as_attachment=True, filename=f"{permit.number}.pdf",
                            content_type="application/pdf")



@extend_schema(tags=["applications"], request=serializers.PermitCancelSerializer, parameters=[ID, IDEMPOTENCY_KEY],
               responses={200: serializers.ApplicationDetailSerializer, **errors(*WRITE_ERRORS)})
class ApplicationPermitCancelView(ApplicantView):
    """The holder gives up the application's valid permit from a day (today or later): it stays
    valid until then, and from then on verification says it was cancelled by its holder. The
    departments the catalogue names are told."""

    def post(self, request, pk):
        application = self.application(pk)
        data = serializers.PermitCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        permit = selectors.current_permit(application)
        permit_cancel(permit_id=permit.pk, actor=application.applicant, reason=data.validated_data["reason"],
                      cancelled_from=data.validated_data["cancelled_from"], ip=self.ip(), via=self.acting())
        return self.detail(application.pk)


@extend_schema(tags=["applications"], request=None, parameters=[ID, IDEMPOTENCY_KEY],
               responses={201: serializers.ApplicationDetailSerializer, **errors(*WRITE_ERRORS)})
class ApplicationPermitRenewalView(ApplicantView):
    """The holder renews the application's permit (valid, or ended no longer ago than the
    service's grace): answers the renewal's draft application, of kind `renewal`, with the answers
    carried from the permit's application; only the service's renewal questions are asked again.
    A renewal already in progress is answered instead (the same draft, whatever the number of
    calls). A front desk's renewal is filed by the desk, under the original consent."""

    start = staticmethod(permit_renew_start)

    def post(self, request, pk):
        application = self.application(pk)
        permit = selectors.current_permit(application)
        kwargs = {"permit_id": permit.pk, "actor": application.applicant, "ip": self.ip(), "via": self.acting()}
        if request.auth.kind == TokenKind.FRONT_DESK:
            follow_on = filing_follow_on(token=request.auth, start=self.start, **kwargs)
        else:
            follow_on = self.start(**kwargs)
        return self.detail(follow_on.pk, status=201)


@extend_schema(tags=["applications"], request=None, parameters=[ID, IDEMPOTENCY_KEY],
               responses={201: serializers.ApplicationDetailSerializer, **errors(*WRITE_ERRORS)})
class ApplicationPermitAmendmentView(ApplicationPermitRenewalView):
    """The holder changes details of the application's valid permit: answers the amendment's draft
    application, of kind `amendment`, with every answer carried from the permit's application; only
    the service's amendable questions may be changed (`PATCH` the draft, then submit it). Only the
    departments that review a change of a changed answer review it; a change nobody reviews is
    approved at submission. Its approval issues the amended permit, the next of the series, which
    replaces the old one at once. An amendment already in progress is answered instead."""

    start = staticmethod(permit_amend_start)


# --- Front desks: walk-in citizens ---------------------------------------------------------------


class FrontDeskView(TokenView):
    permission_classes = [IsFrontDeskToken]


@extend_schema(tags=["front desk"], request=serializers.CitizenRegistrationSerializer, parameters=[IDEMPOTENCY_KEY],
               responses={201: serializers.CitizenRegisteredSerializer, **errors(*WRITE_ERRORS)})
class CitizenListView(FrontDeskView):
    """Register a walk-in citizen who has no account, after the desk's officer checked their identity
    document in person: the account is "verified in person" by the desk and the officer, with no
    password. A document already verified on another account, or an e-mail address that already has
    an account, is a 409 (`document_already_verified`, `account_exists`) and nothing is made. With an
    e-mail address the citizen is mailed a link to set a password; `claim_letter` also returns a code
    to print on a letter (shown once)."""

    def post(self, request):
        data = serializers.CitizenRegistrationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        walk_in = walk_in_register(token=request.auth, ip=self.ip(), **data.validated_data)
        body = serializers.citizen_registered(walk_in)
        return _shown_once(body, 201, replay=serializers.without_claim_code(body))


@extend_schema(tags=["front desk"], request=None, parameters=[ID, IDEMPOTENCY_KEY],
               responses={201: serializers.ClaimLetterSerializer, **errors(*WRITE_ERRORS)})
class CitizenClaimLetterView(FrontDeskView):
    """A new claim letter (code and link, shown once) for a walk-in this desk registered who has not set
    a password yet (else 409 `already_claimed`); the earlier letter stops working."""

    def post(self, request, pk):
        letter = claim_letter_print(token=request.auth, user_id=_path_id(pk), ip=self.ip())
        body = serializers.claim_letter_row(letter)
        return _shown_once(body, 201, replay=serializers.without_claim_code(body))


class NotFoundView(ApiView):
    """Any other address under /api/: a 404 in the error shape, not an HTML page."""

    authentication_classes = []
    permission_classes = [AllowAny]
    schema = None

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise Http404

    get = post = put = patch = delete = head = options = http_method_not_allowed
