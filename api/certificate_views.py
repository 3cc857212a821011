"""The wallet's API for department systems: push a certificate the department issued outside the
portal, revoke it, and check whether a certificate is valid (with the holder's consent).

Pushes and revocations are signed (api.request_signing) besides the bearer token, and honour
Idempotency-Key as every write does; the issuer is always the token's department, never the body."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from catalogue.models import CertificateType
from certificates.models import Certificate, CertificateState
from certificates.services import ConsentRequired, certificate_check, certificate_push, certificate_revoke, push_check

from .errors import error_response
from .refusals import api_denied
from .request_signing import signature_check
from .views import IDEMPOTENCY_KEY, DepartmentView, E, errors

TYPE = OpenApiParameter("type", OpenApiTypes.STR, OpenApiParameter.PATH, description="The certificate type's code")
NUMBER = OpenApiParameter("number", OpenApiTypes.STR, OpenApiParameter.PATH, description="The certificate's number")
SIGNATURE = OpenApiParameter(
    "X-Portal-Signature", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
    description='`v1=` and the hex HMAC-SHA256, with the department\'s signing secret, of "<X-Portal-Timestamp>." '
                "followed by the body as sent. Missing: 401 `signature_required`; wrong: 403 `bad_signature`.")
TIMESTAMP = OpenApiParameter("X-Portal-Timestamp", OpenApiTypes.INT, OpenApiParameter.HEADER, required=True,
                             description="The time of signing, in seconds since 1970 (UTC); within 5 minutes.")
SIGNED_WRITE_ERRORS = (400, 401, 403, 404, 406, 409, 413, 415, 422, 429)


class HolderSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    id_number = serializers.CharField(max_length=32, help_text="The holder's identity document number")
    company_code = serializers.CharField(max_length=18, required=False, allow_blank=True,
                                         help_text="For a company's certificate: its unified social credit code")
    company_name = serializers.CharField(max_length=200, required=False, allow_blank=True)


class CertificatePushSerializer(serializers.Serializer):
    type = serializers.CharField(max_length=64, help_text="A certificate type's code from the catalogue")
    number = serializers.CharField(max_length=64)
    holder = HolderSerializer()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(required=False, allow_null=True, help_text="None: no end date")
    data = serializers.DictField(child=serializers.JSONField(), required=False,
                                 help_text="What the certificate prints: label → text or number (at most 40)")
    replaces = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                     help_text="The number of the department's certificate this one replaces")


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class CertificateSerializer(serializers.Serializer):
    type = serializers.CharField()
    number = serializers.CharField()
    issuer = serializers.CharField()
    state = serializers.ChoiceField(choices=CertificateState.choices)
    holder = HolderSerializer()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)
    data = serializers.DictField()
    replaces = serializers.CharField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    revocation_reason = serializers.CharField()


class CertificateStatusSerializer(serializers.Serializer):
    """Only the state and the dates: nothing of the holder or of what it prints."""

    type = serializers.CharField()
    number = serializers.CharField()
    state = serializers.ChoiceField(choices=CertificateState.choices)
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)


def certificate_row(certificate: Certificate) -> dict:
    """A certificate as its issuer pushed it, with its state today."""
    return {
        "type": certificate.type.code, "number": certificate.number, "issuer": certificate.issuer.code,
        "state": certificate.state(),
        "holder": {"name": certificate.holder_name, "id_number": certificate.holder_id_number,
                   "company_code": certificate.company_code, "company_name": certificate.company_name},
        "valid_from": certificate.valid_from, "valid_until": certificate.valid_until, "data": certificate.data,
        "replaces": certificate.replaces.number if certificate.replaces_id else None,
        "revoked_at": certificate.revoked_at, "revocation_reason": certificate.revocation_reason,
    }


class SignedDepartmentView(DepartmentView):
    """A department's write into the wallet: signed (checked before its Idempotency-Key is taken)."""

    def check_write(self, request):
        signature_check(request)


@extend_schema(tags=["certificates"], request=CertificatePushSerializer, parameters=[SIGNATURE, TIMESTAMP, IDEMPOTENCY_KEY],
               responses={201: CertificateSerializer, 200: CertificateSerializer, **errors(*SIGNED_WRITE_ERRORS)})
class CertificateListView(SignedDepartmentView):
    """Push a certificate the department issued outside the portal into its holder's wallet (the
    issuer is the token's department). The same push again answers 200 with the certificate it
    made; the same type and number with other details: 409 `conflict`. Naming `replaces`
    supersedes that certificate (same type and holder) in the same step."""

    def post(self, request):
        data = CertificatePushSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values, holder = data.validated_data, data.validated_data["holder"]
        push = push_check(number=values["number"], holder_name=holder["name"], holder_id_number=holder["id_number"],
                          company_code=holder.get("company_code", ""), company_name=holder.get("company_name", ""),
                          valid_from=values["valid_from"], valid_until=values.get("valid_until"),
                          data=values.get("data"))
        certificate, created = certificate_push(issuer=request.auth.department, type_code=values["type"], push=push,
                                                replaces=values.get("replaces", ""), via=self.acting(), ip=self.ip())
        return Response(certificate_row(certificate), status=201 if created else 200)


@extend_schema(tags=["certificates"], request=RevokeSerializer, parameters=[TYPE, NUMBER, SIGNATURE, TIMESTAMP, IDEMPOTENCY_KEY],
               responses={200: CertificateSerializer, **errors(*SIGNED_WRITE_ERRORS)})
class CertificateRevokeView(SignedDepartmentView):
    """Revoke a certificate the department issued, with the reason (shown to its holder). A revoked
    one answers the same again; another department's certificate or a number never issued: 404."""

    def post(self, request, type, number):
        data = RevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            certificate = certificate_revoke(issuer=request.auth.department, type_code=type, number=number,
                                             reason=data.validated_data["reason"], via=self.acting(), ip=self.ip())
        except Certificate.DoesNotExist:
            self.denied("certificate", f"{type}/{number}")
            return error_response(404, _("Your department issued no certificate of this type with this number."))
        return Response(certificate_row(certificate))


@extend_schema(tags=["certificates"], parameters=[TYPE, NUMBER], responses={
    200: CertificateStatusSerializer, 403: OpenApiResponse(E, description="`consent_required`"),
    **errors(400, 401, 404, 406, 429)})
class CertificateStatusView(DepartmentView):
    """Is this certificate valid? Answered with its state and dates only, for a certificate the
    department issued or whose holder gave the department consent on their wallet page (portal
    permits too). Without consent, or for a number never issued alike: 403 `consent_required`.
    Each check is on the holder's "who viewed my data" page."""

    def get(self, request, type, number):
        if not CertificateType.objects.filter(code=type[:64]).exists():
            return error_response(404, _("No certificate type has this code."))
        try:
            certificate = certificate_check(department=request.auth.department, certificate_type_code=type,
                                            number=number, via=self.acting(), ip=self.ip())
        except ConsentRequired as refused:
            api_denied(request, object_type="certificate", object_id=f"{type}/{number}", reason="consent_required",
                       token=request.auth)
            return error_response(403, refused.message, code="consent_required")
        return Response({"type": certificate.type.code, "number": certificate.number, "state": certificate.state(),
                         "valid_from": certificate.valid_from, "valid_until": certificate.valid_until})
