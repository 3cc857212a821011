"""Development profile, the default of manage.py: runs with no external service."""

import secrets
from pathlib import Path

from core.secret_files import create_private_file

from .base import *  # noqa: F403
from .base import AFTER_SECURITY, INSTALLED_APPS, MIDDLEWARE, SITE_URL, STATIC_ROOT, VAR_DIR, env, webauthn_relying_party

# Off by default, so the demo shows people the portal's own error pages, never Django's debug
# page (which lists every URL); DEBUG=1 brings tracebacks back while developing.
DEBUG = env.bool("DEBUG", default=False)
# Static files are served by WhiteNoise straight from the source folders, whatever DEBUG says.
MIDDLEWARE = [*MIDDLEWARE[:AFTER_SECURITY], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[AFTER_SECURITY:]]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing folder
# Mails and permit QR codes point at the server as it is really started: `make run` gives the web
# server, the worker and seed_demo the same PORTAL_PORT (PORT=8080 make run). SITE_URL overrides.
PORTAL_PORT = env.int("PORTAL_PORT", default=8000)
SITE_URL = SITE_URL or f"http://127.0.0.1:{PORTAL_PORT}"
OTP_WEBAUTHN_RP_ID, OTP_WEBAUTHN_ALLOWED_ORIGINS = webauthn_relying_party(SITE_URL)
# The reference register service `make run` starts (Procfile) answers for every register, ten
# ports above the portal's unless REGISTER_SERVICE_PORT says otherwise.
REGISTER_SERVICE_PORT = env.int("REGISTER_SERVICE_PORT", default=PORTAL_PORT + 10)
REGISTER_URLS = env.dict("REGISTER_URLS", default={}) or dict.fromkeys(
    ("company", "population", "address"), f"http://127.0.0.1:{REGISTER_SERVICE_PORT}")


def _dev_secret_key() -> str:
    # Generated once per checkout into var/ (ignored by git), so sessions survive restarts
    # and no key is ever committed; mode 0600 from the start (of two processes starting at once,
    # the second reads the first one's).
    path = VAR_DIR / "secret_key"
    if not path.exists():
        create_private_file(path, secrets.token_urlsafe(50).encode())
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="") or _dev_secret_key()


def _dev_webhook_secret_key() -> str:
    # Like the secret key: made once per checkout into var/keys/ (mode 0600 from the start).
    from cryptography.fernet import Fernet

    from core.secret_files import create_private_file

    path = VAR_DIR / "keys" / "webhook-secrets.key"
    if not path.exists():
        create_private_file(path, Fernet.generate_key())  # or another process just did
    return path.read_text().strip()


API_WEBHOOK_SECRET_KEYS = env.list("API_WEBHOOK_SECRET_KEYS", default=[]) or [_dev_webhook_secret_key()]
# Receivers on this machine while developing: http, and loopback addresses when asked.
API_WEBHOOK_ALLOW_HTTP = env.bool("API_WEBHOOK_ALLOW_HTTP", default=True)
API_WEBHOOK_ALLOW_LOOPBACK = env.bool("API_WEBHOOK_ALLOW_LOOPBACK", default=False)

# The demo, the synthetic history and the simulator (seed_demo, generate_history, simulate):
# development and tests only, never in production.
INSTALLED_APPS = [*INSTALLED_APPS, "devtools"]
