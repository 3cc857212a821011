"""Sign-in throttling: a progressive delay per account and per client address, never a hard lock.

django-axes records every failed attempt (``AccessAttempt``, one row per account, address and
browser), refuses attempts through its authentication backend and answers them with the lockout
page; this module decides when an attempt must wait (the numbers are settings, see
portal/settings/base.py):

- per account, from any address: after LOGIN_ACCOUNT_FREE_FAILURES failures the next attempt waits
  LOGIN_DELAY_SECONDS, and each further failure doubles the wait, up to LOGIN_DELAY_MAX_SECONDS.
  From an address the account signed in from before (axes' ``AccessLog``) only that address's
  failures count: an attacker elsewhere slows himself down, not the officer at their own desk;
- per address, on any account (password spraying): the same after LOGIN_ADDRESS_FREE_FAILURES.

An attempt refused while waiting is neither checked nor counted, so the wait after the last
counted failure is never longer than LOGIN_DELAY_MAX_SECONDS. A wrong second-factor code counts
like a wrong password: call ``record_failure``."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_lockout_response
from axes.models import AccessAttempt, AccessLog
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.db.models import Max, Sum
from django.utils import timezone

from .signals import sign_in_delayed, sign_in_failed, spraying_suspected

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Wait:
    key: str  # "account" or "address": which count started it
    failures: int
    until: object  # datetime

    def remaining(self, now) -> timedelta:
        return max(self.until - now, timedelta(0))


def attempted_username(request, credentials=None) -> str:
    """The account an attempt names, as stored: "C@Example.org " and "c@example.org" are one account."""
    field = settings.AXES_USERNAME_FORM_FIELD
    value = credentials.get(field) if credentials else getattr(request, "POST", {}).get(field)
    return (value or "").strip().lower()[:255]


def delay_after(failures: int, free: int) -> timedelta | None:
    """The wait after ``failures`` failures of which ``free`` are allowed: doubling, capped."""
    if failures < free:
        return None
    seconds = settings.LOGIN_DELAY_SECONDS * 2 ** min(failures - free, 32)
    return timedelta(seconds=min(seconds, settings.LOGIN_DELAY_MAX_SECONDS))


def _remembered(now):
    return AccessAttempt.objects.filter(attempt_time__gt=now - timedelta(hours=settings.LOGIN_FAILURE_MEMORY_HOURS))


def known_address(username: str, ip: str | None, now=None) -> bool:
    """Whether the account signed in from this address within LOGIN_KNOWN_ADDRESS_DAYS."""
    if not (username and ip):
        return False
    since = (now or timezone.now()) - timedelta(days=settings.LOGIN_KNOWN_ADDRESS_DAYS)
    return AccessLog.objects.filter(username=username, ip_address=ip, attempt_time__gte=since).exists()


def waits(username: str, ip: str | None, now=None) -> list[Wait]:
    """The waits that hold an attempt on ``username`` from ``ip`` at ``now`` (none: it may go ahead)."""
    now = now or timezone.now()
    remembered = _remembered(now)
    counts = []
    if username:
        account = remembered.filter(username=username)
        if known_address(username, ip, now):
            account = account.filter(ip_address=ip)
        counts.append(("account", account, settings.LOGIN_ACCOUNT_FREE_FAILURES))
    if ip:
        counts.append(("address", remembered.filter(ip_address=ip), settings.LOGIN_ADDRESS_FREE_FAILURES))
    found = []
    for key, rows, free in counts:
        totals = rows.aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        delay = delay_after(totals["failures"] or 0, free)
        if delay is not None and totals["last"] + delay > now:
            found.append(Wait(key, totals["failures"], totals["last"] + delay))
    return found


def _longest(found: list[Wait]) -> Wait | None:
    return max(found, key=lambda wait: wait.until) if found else None


def retry_after(request, username: str) -> timedelta | None:
    """How long the client of ``request`` must wait before an attempt on ``username`` is checked
    (None: it may go ahead). Check it before a second-factor code, as the password form does."""
    AxesProxyHandler.update_request(request)
    request.login_wait = wait = _longest(waits(attempted_username(request, {settings.AXES_USERNAME_FORM_FIELD: username}),
                                               request.axes_ip_address, request.axes_attempt_time))
    return wait.remaining(request.axes_attempt_time) if wait else None


def record_failure(request, username: str, *, stage: str = "second_factor") -> None:
    """Count a failed step of signing in to ``username`` that is not a password checked by
    ``authenticate`` (a wrong second-factor code, a wrong current password): it slows down the
    account and the address like a wrong password, and is audited as a failed sign-in. When it
    starts a wait, ``request.axes_locked_out`` is set and the response becomes the lockout page."""
    user_login_failed.send(sender=__name__, credentials={settings.AXES_USERNAME_FORM_FIELD: username, "stage": stage},
                           request=request)


def lockout_response(request, username: str):
    """The lockout page (429) for an attempt on ``username`` that must wait (after ``retry_after``)."""
    AxesProxyHandler.update_request(request)
    return get_lockout_response(request, None, {settings.AXES_USERNAME_FORM_FIELD: username})


def _forget_failures(now) -> int:
    count, _ = AccessAttempt.objects.filter(
        attempt_time__lte=now - timedelta(hours=settings.LOGIN_FAILURE_MEMORY_HOURS)).delete()
    return count


def sign_in_records_prune(now=None) -> dict:
    """Delete what no longer decides a wait: failures after LOGIN_FAILURE_MEMORY_HOURS, records of
    signing in (address, browser) after LOGIN_KNOWN_ADDRESS_DAYS. Both are personal data."""
    now = now or timezone.now()
    failures = _forget_failures(now)
    sign_ins, _ = AccessLog.objects.filter(
        attempt_time__lt=now - timedelta(days=settings.LOGIN_KNOWN_ADDRESS_DAYS)).delete()
    return {"failures": failures, "sign_ins": sign_ins}


def cool_off(request=None) -> timedelta:
    """AXES_COOLOFF_TIME: the wait left for this request, which the lockout page shows."""
    wait = getattr(request, "login_wait", None)
    if wait is None:
        return timedelta(0)
    return wait.remaining(getattr(request, "axes_attempt_time", None) or timezone.now())


class LoginThrottleHandler(AxesDatabaseHandler):
    """axes' database handler with this module's waits in place of its fixed lockout."""

    def is_locked(self, request, credentials=None) -> bool:
        username = get_client_username(request, credentials)
        request.login_wait = _longest(waits(username, request.axes_ip_address, request.axes_attempt_time))
        return request.login_wait is not None

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        # The backend marks an attempt it refused (a wait runs) before Django reports the failure.
        refused = getattr(request, "axes_locked_out", False)
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or refused:
            return
        username = get_client_username(request, credentials)
        ip, now = request.axes_ip_address, request.axes_attempt_time
        user = get_user_model().objects.filter(email__iexact=username).first() if username else None
        sign_in_failed.send(sender=__name__, request=request, username=username, user=user,
                            stage=(credentials or {}).get("stage", "password"))
        self._check_spraying(request, username, ip, now)
        wait = _longest(waits(username, ip, now))
        if wait is None:
            return
        request.login_wait = wait
        request.axes_locked_out = True
        request.axes_credentials = credentials
        log.warning("Sign-in slowed down: %s failures on the %s (account %s) from %s, next attempt in %s s",
                    wait.failures, wait.key, user.pk if user else "unknown", ip, int(wait.remaining(now).total_seconds()))
        sign_in_delayed.send(sender=__name__, request=request, username=username, user=user, key=wait.key,
                             failures=wait.failures, wait=wait.remaining(now))
        user_locked_out.send("axes", request=request, username=username, ip_address=ip)

    def _check_spraying(self, request, username: str, ip: str | None, now) -> None:
        """Alert once, when an address's failures reach LOGIN_SPRAYING_ACCOUNTS different accounts
        (this failure being the first on its account from there)."""
        if not ip:
            return
        rows = _remembered(now).filter(ip_address=ip)
        if rows.filter(username=username).aggregate(n=Sum("failures_since_start"))["n"] != 1:
            return
        accounts = rows.values("username").distinct().count()
        if accounts != settings.LOGIN_SPRAYING_ACCOUNTS:
            return
        failures = rows.aggregate(n=Sum("failures_since_start"))["n"]
        log.warning("Password spraying suspected from %s: %s failures on %s accounts", ip, failures, accounts)
        spraying_suspected.send(sender=__name__, request=request, ip_address=ip, accounts=accounts, failures=failures)

    def clean_expired_user_attempts(self, request=None, credentials=None) -> int:
        """Forget failures LOGIN_FAILURE_MEMORY_HOURS after the last one of their row (axes would
        use the cool-off, which here is a request's own wait)."""
        return _forget_failures(getattr(request, "axes_attempt_time", None) or timezone.now())

