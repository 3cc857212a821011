"""The links mailed to a member of the public who complained without an account, signed with the
portal's secret (django.core.signing): the confirmation link works COMPLAINT_CONFIRM_HOURS and
once (the complaint then leaves ``unconfirmed``); the link to follow the complaint never expires and
names only that complaint."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

CONFIRM_SALT = "approvals.complaint.confirm"
FOLLOW_SALT = "approvals.complaint.follow"


class LinkExpired(Exception):
    pass


class LinkInvalid(Exception):
    pass


def confirm_token(complaint_id: int) -> str:
    return signing.dumps(complaint_id, salt=CONFIRM_SALT, compress=False)


def confirmed_complaint_id(token: str) -> int:
    """The complaint a confirmation token names; LinkExpired or LinkInvalid otherwise."""
    try:
        return int(signing.loads(token, salt=CONFIRM_SALT, max_age=settings.COMPLAINT_CONFIRM_HOURS * 3600))
    except signing.SignatureExpired as exc:
        raise LinkExpired from exc
    except (signing.BadSignature, TypeError, ValueError) as exc:
        raise LinkInvalid from exc


def follow_token(complaint_id: int) -> str:
    return signing.Signer(salt=FOLLOW_SALT).sign(str(complaint_id))


def followed_complaint_id(token: str) -> int:
    try:
        return int(signing.Signer(salt=FOLLOW_SALT).unsign(token))
    except (signing.BadSignature, ValueError) as exc:
        raise LinkInvalid from exc


def confirm_url(complaint_id: int) -> str:
    return settings.SITE_URL + reverse("complaints:confirm", args=[confirm_token(complaint_id)])


def follow_url(complaint_id: int) -> str:
    return settings.SITE_URL + reverse("complaints:follow", args=[follow_token(complaint_id)])
