"""The demo `make run` loads: its address follows the port, its figures are true, and the
summary it prints says what each account is good for, from the data."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from accounts import factors
from accounts.models import Role, User
from approvals.models import Review, ReviewStatus
from audit.chain import audit_seal
from dashboards.stats import stats_consume
from dashboards.tests.test_stats import expected, shown
from devtools import demo
from devtools.management.commands.seed_demo import CITIZENS, DEFAULT_PASSWORD, DEMO_TOTP_SECRET
from permits.models import Permit
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
DECIDED = (ReviewStatus.APPROVED, ReviewStatus.REJECTED)
CLEARED = ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "SITE_URL", "PORTAL_PORT", "CACHE_URL",
           "EMAIL_URL", "DEBUG")
SEND_VERIFICATION = (
    "from accounts.mail import send_verification; from tests.factories import UserFactory; "
    "user = UserFactory(email='new.citizen@example.org', email_verified=False); send_verification(user.pk, 'en')"
)


# --- The address: a fresh demo as `PORT=... make run` loads it (dev settings, SQLite, files) -----------


def manage(var: Path, port: int, *args) -> str:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(PORTAL_VAR_DIR=str(var), PORTAL_PORT=str(port), LOG_LEVEL="WARNING")
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def qr_code(pdf: Path, tmp_path: Path) -> str:
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / "page")], check=True)
    return subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "page.png")], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_the_demo_permit_and_the_mails_carry_the_port_the_portal_runs_on(tmp_path):
    var = tmp_path / "var"
    manage(var, 8147, "migrate", "--noinput", "-v", "0")
    out = manage(var, 8147, "seed_demo")
    assert "Portal:   http://127.0.0.1:8147/\n" in out
    # The restaurant's permit, and the convenience store's one combined permit.
    pdfs = sorted((var / "media" / "permits").glob("P-*.pdf"))
    assert len(pdfs) == 2
    codes = {}
    for pdf in pdfs:
        found = re.fullmatch(rf"http://127\.0\.0\.1:8147/permits/verify/{pdf.stem}/([a-z2-7]{{26}})/", qr_code(pdf, tmp_path))
        assert found, qr_code(pdf, tmp_path)
        codes[pdf.stem] = found[1]

    manage(var, 8147, "shell", "-c", SEND_VERIFICATION)
    [mail] = (var / "mail").glob("*.log")
    links = re.findall(r"http://\S+", mail.read_text())
    assert links and all(link.startswith("http://127.0.0.1:8147/") for link in links), links
    assert any(link.startswith("http://127.0.0.1:8147/accounts/verify/") for link in links), links

    # Started again on another port: the demo permits follow, once.
    out = manage(var, 8148, "seed_demo")
    assert f"Demo permits rendered again for http://127.0.0.1:8148: {', '.join(codes)}\n" in out
    # The same verification codes: the address changes only by its port.
    for pdf in pdfs:
        assert qr_code(pdf, tmp_path) == f"http://127.0.0.1:8148/permits/verify/{pdf.stem}/{codes[pdf.stem]}/"
    before = [pdf.read_bytes() for pdf in pdfs]
    out = manage(var, 8148, "seed_demo")
    assert "rendered again" not in out and "sample applications created" not in out
    assert [pdf.read_bytes() for pdf in pdfs] == before


# --- The figures and the summary, on the test database ----------------------------------------------


@pytest.fixture
def seeded(db, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SITE_URL = "http://127.0.0.1:8080"
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.mark.postgres
def test_the_demos_decisions_went_through_routing_like_real_ones(seeded):
    decided = Review.objects.filter(status__in=DECIDED)
    assert decided.count() == 15
    assert not decided.filter(routed_at__isnull=True).exists()
    assert not decided.filter(due_date__isnull=True).exists()
    # Every review waiting for an officer has its clock running too.
    assert not Review.objects.filter(status=ReviewStatus.PENDING, due_date__isnull=True).exists()


@pytest.mark.postgres
def test_the_demos_dashboard_equals_a_recount_from_the_raw_tables(seeded, client):
    audit_seal()
    stats_consume()  # what the beat does
    check = StringIO()
    call_command("rebuild_stats", "--check", "--fail-on-drift", stdout=check)
    assert check.getvalue().startswith("drift: 0 summary rows")

    client.force_login(UserFactory(email="manager@example.gov", role=Role.MANAGER))
    today = timezone.localdate()
    start, end = today - timedelta(days=30), today
    response = client.get(reverse("dashboards:dashboard"), {"date_from": start.isoformat(), "date_to": end.isoformat()})
    assert response.status_code == 200
    want, got = expected(start, end), shown(response)
    for key in ("submitted", "permits", "decided", "sla_met", "approved", "rejected", "correction_requested", "p50",
                "p90", "departments", "services"):
        assert got[key] == want[key], key
    # Decided in time: every demo decision came within its time limit, and the page says so.
    assert (got["decided"], got["sla_met"]) == (15, 15)
    figures = response.context["figures"]
    assert figures["totals"]["sla_rate"] == 100.0
    # Time to decide counts every decision the departments table counts.
    decided_by_department = {row["department"].pk: row["decided"] for row in figures["departments"] if row["decided"]}
    assert {pk: n for pk, (n, _p50, _p90) in got["departments"].items()} == decided_by_department
    assert sum(n for n, _p50, _p90 in got["departments"].values()) == 15


@pytest.mark.postgres
def test_the_summary_says_what_each_demo_account_is_good_for(seeded):
    number = Permit.objects.get(application__applicant__email="wang.fang@demo.example.org").number
    store = Permit.objects.get(bundle_application__isnull=False, application__applicant__email="li.lei@demo.example.org")
    assert seeded.startswith("Demo: 10 sample applications created.\n" + "─" * 72 + "\nPortal:   http://127.0.0.1:8080/\n")
    rule = "─" * 72
    assert demo.summary(citizens=[e for e, _ in CITIZENS], password=DEFAULT_PASSWORD,
                        totp_secret=DEMO_TOTP_SECRET).splitlines() == [
        rule,
        "Portal:   http://127.0.0.1:8080/",
        "Password of every demo account: demo-portal-2026",
        "",
        "Citizens",
        f"  wang.fang@demo.example.org             permit {number} issued; 1 draft; 1 in review; "
        "1 needs your correction",
        f"  li.lei@demo.example.org                permit {store.number} issued; 1 in review; 1 approved; 1 rejected; "
        "1 withdrawn",
        "  Registers (answered by the reference register service): Wang Fang runs the company 91110105MA01GD8N3Q,",
        "  Li Lei 91110105MA01HX2K7B; site address codes 1101050010000088 (commercial), 1101080020000003 (industrial)",
        "Officers (one per department: officer.<department>@demo.example.gov), with work waiting",
        "  officer.fire@demo.example.gov          1 review waiting",
        "  officer.health@demo.example.gov        2 reviews waiting",
        "  officer.registration@demo.example.gov  1 review waiting",
        "  officer.subdistrict@demo.example.gov   1 filing to acknowledge",
        "  officer.tax@demo.example.gov           2 reviews waiting",
        "Supervisors (supervisor.<department>@demo.example.gov): extend due dates, revoke or re-issue permits",
        "Manager, auditor, administrator, finance officer",
        "  manager@demo.example.gov               dashboards of every department, the monthly scorecard",
        "  auditor@demo.example.gov               the audit log and its chain check",
        "  admin@demo.example.gov                 the administration (/admin/): catalogue, staff, API tokens",
        "  finance@demo.example.gov               the finance pages (/finance/): bank statements, payment issues, refunds",
        "",
        "Staff confirm each sign-in with a code from an authenticator app. Add this key to one",
        "(time-based): OCGJPCKDSCHGEJK7PG7IBOMA4UVEWSWL",
        "or print the current code: .venv/bin/python manage.py totp_code <email>",
        rule,
    ]


@pytest.mark.postgres
def test_demo_staff_sign_in_with_the_code_the_command_prints(seeded, client):
    staff = User.objects.exclude(role=Role.CITIZEN).exclude(email__endswith="@api.portal.invalid")
    # An officer and a supervisor per department (the supervising office's too); manager, auditor, admin,
    # finance officer.
    assert staff.count() == 10 * 2 + 4
    assert {tuple(factors.totp_devices(u).values_list("key", flat=True)) for u in staff} == {
        (factors.totp_secret_key(DEMO_TOTP_SECRET),)}
    out, err = StringIO(), StringIO()
    call_command("totp_code", "Manager@demo.example.gov", stdout=out, stderr=err)
    assert re.fullmatch(r"\d{6}\n", out.getvalue())
    assert re.fullmatch(r"\(valid for about \d+ more seconds; each code works once\)\n", err.getvalue())
    response = client.post(reverse("accounts:login"), {"username": "manager@demo.example.gov",
                                                       "password": DEFAULT_PASSWORD})
    assert response.url == reverse("accounts:second_factor")
    response = client.post(response.url, {"code": out.getvalue().strip()})
    assert (response.status_code, response.url) == (302, reverse("landing"))
    with pytest.raises(CommandError) as exc:
        call_command("totp_code", "wang.fang@demo.example.org")
    assert str(exc.value) == "wang.fang@demo.example.org has no authenticator app set up."
