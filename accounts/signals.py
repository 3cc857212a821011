"""What accounts tells the layers above it. accounts never imports the audit log (it sits beside
it); portal.auth_audit records these, with Django's user_logged_in and user_logged_out, as audit
events. Each is sent inside the transaction of the change it reports, where there is one."""

from django.dispatch import Signal

# A failed step of signing in that django-axes counted (not one refused while a wait ran):
# request, username (as typed, normalised), user (the account or None), stage ("password",
# "second_factor", "password_change").
sign_in_failed = Signal()
# A counted failure started or lengthened a wait: request, username, user, key ("account" or
# "address"), failures, wait (a timedelta).
sign_in_delayed = Signal()
# An address failed on LOGIN_SPRAYING_ACCOUNTS different accounts: request, ip_address,
# accounts, failures.
spraying_suspected = Signal()
# A password was changed by its holder (reset=False) or set from a reset link (reset=True):
# user, ip.
password_changed = Signal()
# Any other event of an account (accounts.events.record): action (a member name of
# audit.models.Action), user, actor, ip, details.
account_event = Signal()
