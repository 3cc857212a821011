"""Settings shared by every profile. Everything that differs per deployment comes from the
environment (django-environ); the defaults run with no external service: SQLite and an embedded
Celery broker under ``var/``, mail written to files under ``var/mail/``."""

from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from .storages import default_file_storage

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Public base URL, used in mails and in the permit's QR code. Production requires it; in
# development it follows the port the server is started on (portal.settings.dev).
SITE_URL = env.str("SITE_URL", default="").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "guardian",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    # infrastructure (no models)
    "core",
    # base
    "accounts",
    "audit",
    # configuration
    "departments",
    "catalogue",
    # engine
    "approvals",
    "certificates",
    "registers",
    "permits",
    "payments",
    # faces
    "portal",
    "api",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "dashboards",
    "citizen",
    "workspace",
    "finder",
    "finance",
]

MIDDLEWARE = [
    # Outermost: every log line of the request carries its id, and the metrics time the whole stack.
    "portal.request_id.RequestIdMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Around everything below, so its responses (errors, redirects, the API's) are covered too.
    "portal.cache_headers.NoStoreMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before anything reads a body (CsrfViewMiddleware reads a form's fields): 413 from Content-Length.
    "portal.request_limits.RequestSizeMiddleware",
    # The file store not answering: a 503 that says so, never a 500.
    "portal.storage_errors.StorageUnavailableMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.IdleTimeoutMiddleware",
    # After authentication and OTPMiddleware: a staff session without its second factor reaches
    # only the sign-in's second step or the enrolment page.
    "accounts.middleware.SecondFactorMiddleware",
    # AxesMiddleware last: it turns a lockout into a response.
    "axes.middleware.AxesMiddleware",
    # Last, so it sees the view that was resolved (metrics by view).
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
# Where WhiteNoise goes in the profiles that serve static files: right after SecurityMiddleware.
AFTER_SECURITY = MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "portal.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite by default (WAL, immediate transactions so writers serialize instead of failing with
# "database is locked"); PostgreSQL with DATABASE_URL=postgres://user@host:5432/name.
# On PostgreSQL, DATABASE_URL names the application role, which owns no table: on the audit log it
# may only add, read and seal events (audit.privileges). The owner of the tables is named by
# MIGRATE_DATABASE_URL, given only to what migrates (the compose stack's migrate job, the test
# runner): a process that has it connects as the owner, and `manage.py db_roles` grants the role
# of DATABASE_URL its privileges (APPLICATION_DATABASE).
_DATABASE_URL = env.str("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")
DATABASES = {"default": env.db_url_config(env.str("MIGRATE_DATABASE_URL", default="") or _DATABASE_URL)}
APPLICATION_DATABASE = env.db_url_config(_DATABASE_URL)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # The review indexes carry extra columns (INCLUDE) so PostgreSQL answers the queue's counts
    # from the index alone; SQLite builds the same indexes without them, which is all it needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
# A streaming replica for the read-heavy pages marked replica-readable (core.replica, routed by
# core.db_router): the managers' dashboards, the public performance pages and open data, permit
# verification. Used while its replay lag is at most REPLICA_MAX_LAG_SECONDS (measured at most every
# REPLICA_LAG_CHECK_SECONDS per process); further behind, those pages read from the primary. Unset:
# everything reads from the primary.
_REPLICA_DATABASE_URL = env.str("REPLICA_DATABASE_URL", default="")
if _REPLICA_DATABASE_URL:
    DATABASES["replica"] = env.db_url_config(_REPLICA_DATABASE_URL)
    DATABASES["replica"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["replica"].setdefault("CONN_HEALTH_CHECKS", True)
    # The test runner makes no database of its own for it: it reads the test database.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["core.db_router.ReplicaRouter"]
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=5.0)
REPLICA_LAG_CHECK_SECONDS = env.float("REPLICA_LAG_CHECK_SECONDS", default=1.0)


def for_transaction_pooling(database: dict) -> dict:
    """A PostgreSQL connection's settings behind PgBouncer in transaction pooling mode, where each
    transaction may run on another server connection: Django keeps no connection (PgBouncer keeps
    them), opens no server-side cursor (a named cursor lives in one server session), and psycopg
    prepares no statement (PgBouncer 1.18, Debian 12's, cannot follow prepared statements across
    server connections; Django 5.2 already turns psycopg's off, stated here so that no OPTIONS turns
    them back on). docs/scaling.md says why the portal needs nothing else."""
    return {**database, "CONN_MAX_AGE": 0, "DISABLE_SERVER_SIDE_CURSORS": True,
            "OPTIONS": {**database.get("OPTIONS", {}), "prepare_threshold": None}}


DATABASE_TRANSACTION_POOLING = env.bool("DATABASE_TRANSACTION_POOLING", default=False)
if DATABASE_TRANSACTION_POOLING:
    DATABASES = {alias: for_transaction_pooling(database) if "postgresql" in database["ENGINE"] else database
                 for alias, database in DATABASES.items()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------


def webauthn_relying_party(site_url: str) -> tuple[str, list[str]]:
    """Passkeys are bound to the portal's host name and origin: both follow SITE_URL. A passkey
    cannot belong to an IP address, so a development server on 127.0.0.1 offers them at
    http://localhost on the same port (browsers count it as a secure origin)."""
    parts = urlsplit(site_url)
    host = parts.hostname or "localhost"
    if parts.scheme == "http" and host in ("127.0.0.1", "::1"):
        host = "localhost"
    port = f":{parts.port}" if parts.port else ""
    return host, [f"{parts.scheme or 'https'}://{host}{port}"]


OTP_WEBAUTHN_RP_NAME = env.str("OTP_WEBAUTHN_RP_NAME", default="Government Service Portal")
OTP_WEBAUTHN_RP_ID, OTP_WEBAUTHN_ALLOWED_ORIGINS = webauthn_relying_party(SITE_URL)
# A passkey is a second factor after the password, never a sign-in of its own.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
# The name authenticator apps show beside the code.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="One-stop portal")
# The admin's device pages never show TOTP keys or recovery codes.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Revoking or re-issuing a permit, assigning in bulk, creating API tokens and changing roles ask
# for a second factor given within this many minutes (accounts.second_factor).
SECOND_FACTOR_FRESH_MINUTES = env.int("SECOND_FACTOR_FRESH_MINUTES", default=10)
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row
GUARDIAN_RAISE_403 = False

# Sessions end after SESSION_IDLE_SECONDS without a request and, however active, a fixed time
# after signing in: SESSION_STAFF_MAX_SECONDS for staff, SESSION_CITIZEN_MAX_SECONDS for citizens
# (accounts.middleware). The session row and the cookie expire at the same moment, never later.
# SESSION_COOKIE_AGE only bounds the sessions of people not signed in (language, forms).
# Django's login() already issues a new session id.
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_STAFF_MAX_SECONDS = env.int("SESSION_STAFF_MAX_SECONDS", default=12 * 3600)
SESSION_CITIZEN_MAX_SECONDS = env.int("SESSION_CITIZEN_MAX_SECONDS", default=12 * 3600)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Password reset links: citizens' work for PASSWORD_RESET_TIMEOUT (Django's, 3 days), staff's for
# STAFF_PASSWORD_RESET_TIMEOUT (accounts.tokens).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3 * 86400)
STAFF_PASSWORD_RESET_TIMEOUT = env.int("STAFF_PASSWORD_RESET_TIMEOUT", default=3600)
# Working days a department asked for an opinion has to give it (never beyond the share's end).
OPINION_SLA_DAYS = env.int("OPINION_SLA_DAYS", default=3)
# Working days a department has to answer a draft sent for pre-application advice, unless the
# department sets its own (Department.advice_days).
ADVICE_DAYS = env.int("ADVICE_DAYS", default=5)
# A booked appointment can be cancelled or moved until this many hours before it starts.
APPOINTMENT_CHANGE_CUTOFF_HOURS = env.int("APPOINTMENT_CHANGE_CUTOFF_HOURS", default=24)
# The longest span of days one publication of appointment slots may cover.
APPOINTMENT_PUBLISH_MAX_DAYS = env.int("APPOINTMENT_PUBLISH_MAX_DAYS", default=92)
# Working days a department told of an approval by filing has to acknowledge it; older
# unacknowledged filings are flagged on the managers' dashboard.
FILING_ACKNOWLEDGE_DAYS = env.int("FILING_ACKNOWLEDGE_DAYS", default=5)
# Published performance and open data (dashboards.public): a count below this, and every figure
# computed from it, is published as suppressed, so nobody can be recognised in a small number.
OPEN_DATA_MIN_COUNT = env.int("OPEN_DATA_MIN_COUNT", default=5)
# How long browsers and shared caches may keep the public performance pages and data files (seconds).
PERFORMANCE_MAX_AGE = env.int("PERFORMANCE_MAX_AGE", default=300)
# Complaints (approvals.complaints): working days the named handler has to answer, at each level;
# hours a member of the public has to confirm their address; complaints without an account per
# client address and per address mailed.
COMPLAINT_ANSWER_DAYS = env.int("COMPLAINT_ANSWER_DAYS", default=10)
COMPLAINT_CONFIRM_HOURS = env.int("COMPLAINT_CONFIRM_HOURS", default=48)
COMPLAINT_RATE_PER_ADDRESS = env.str("COMPLAINT_RATE_PER_ADDRESS", default="5/h")
COMPLAINT_RATE_PER_EMAIL = env.str("COMPLAINT_RATE_PER_EMAIL", default="3/h")
# The registers the government keeps (registers.client): each register's address, as
# "company=https://...,population=https://...,address=https://..." (the development profile points
# every one at the reference register service that `make run` starts); a register without one is
# never asked, and citizens type what it would have given. Waits on a register, in seconds.
REGISTER_URLS = env.dict("REGISTER_URLS", default={})
REGISTER_CONNECT_TIMEOUT_SECONDS = env.float("REGISTER_CONNECT_TIMEOUT_SECONDS", default=2.0)
REGISTER_READ_TIMEOUT_SECONDS = env.float("REGISTER_READ_TIMEOUT_SECONDS", default=5.0)
REGISTER_REQUIRE_HTTPS = env.bool("REGISTER_REQUIRE_HTTPS", default=False)
# Registration and password-reset requests that would send a mail, per client address and per
# address mailed (django-ratelimit on the default cache: set CACHE_URL to Redis in production).
REGISTER_RATE_PER_ADDRESS = env.str("REGISTER_RATE_PER_ADDRESS", default="10/h")
REGISTER_RATE_PER_EMAIL = env.str("REGISTER_RATE_PER_EMAIL", default="3/h")
PASSWORD_RESET_RATE_PER_ADDRESS = env.str("PASSWORD_RESET_RATE_PER_ADDRESS", default="10/h")
PASSWORD_RESET_RATE_PER_EMAIL = env.str("PASSWORD_RESET_RATE_PER_EMAIL", default="3/h")

# Sign-in throttling (accounts.throttling, on django-axes): a progressive delay, never a hard
# lock. After LOGIN_ACCOUNT_FREE_FAILURES failures on one account (from any address) or
# LOGIN_ADDRESS_FREE_FAILURES from one address (on any account: password spraying), the next
# attempt waits LOGIN_DELAY_SECONDS, and each further failure doubles the wait up to
# LOGIN_DELAY_MAX_SECONDS. Attempts refused while waiting are not checked and do not count. An
# address the account signed in from within LOGIN_KNOWN_ADDRESS_DAYS counts only its own failures,
# so an attacker elsewhere cannot keep the person out; from a new address the wait after the last
# counted failure is at most LOGIN_DELAY_MAX_SECONDS. Failures are forgotten
# LOGIN_FAILURE_MEMORY_HOURS after the last one; signing in clears the account's from that address.
# An address failing on LOGIN_SPRAYING_ACCOUNTS different accounts raises a spraying alert.
LOGIN_ACCOUNT_FREE_FAILURES = env.int("LOGIN_ACCOUNT_FREE_FAILURES", default=5)
LOGIN_ADDRESS_FREE_FAILURES = env.int("LOGIN_ADDRESS_FREE_FAILURES", default=20)
LOGIN_DELAY_SECONDS = env.int("LOGIN_DELAY_SECONDS", default=60)
LOGIN_DELAY_MAX_SECONDS = env.int("LOGIN_DELAY_MAX_SECONDS", default=15 * 60)
LOGIN_FAILURE_MEMORY_HOURS = env.int("LOGIN_FAILURE_MEMORY_HOURS", default=24)
LOGIN_KNOWN_ADDRESS_DAYS = env.int("LOGIN_KNOWN_ADDRESS_DAYS", default=90)
LOGIN_SPRAYING_ACCOUNTS = env.int("LOGIN_SPRAYING_ACCOUNTS", default=5)
# django-axes records every failure (one row per account, address and browser) and answers a
# refused attempt with the lockout page; the decision and the wait are accounts.throttling's.
AXES_HANDLER = "accounts.throttling.LoginThrottleHandler"
AXES_FAILURE_LIMIT = LOGIN_ACCOUNT_FREE_FAILURES
AXES_LOCK_OUT_AT_FAILURE = False  # the handler decides, after each failure, whether a wait begins
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a refused attempt never lengthens the wait
AXES_COOLOFF_TIME = "accounts.throttling.cool_off"  # the wait left, shown on the lockout page
AXES_USERNAME_CALLABLE = "accounts.throttling.attempted_username"  # case and spaces never make a new account
# Resetting on success deletes the rows of this account from this address only (the parameters).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"
AXES_USERNAME_FORM_FIELD = "username"
# axes keeps the form of a failed attempt: these fields are masked as "password" is (a wrong current
# password on the password page would otherwise store the new one; a second-factor code).
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "old_password", "new_password1", "new_password2", "otp_token"]
# The client address comes from accounts.client_ip: X-Forwarded-For is read only when the
# deployment says how many proxies stand in front (PROXY_COUNT), each overwriting or appending
# the address it saw; otherwise a spoofed header would let a client pick its address.
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "accounts.client_ip.client_ip"

# Citizens sign in with the national identity service through OpenID Connect (accounts.oidc) when
# a client id and the provider's issuer (or its discovery document) are set. The claims named here
# carry a person's identity number, checked with python-stdnum's scheme (cn.ric: a mainland resident
# identity number), or an organisation's (cn.uscc: a unified social credit code). OIDC_ACR_ASSURANCE
# maps the provider's acr values to the portal's assurance levels (low, substantial, high), e.g.
# "http://eidas.europa.eu/LoA/high=high"; an acr it does not name counts as OIDC_DEFAULT_ASSURANCE.
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="")
OIDC_ISSUER = env.str("OIDC_ISSUER", default="").rstrip("/")
OIDC_DISCOVERY_URL = env.str("OIDC_DISCOVERY_URL", default="")
OIDC_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_SCOPES = env.list("OIDC_SCOPES", default=["openid", "profile", "email", "phone"])
OIDC_ACR_VALUES = env.str("OIDC_ACR_VALUES", default="")
OIDC_ID_NUMBER_CLAIM = env.str("OIDC_ID_NUMBER_CLAIM", default="")
OIDC_ID_NUMBER_SCHEME = env.str("OIDC_ID_NUMBER_SCHEME", default="cn.ric")
OIDC_ORGANISATION_ID_NUMBER_CLAIM = env.str("OIDC_ORGANISATION_ID_NUMBER_CLAIM", default="")
OIDC_ORGANISATION_ID_NUMBER_SCHEME = env.str("OIDC_ORGANISATION_ID_NUMBER_SCHEME", default="cn.uscc")
OIDC_ACR_ASSURANCE = env.dict("OIDC_ACR_ASSURANCE", default={})
OIDC_DEFAULT_ASSURANCE = env.str("OIDC_DEFAULT_ASSURANCE", default="low")
OIDC_TIMEOUT_SECONDS = env.float("OIDC_TIMEOUT_SECONDS", default=10.0)
# Off: citizens sign in only with the identity service (staff always use their password).
CITIZEN_PASSWORD_SIGN_IN = env.bool("CITIZEN_PASSWORD_SIGN_IN", default=True)

# --- I18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True
# One date format per language on every page (portal/formats/<language>/formats.py): templates
# use date:"SHORT_DATE_FORMAT", date:"SHORT_DATETIME_FORMAT", never a pattern of their own.
FORMAT_MODULE_PATH = ["portal.formats"]

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
# Uploaded materials and permits are private: never served from MEDIA_URL, only through views
# that check who asks.
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = "/media-not-served/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Files live under MEDIA_ROOT, or with S3_BUCKET in a private bucket every host shares
# (portal.settings.storages, docs/storage.md); code reaches them only through the storage API.
STORAGES = {
    "default": default_file_storage(env, spool_bytes=FILE_UPLOAD_MAX_MEMORY_SIZE),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750  # citizens' files: never readable by other local users
# Files no row names (an upload whose transaction rolled back) are deleted by a nightly sweep once
# this old (portal.media_sweep); only these folders of the storage, where the file fields write.
MEDIA_SWEEP_GRACE_HOURS = env.float("MEDIA_SWEEP_GRACE_HOURS", default=24)
# Retention (portal.retention, docs/backup.md#retention): how long each kind of record is kept, in
# days, before beat's hourly job deletes it, RETENTION_BATCH_SIZE rows per transaction. Drafts
# never submitted, from their last change (with their uploads); notifications whose mail is no
# longer to be sent; sessions after they expired; webhook deliveries delivered or given up. API
# idempotency keys follow API_IDEMPOTENCY_HOURS. The audit trail and permits are never deleted.
RETENTION_DAYS = {
    "drafts": env.int("RETENTION_DRAFT_DAYS", default=180),
    "notifications": env.int("RETENTION_NOTIFICATION_DAYS", default=365),
    "sessions": env.int("RETENTION_SESSION_DAYS", default=1),
    "webhook_deliveries": env.int("RETENTION_WEBHOOK_DELIVERY_DAYS", default=90),
}
RETENTION_BATCH_SIZE = env.int("RETENTION_BATCH_SIZE", default=500)
# How long pg_dump or pg_restore may run (manage.py backup and restore, docs/backup.md).
BACKUP_TIMEOUT_SECONDS = env.int("BACKUP_TIMEOUT_SECONDS", default=6 * 3600)
MEDIA_SWEEP_FOLDERS = ("attachments", "consents", "guides", "opinions", "permits", "statements")
# The largest bank statement a finance officer may upload (payments.statements); the page's body
# limit (DATA_UPLOAD_MAX_MEMORY_SIZE) must leave room for it.
STATEMENT_MAX_BYTES = env.int("STATEMENT_MAX_BYTES", default=4 * 1024 * 1024)
# The largest body a page with file questions, or the API's attachment upload, accepts: refused
# with 413 from its Content-Length before it is read (portal.request_limits). Set the proxy's
# limit (nginx: client_max_body_size) to the same. Every other page accepts at most
# DATA_UPLOAD_MAX_MEMORY_SIZE (the API: API_MAX_BODY_BYTES; the permit-file check:
# PERMIT_VERIFY_UPLOAD_MAX_BYTES and its form).
UPLOAD_MAX_REQUEST_BYTES = env.int("UPLOAD_MAX_REQUEST_BYTES", default=32 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "portal.request_limits.CappedUploadHandler",  # stops at the route's limit while files stream in
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Content Security Policy (django-csp 4) -------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# --- Mail -----------------------------------------------------------------------------------
# Files under var/mail/ unless EMAIL_URL (e.g. smtp+tls://user:pass@host:587) is set.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="One-stop portal <noreply@portal.example.gov>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)  # an SMTP send never outlives its claim
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")

# --- Cache ----------------------------------------------------------------------------------
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# On Redis the cache fails open (portal.cache): a Redis outage must not fail the requests it only limits.
REDIS_CACHE = "portal.cache.FailOpenRedisCache"
for _cache in CACHES.values():
    if _cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        _cache["BACKEND"] = REDIS_CACHE

# --- Celery ---------------------------------------------------------------------------------
# Tasks are nudges carrying ids; the database is the source of truth (see approvals.reconcile).
_broker_dir = VAR_DIR / "broker"
# The host name means nothing to the filesystem transport; naming one keeps kombu from warning
# on every connection that none was given.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # A web request must never hang on the broker: short socket timeouts, no retry loop on
    # publish (core.nudges logs the failure and the reconciler catches up).
    # Redis gives a message delivered but never acknowledged (its worker or host lost) to another
    # worker once CELERY_VISIBILITY_TIMEOUT seconds have passed. Shorter recovers sooner from a
    # lost host, but a task still running (or waiting in a worker's prefetch) that long is
    # delivered a second time: safe, since tasks are idempotent, yet work done twice. Keep it
    # above the tasks' hard time limit unless a fast takeover matters more (bench/scale.py).
    # kombu looks for such messages every interval × throttle seconds (10 × 10 by default): a
    # tenth of the timeout, at most that default, so a short timeout is honoured.
    _visibility = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
    _restore_interval = max(1, min(10, _visibility // 10))
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_timeout": 1.0,
        "socket_connect_timeout": 1.0,
        "max_retries": 0,
        "visibility_timeout": _visibility,
        "unacked_restore_interval": _restore_interval,
        "unacked_restore_throttle": max(1, min(10, _visibility // (10 * _restore_interval))),
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 1.0
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_MAX_TASKS_PER_CHILD = 500
CELERY_WORKER_MAX_MEMORY_PER_CHILD = 300_000  # KiB
# The worker logs through LOGGING (JSON lines with request ids), not a format of its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="portal")
# Permit rendering (WeasyPrint) and mail are slower than routing. Setting CELERY_PERMITS_QUEUE
# and CELERY_MAIL_QUEUE gives them queues of their own, so routing never waits behind them; the
# compose stack and `make run` do, and start a worker for each queue. Unset, one worker serves all.
CELERY_PERMITS_QUEUE = env.str("CELERY_PERMITS_QUEUE", default="") or CELERY_TASK_DEFAULT_QUEUE
CELERY_MAIL_QUEUE = env.str("CELERY_MAIL_QUEUE", default="") or CELERY_TASK_DEFAULT_QUEUE
CELERY_TASK_ROUTES = {
    "permits.tasks.*": {"queue": CELERY_PERMITS_QUEUE},
    "approvals.tasks.notification_email_task": {"queue": CELERY_MAIL_QUEUE},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "reconcile": {"task": "approvals.tasks.reconcile_task", "schedule": 30.0},
    "sla-scan": {"task": "approvals.tasks.sla_scan_task", "schedule": 300.0},
    # A calendar change: the open reviews whose due date it would move, listed for supervisors.
    "calendar-changes": {"task": "approvals.tasks.calendar_changes_record_task", "schedule": 60.0},
    "audit-seal": {"task": "audit.tasks.audit_seal_task", "schedule": 10.0},
    "shares-expire": {"task": "approvals.tasks.shares_expire_task", "schedule": 300.0},
    "sla-scan-morning": {"task": "approvals.tasks.sla_scan_task", "schedule": crontab(hour=8, minute=0)},
    "complaint-scan": {"task": "approvals.tasks.complaint_scan_task", "schedule": 300.0},
    "complaints-unconfirmed-prune": {"task": "approvals.tasks.complaints_unconfirmed_prune_task",
                                     "schedule": crontab(hour=3, minute=30)},
    "dashboard-stats": {"task": "dashboards.tasks.stats_consume_task", "schedule": 30.0},
    "sign-in-records-prune": {"task": "accounts.tasks.sign_in_records_prune_task", "schedule": crontab(hour=3, minute=15)},
    "media-sweep": {"task": "portal.tasks.media_sweep_task", "schedule": crontab(hour=3, minute=45)},
    "retention-purge": {"task": "portal.tasks.retention_purge_task", "schedule": crontab(minute=15)},
    # Reminders before a permit ends (approvals.permit_life): once a day; a missed day catches up.
    "permit-reminders": {"task": "approvals.tasks.permit_reminders_send_task", "schedule": crontab(hour=8, minute=30)},
    # Amendments of permits that ended the day before lapse (approvals.follow_on_ends).
    "follow-ons-lapse": {"task": "approvals.tasks.follow_ons_lapse_task", "schedule": crontab(hour=0, minute=20)},
    # The day-before reminders of appointments (approvals.appointments): each sent once, whichever run.
    "appointment-reminders": {"task": "approvals.tasks.appointment_reminders_send_task", "schedule": 900.0},
}
# How long a nudge may stay unprocessed before the reconciler sends it again.
# It is also how long a worker's claim on a permit render or a mail lasts, so it must outlast the
# tasks' hard time limit (90 s): a claim never expires under a task that is still running.
PORTAL_RECONCILE_AFTER_SECONDS = env.int("PORTAL_RECONCILE_AFTER_SECONDS", default=120)
# Routing and mail nudges committed within this many seconds go out as one message per task
# (core.nudges); 0 publishes each at commit.
PORTAL_NUDGE_BATCH_SECONDS = env.float("PORTAL_NUDGE_BATCH_SECONDS", default=0.1)

# --- Logging --------------------------------------------------------------------------------
# One JSON object per line (LOG_FORMAT=json, the default) or plain text (LOG_FORMAT=plain), each
# with the request id of the request or task it belongs to (core.request_id). Celery's workers
# log through the same configuration rather than their own.
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.request_id.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        # "time" in UTC, ISO 8601, whatever the portal's time zone.
        "json": {"()": "pythonjsonlogger.json.JsonFormatter", "timestamp": "time",
                 "fmt": "%(levelname)s %(name)s %(process)d %(request_id)s %(message)s",
                 "rename_fields": {"levelname": "level", "name": "logger", "process": "pid"}},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json" if LOG_FORMAT == "json" else "plain",
                             "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs each of its seven rendering steps at INFO, a dozen lines per permit.
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint.progress": {"level": "WARNING"},
                "pikepdf": {"level": "WARNING"}},  # it announces its logger bridge at INFO on import
}

# --- Metrics (portal.metrics, docs/observability.md) -------------------------------------------
# /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`; with no token it is off (404).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# A Celery worker serves its pool's metrics on this port (0: none), on this address ("" all).
METRICS_WORKER_PORT = env.int("METRICS_WORKER_PORT", default=0)
METRICS_WORKER_ADDRESS = env.str("METRICS_WORKER_ADDRESS", default="")
# Request latencies, in seconds: the budgets are tens of milliseconds, the worst pages seconds.
PROMETHEUS_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, float("inf"))

# --- Permits: signing and verification ------------------------------------------------------
# The PAdES signing key and certificate (PEM). With PERMIT_SIGNING_AUTOCREATE (on except in
# production) a self-signed pair is created under var/keys/ on first use, as `manage.py
# permit_keys` does. PERMIT_TRUSTED_CERTS: earlier certificates whose permits still verify.
PERMIT_SIGNING_KEY = env.str("PERMIT_SIGNING_KEY", default=str(VAR_DIR / "keys" / "permit-signing.key"))
PERMIT_SIGNING_CERT = env.str("PERMIT_SIGNING_CERT", default=str(VAR_DIR / "keys" / "permit-signing.crt"))
PERMIT_SIGNING_KEY_PASSWORD = env.str("PERMIT_SIGNING_KEY_PASSWORD", default="")
PERMIT_SIGNING_AUTOCREATE = env.bool("PERMIT_SIGNING_AUTOCREATE", default=True)
PERMIT_SIGNER_NAME = env.str("PERMIT_SIGNER_NAME", default="One-stop portal permits (self-signed, demo)")
PERMIT_TRUSTED_CERTS = env.list("PERMIT_TRUSTED_CERTS", default=[])
# The CJK font of permits: the full Noto Sans CJK (Debian's fonts-noto-cjk), and the subset of it
# to GB 2312 and Latin that `manage.py build_permit_font` writes next to permit.css. Permits use the
# subset first and the full font for any character outside it; PERMIT_CJK_SUBSET=false renders
# with the full font alone (how permits were rendered before, kept for comparison in the bench).
PERMIT_CJK_FONT = env.str("PERMIT_CJK_FONT", default="/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
PERMIT_CJK_SUBSET = env.bool("PERMIT_CJK_SUBSET", default=True)
# Public verification, per client address (django-ratelimit on the default cache).
PERMIT_VERIFY_RATE = env.str("PERMIT_VERIFY_RATE", default="60/m")
PERMIT_VERIFY_UPLOAD_RATE = env.str("PERMIT_VERIFY_UPLOAD_RATE", default="10/m")
PERMIT_VERIFY_UPLOAD_MAX_BYTES = env.int("PERMIT_VERIFY_UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
# A holder may cancel their permit from today up to this many days ahead (approvals.permit_life).
PERMIT_CANCEL_AHEAD_DAYS = env.int("PERMIT_CANCEL_AHEAD_DAYS", default=365)
# The public progress check (/progress/), per client address: every attempt counts, found or not.
PROGRESS_CHECK_RATE = env.str("PROGRESS_CHECK_RATE", default="20/h")

# --- Payments ----------------------------------------------------------------------------------
# The scheme of the payment URI a payment order's QR code holds (<scheme>:<code>?amount=…&currency=…).
PAYMENT_URI_SCHEME = env.str("PAYMENT_URI_SCHEME", default="portalpay")
# The shared secret of each provider that signs its notifications (payments.providers), by slug;
# a provider without a secret is refused. PAYMENT_NOTIFY_WINDOW: how old (or how far ahead) a
# notification's timestamp may be, in seconds; an older one is a replay and refused.
PAYMENT_PROVIDER_SECRETS = {"signed": env.str("PAYMENT_SIGNED_SECRET", default="")}
PAYMENT_NOTIFY_WINDOW = env.int("PAYMENT_NOTIFY_WINDOW", default=300)

# --- Audit trail: what lies outside the database -------------------------------------------------
# The chain's HMAC keys, one "<key id> <secret, base64>" per line, the last sealing (audit.keys;
# `manage.py audit_keys` creates the file, `--rotate` appends a key). With AUDIT_KEYS_AUTOCREATE
# (off in production) a missing file is created on first use, mode 0600.
AUDIT_CHAIN_KEYS_FILE = env.str("AUDIT_CHAIN_KEYS_FILE", default=str(VAR_DIR / "keys" / "audit-chain.keys"))
AUDIT_KEYS_AUTOCREATE = env.bool("AUDIT_KEYS_AUTOCREATE", default=True)
# Checkpoints (audit.anchors): once per AUDIT_ANCHOR_SECONDS the chain's head, signed with the Ed25519
# key of AUDIT_ANCHOR_KEY_FILE, is appended to a file in AUDIT_ANCHOR_DIR, a directory the database
# cannot write (production mounts it append-only or ships the lines off-host). Earlier signing keys'
# public halves (PEM files) in AUDIT_ANCHOR_TRUSTED_KEYS. With AUDIT_ANCHOR_TSA_URL each checkpoint
# also gets an RFC 3161 time-stamp, checked against the CA certificates of AUDIT_ANCHOR_TSA_ROOTS.
AUDIT_ANCHOR_DIR = env.str("AUDIT_ANCHOR_DIR", default=str(VAR_DIR / "audit-anchors"))
AUDIT_ANCHOR_KEY_FILE = env.str("AUDIT_ANCHOR_KEY_FILE", default=str(VAR_DIR / "keys" / "audit-anchor.key"))
AUDIT_ANCHOR_TRUSTED_KEYS = env.list("AUDIT_ANCHOR_TRUSTED_KEYS", default=[])
AUDIT_ANCHOR_SECONDS = env.int("AUDIT_ANCHOR_SECONDS", default=3600)
AUDIT_ANCHOR_TSA_URL = env.str("AUDIT_ANCHOR_TSA_URL", default="")
AUDIT_ANCHOR_TSA_ROOTS = env.list("AUDIT_ANCHOR_TSA_ROOTS", default=[])
AUDIT_ANCHOR_TSA_TIMEOUT = env.float("AUDIT_ANCHOR_TSA_TIMEOUT", default=5.0)
# Beat asks every minute; the job writes only when the period has no checkpoint yet.
CELERY_BEAT_SCHEDULE["audit-anchor"] = {"task": "audit.tasks.audit_anchor_task", "schedule": 60.0}

# --- REST API and webhooks (api/) -------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_RATES": {
        "token": env.str("API_TOKEN_RATE", default="600/min"),
        "public": env.str("API_PUBLIC_RATE", default="60/min"),
    },
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "api.schema.ScopedAutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "One-stop portal API",
    "DESCRIPTION": "Department systems, applications on a citizen's behalf, the public catalogue and permit "
                   "verification. Errors: {\"error\": {\"code\", \"message\", \"fields\"}}.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],  # the schema and docs are public, whatever Authorization says
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {"ReviewStatus": "approvals.models.ReviewStatus",
                            "ApplicationStatus": "approvals.models.ApplicationStatus",
                            "ConsentMethod": "api.models.ConsentMethod", "DocumentType": "accounts.models.DocumentType",
                            "CertificateState": "certificates.models.CertificateState"},
}
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=DATA_UPLOAD_MAX_MEMORY_SIZE)
API_WEBHOOK_RETRY_HOURS = env.float("API_WEBHOOK_RETRY_HOURS", default=48)
API_WEBHOOK_BACKOFF_BASE_SECONDS = env.int("API_WEBHOOK_BACKOFF_BASE_SECONDS", default=30)
API_WEBHOOK_BACKOFF_MAX_SECONDS = env.int("API_WEBHOOK_BACKOFF_MAX_SECONDS", default=6 * 3600)
API_WEBHOOK_CONNECT_TIMEOUT = env.float("API_WEBHOOK_CONNECT_TIMEOUT", default=2.0)
API_WEBHOOK_READ_TIMEOUT = env.float("API_WEBHOOK_READ_TIMEOUT", default=3.0)
API_WEBHOOK_CLAIM_SECONDS = env.int("API_WEBHOOK_CLAIM_SECONDS", default=60)
# Where webhooks may go (api/webhook_targets.py): https addresses of public hosts only, checked when
# a department subscribes and before every send. Development allows http, and loopback addresses
# when asked (portal.settings.dev); production neither, whatever the environment says.
API_WEBHOOK_ALLOW_HTTP = False
API_WEBHOOK_ALLOW_LOOPBACK = False
# When not empty, the only hosts (exact names) webhooks may be sent to.
API_WEBHOOK_ALLOWED_HOSTS = env.list("API_WEBHOOK_ALLOWED_HOSTS", default=[])
API_WEBHOOK_MAX_PER_DEPARTMENT = env.int("API_WEBHOOK_MAX_PER_DEPARTMENT", default=10)
# CA certificates (a PEM file) receivers' certificates must chain to; empty: certifi's public ones.
API_WEBHOOK_CA_FILE = env.str("API_WEBHOOK_CA_FILE", default="")
# Fernet keys (comma-separated) that encrypt the signing secrets at rest: the first seals, every
# one opens (api/webhook_secrets.py). Production requires them; development keeps one in var/.
API_WEBHOOK_SECRET_KEYS = env.list("API_WEBHOOK_SECRET_KEYS", default=[])
API_IDEMPOTENCY_HOURS = env.float("API_IDEMPOTENCY_HOURS", default=24)
# A key whose first request has not answered after this long is taken over by the next request with
# it: longer than gunicorn lets a request run (--timeout 30 in the Dockerfile).
API_IDEMPOTENCY_IN_FLIGHT_SECONDS = env.int("API_IDEMPOTENCY_IN_FLIGHT_SECONDS", default=60)
CELERY_BEAT_SCHEDULE["webhooks"] = {"task": "api.tasks.webhook_tick_task", "schedule": 10.0}
# API tokens work this many days from issue (the default and the longest an issuer may choose),
# and their owners are mailed this many days before the end, once per threshold (api.expiry).
API_TOKEN_LIFETIME_DAYS = env.int("API_TOKEN_LIFETIME_DAYS", default=365)
API_TOKEN_EXPIRY_WARNING_DAYS = sorted({int(d) for d in env.list("API_TOKEN_EXPIRY_WARNING_DAYS", default=["30", "7"])
                                        if d.strip()})
CELERY_BEAT_SCHEDULE["api-token-expiry"] = {"task": "api.tasks.api_token_expiry_warn_task",
                                            "schedule": crontab(hour=9, minute=0)}
CELERY_TASK_ROUTES["api.tasks.api_token_expiry_warn_task"] = {"queue": CELERY_MAIL_QUEUE}

# --- Walk-in citizens at a front desk (accounts.counter, api.front_desk) ------------------------
# A claim link mailed to a walk-in works this long; a claim letter printed at the desk this long.
ACCOUNT_CLAIM_MAIL_HOURS = env.float("ACCOUNT_CLAIM_MAIL_HOURS", default=72)
ACCOUNT_CLAIM_LETTER_DAYS = env.float("ACCOUNT_CLAIM_LETTER_DAYS", default=30)
# The largest signed consent document a front desk sends with a filing (base64 in the JSON body,
# so it also stays within API_MAX_BODY_BYTES).
COUNTER_CONSENT_MAX_MB = env.float("COUNTER_CONSENT_MAX_MB", default=3)
