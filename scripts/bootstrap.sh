#!/usr/bin/env bash
# Prepare a checkout to run: the virtualenv with pinned requirements, and the system packages
# the portal needs (WeasyPrint's fast font subsetting and CJK fonts, libmagic for upload checks;
# for tests also Chromium and the axe-core package). Safe to run again: it only does what is missing.
#
#   scripts/bootstrap.sh          runtime
#   scripts/bootstrap.sh --dev    runtime + test tools
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=0
[ "${1:-}" = "--dev" ] && DEV=1
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# --- System packages (Debian) ------------------------------------------------------------------
packages=(libharfbuzz-subset0 fonts-noto-cjk libmagic1 libpango-1.0-0 libpangoft2-1.0-0)
[ "$DEV" = 1 ] && packages+=(chromium gettext)
# Permit tests: poppler (pdfsig, pdffonts, pdftotext, pdftoppm, pdfdetach) and zbarimg for the QR code.
[ "$DEV" = 1 ] && packages+=(poppler-utils zbar-tools)
# The compose stack's proxy (deploy/Caddyfile), run in front of a test server.
[ "$DEV" = 1 ] && packages+=(caddy)
# The test of the portal behind PgBouncer in transaction pooling mode (docs/scaling.md).
[ "$DEV" = 1 ] && packages+=(pgbouncer)
missing=()
if command -v dpkg-query >/dev/null; then
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if [ "$DEV" = 1 ] && ! command -v npm >/dev/null; then missing+=(nodejs npm); fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "Installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing system packages: ${missing[*]}" >&2
    echo "Install them with: sudo apt-get install --no-install-recommends ${missing[*]}" >&2
    echo "(without libharfbuzz-subset0 and fonts-noto-cjk permits render slowly and Chinese text shows as boxes)" >&2
  fi
fi

# --- Python virtualenv ------------------------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
  say "Creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
  .venv/bin/pip install -q --upgrade pip
fi
req=requirements.txt
[ "$DEV" = 1 ] && req=requirements-dev.txt
stamp=".venv/.installed-$(cat requirements.txt "$req" | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  say "Installing Python packages from $req"
  .venv/bin/pip install -q -r "$req"
  touch "$stamp"
fi

# --- The permit font: the CJK font cut down to GB 2312 and Latin (permits/fonts.py), built from the
# installed fonts-noto-cjk; it does nothing while the subset is newer than that font. -------------
if [ -f "${PERMIT_CJK_FONT:-/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc}" ]; then
  DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-portal.settings.dev} .venv/bin/python manage.py build_permit_font >/dev/null
fi

# --- Test tools from npm (axe-core, injected into pages by the browser tests; oidc-provider, the
# OpenID Connect provider the identity tests start) -------------------------------------------------
if [ "$DEV" = 1 ] && { [ ! -f node_modules/axe-core/axe.min.js ] || [ ! -f node_modules/oidc-provider/package.json ]; }; then
  say "Installing the test tools from the npm registry (package-lock.json)"
  npm ci --no-audit --no-fund --silent
fi
