"""A real OpenID Connect provider for the tests: tests/oidc_provider/provider.mjs (oidc-provider from
npm) started with node as its own process on 127.0.0.1, with its own keys, the portal registered as
a client and the test accounts below. Loaded by the root conftest (pytest_plugins).

``oidc_provider`` is the session's provider; ``identity_service`` points the portal's settings at it
for the Django test client (http://testserver). ``sign_in_at_provider`` walks its sign-in and consent
pages with httpx, as a browser would, and returns where the provider sends the browser back to."""

import json
import queue
import re
import secrets
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from stdnum.cn import ric

from tests.services import require_tool, stop_process, wait_until_answering

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "oidc_provider" / "provider.mjs"
PACKAGE = ROOT / "node_modules" / "oidc-provider" / "package.json"
CLIENT_ID = "portal"
PASSWORD = "provider-pass-2026"  # every test account's password at the provider
SERVICE_NAME = "National e-ID"
TEST_SERVER = "http://testserver"
ACR_SUBSTANTIAL = "urn:test:loa:substantial"
ACR_HIGH = "urn:test:loa:high"


def resident_number(first17: str) -> str:
    """A valid mainland resident identity number: the 17 digits and their check digit (python-stdnum)."""
    return first17 + ric.calc_check_digit(first17 + "0")


LI_MEI_NUMBER = resident_number("11010519850412123")
ZHAO_LEI_NUMBER = resident_number("44030619921108456")
CHEN_JING_NUMBER = resident_number("11010519900307123")
COUNTER_NUMBER = resident_number("11010519491231002")
INVALID_NUMBER = "110105198504121230"  # the check digit is wrong
COMPANY_CODE = "91110000600037341L"  # a valid unified social credit code

# login → the provider's record of the person. The subject (sub) is what the portal binds.
ACCOUNTS = {
    "li.mei": {"sub": "sub-li-mei", "acr": ACR_SUBSTANTIAL, "claims": {
        "name": "Li Mei", "email": "li.mei@example.cn", "email_verified": True, "phone_number": "+86 139 1234 5678",
        "national_id": LI_MEI_NUMBER}},
    "zhao.lei": {"sub": "sub-zhao-lei", "acr": ACR_HIGH, "claims": {  # no e-mail address on record
        "given_name": "Lei", "family_name": "Zhao", "national_id": ZHAO_LEI_NUMBER}},
    "chen.jing": {"sub": "sub-chen-jing", "acr": ACR_SUBSTANTIAL, "claims": {
        "name": "Chen Jing", "email": "chen.jing@example.cn", "email_verified": True,
        "phone_number": "+86 138 0000 0000", "national_id": CHEN_JING_NUMBER}},
    "wu.counter": {"sub": "sub-wu-counter", "acr": ACR_SUBSTANTIAL, "claims": {
        "name": "Wu Fang", "email": "wu.fang@example.cn", "email_verified": True, "national_id": COUNTER_NUMBER}},
    "bad.number": {"sub": "sub-bad-number", "acr": ACR_SUBSTANTIAL, "claims": {
        "name": "Qian Yu", "email": "qian.yu@example.cn", "email_verified": True, "national_id": INVALID_NUMBER}},
    "unverified.mail": {"sub": "sub-unverified-mail", "claims": {  # no acr: the default assurance
        "name": "Sun Hao", "email": "sun.hao@example.cn", "email_verified": False}},
    "company": {"sub": "sub-company", "acr": ACR_HIGH, "claims": {
        "name": "Harbour Noodles Ltd", "email": "office@harbour-noodles.example.cn", "email_verified": True,
        "organisation_id": COMPANY_CODE}},
}


@dataclass
class LocalProvider:
    issuer: str
    client_secret: str
    process: subprocess.Popen
    log: Path
    accounts: dict = field(default_factory=lambda: ACCOUNTS)

    def call(self, method: str, path: str, **kwargs) -> dict:
        response = httpx.request(method, self.issuer + path, timeout=10, **kwargs)
        response.raise_for_status()
        return response.json()

    def rotate(self) -> str:
        """A new signing key signs from now on; the old one stays in the key set. Its kid."""
        return self.call("POST", "/_test/rotate")["kid"]

    def signing_key(self) -> dict:
        """The private key (JWK) the provider signs ID tokens with now."""
        return self.call("GET", "/_test/signing-key")

    def requests_to(self, endpoint: str) -> int:
        """How often the provider was asked for ``endpoint`` ("jwks", "token", ".well-known" ...)."""
        return self.call("GET", "/_test/stats").get(endpoint, 0)

    def allow(self, site_url: str) -> None:
        """Register a portal address (its callback and where signing out returns) with the client."""
        self.call("POST", "/_test/client", json={"redirect_uri": f"{site_url}/accounts/oidc/callback/",
                                                 "post_logout_redirect_uri": f"{site_url}/"})

    def stop(self) -> None:
        stop_process(self.process)


def start_provider(directory: Path, *, site_url: str = TEST_SERVER, timeout: float = 20.0) -> LocalProvider:
    """Start provider.mjs on a free port of 127.0.0.1 and wait until it serves its discovery document."""
    node = shutil.which("node")
    require_tool(node is not None and PACKAGE.exists(),
                 "node and the npm package oidc-provider are required (scripts/bootstrap.sh --dev installs them)")
    directory.mkdir(parents=True, exist_ok=True)
    accounts = directory / "accounts.json"
    accounts.write_text(json.dumps({login: {**record, "password": PASSWORD} for login, record in ACCOUNTS.items()}))
    secret = secrets.token_urlsafe(24)
    log = directory / "provider.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [node, str(SCRIPT), "--accounts", str(accounts), "--client-id", CLIENT_ID, f"--client-secret={secret}",
             "--redirect-uri", f"{site_url}/accounts/oidc/callback/", "--post-logout-redirect-uri", f"{site_url}/"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True,
        )
    lines = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()
    provider = None
    try:
        first = lines.get(timeout=timeout)
        provider = LocalProvider(issuer=json.loads(first)["issuer"], client_secret=secret, process=process, log=log)
        wait_until_answering(provider.issuer + "/.well-known/openid-configuration", seconds=timeout,
                             what="the provider's discovery document")
        return provider
    except (queue.Empty, ValueError, KeyError, TimeoutError) as exc:
        process.kill()
        process.wait(timeout=5)
        raise RuntimeError(f"the OpenID Connect provider did not start: {exc!r}\n{log.read_text()}") from exc


def configure_portal(settings, provider: LocalProvider, *, site_url: str = TEST_SERVER) -> None:
    """The portal's OIDC_* settings for ``provider``, as a deployment sets them in the environment."""
    settings.SITE_URL = site_url
    settings.OIDC_PROVIDER_NAME = SERVICE_NAME
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_DISCOVERY_URL = ""
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = provider.client_secret
    settings.OIDC_SCOPES = ["openid", "profile", "email", "phone", "national_id", "organisation"]
    settings.OIDC_ID_NUMBER_CLAIM = "national_id"
    settings.OIDC_ID_NUMBER_SCHEME = "cn.ric"
    settings.OIDC_ORGANISATION_ID_NUMBER_CLAIM = "organisation_id"
    settings.OIDC_ORGANISATION_ID_NUMBER_SCHEME = "cn.uscc"
    settings.OIDC_ACR_ASSURANCE = {ACR_SUBSTANTIAL: "substantial", ACR_HIGH: "high"}
    settings.OIDC_DEFAULT_ASSURANCE = "low"
    settings.CITIZEN_PASSWORD_SIGN_IN = True


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    provider = start_provider(tmp_path_factory.mktemp("oidc-provider"))
    yield provider
    provider.stop()


@pytest.fixture
def identity_service(settings, oidc_provider):
    """The portal signs citizens in with the session's provider (the test client's http://testserver)."""
    configure_portal(settings, oidc_provider)
    return oidc_provider


def sign_in_at_provider(authorize_url: str, *, login: str, password: str = PASSWORD, consent: bool = True) -> str:
    """Follow ``authorize_url`` through the provider's sign-in and consent pages with httpx, as a
    browser would (its own cookies), and return the address it sends the browser back to."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(authorize_url))
    with httpx.Client(timeout=10) as http:
        response = http.get(authorize_url)
        for _step in range(12):
            if response.is_redirect:
                location = urljoin(str(response.url), response.headers["location"])
                if not location.startswith(origin + "/"):
                    return location
                response = http.get(location)
                continue
            actions = re.findall(r'<form method="post" action="([^"]+)"', response.text)
            assert actions, response.text
            if actions[0].endswith("/login"):
                response = http.post(urljoin(origin, actions[0]), data={"login": login, "password": password})
                if not response.is_redirect:
                    raise AssertionError(f"the provider refused the sign-in of {login}: {response.text}")
            else:  # the consent page: continue, or cancel
                response = http.post(urljoin(origin, actions[0] if consent else actions[1]))
        raise AssertionError("the provider never sent the browser back")
