"""Production profile: refuses to start without a SECRET_KEY, a SITE_URL or Redis (cache and
broker), and passes `manage.py check --deploy` with no warnings."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import AFTER_SECURITY, API_WEBHOOK_SECRET_KEYS, SITE_URL, env, webauthn_relying_party

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random string of at least 50 characters in production."
    )
# Mails and permit QR codes carry this address: it is never guessed in production.
if not SITE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("SITE_URL must be set to the portal's public address (https://...) in production.")
OTP_WEBAUTHN_RP_ID, OTP_WEBAUTHN_ALLOWED_ORIGINS = webauthn_relying_party(SITE_URL)
# Webhook signing secrets are encrypted with a provisioned key, never one made on the fly.
if not API_WEBHOOK_SECRET_KEYS:
    raise ImproperlyConfigured(
        "API_WEBHOOK_SECRET_KEYS must be set in production: one Fernet key or more, comma-separated, the first one "
        "encrypting. Make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'")

# Rate limits, the API's throttles, sign-in and verification counters and the audit log's refusal
# counts live in the cache, and nudges leave through the broker: kept per process (or per host),
# every gunicorn worker and host would count and queue on its own. Only Redis is shared by all.
for _alias, _cache in CACHES.items():  # noqa: F405
    if _cache["BACKEND"] != REDIS_CACHE:  # noqa: F405
        raise ImproperlyConfigured(
            f"CACHE_URL must name a Redis server in production (e.g. redis://redis:6379/1): the {_alias!r} cache "
            f"({_cache['BACKEND']}) would keep rate limits, throttles and counters per process, not shared by "
            "every process and host.")
if not CELERY_BROKER_URL.startswith(("redis://", "rediss://")):  # noqa: F405
    raise ImproperlyConfigured(
        "CELERY_BROKER_URL must name a Redis server in production (e.g. redis://redis:6379/0): "
        f"{CELERY_BROKER_URL.split('://', 1)[0] or 'an empty one'} would keep nudges on one host, out of other "  # noqa: F405
        "hosts' workers' reach.")
# /metrics tells much about the portal: a token that can be guessed would tell it to anyone.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured(
        "METRICS_TOKEN must be at least 32 random characters, or unset (metrics off). Make one with: "
        "python -c 'import secrets; print(secrets.token_urlsafe(32))'")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]  # both asked for inside the stack, over plain HTTP
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# gunicorn serves the static files itself (WhiteNoise): hashed names, compressed, cached forever.
MIDDLEWARE = [*MIDDLEWARE[:AFTER_SECURITY], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[AFTER_SECURITY:]]  # noqa: F405
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}  # noqa: F405
# Permits are signed with a provisioned key: never a self-signed one made on the fly.
PERMIT_SIGNING_AUTOCREATE = env.bool("PERMIT_SIGNING_AUTOCREATE", default=False)
# The audit trail's keys too (`manage.py audit_keys`; the image's migrate job runs it).
AUDIT_KEYS_AUTOCREATE = env.bool("AUDIT_KEYS_AUTOCREATE", default=False)

# Registers answer with personal data: `manage.py check --deploy` warns of one reached without TLS.
REGISTER_REQUIRE_HTTPS = env.bool("REGISTER_REQUIRE_HTTPS", default=True)
