"""What the load test's simulated people hold before their first request, made with the portal's
own code on a seeded database: citizens' accounts (they sign in through the sign-in page), the
staff's sessions (their sign-in asks for a second factor: the sessions are made as the tests'
client makes them, tests.client.PortalClient), the services citizens apply for with the answers
and files a person would give, and the public addresses visitors open. Prints JSON.

    prepare.py CITIZENS STAFF_SESSIONS

Run again, it keeps the citizens and makes new sessions."""

import base64
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402

from accounts.models import Role  # noqa: E402
from approvals.models import Review, ReviewStatus  # noqa: E402
from catalogue.models import Service  # noqa: E402
from catalogue.schema import Schema  # noqa: E402
from departments.models import Membership, MembershipRole  # noqa: E402
from devtools.samples import sample_answers, sample_upload  # noqa: E402
from finder.models import Finder  # noqa: E402
from permits.models import Permit, PermitStatus  # noqa: E402
from permits.rendering import verify_url  # noqa: E402
from tests.client import PortalClient  # noqa: E402

CITIZEN_PASSWORD = "load-test-citizen-2026"  # noqa: S105 -- accounts of a throwaway benchmark database
# Services whose form asks nothing of a register: the reference register service is not part of
# the compose stack, so a register question would wait for it.
APPLY_SERVICES = ("open-a-restaurant", "register-a-business", "food-operating-permit")
VERIFIED_PERMITS = 200


def citizens(count: int) -> list[str]:
    """``count`` citizens with one password (hashed once: the hasher is slow on purpose)."""
    password = make_password(CITIZEN_PASSWORD)
    users = get_user_model().objects
    emails = [f"load.citizen{i:04d}@example.org" for i in range(count)]
    known = set(users.filter(email__in=emails).values_list("email", flat=True))
    for i, email in enumerate(emails):
        if email not in known:
            users.create(email=email, full_name=f"Load Citizen {i}", role=Role.CITIZEN, email_verified=True,
                         password=password)
    return emails


def session_of(user) -> str:
    client = PortalClient()
    client.force_login(user)
    return client.cookies["sessionid"].value


def staff_sessions(count: int) -> dict[str, list[str]]:
    """Sessions of ``count`` officers spread over the officers of departments with reviews waiting
    (an empty queue is little work), and of managers."""
    waiting = Review.objects.filter(status=ReviewStatus.PENDING).values("department")
    officers = list(Membership.objects.people().filter(role=MembershipRole.OFFICER, department__in=waiting)
                    .select_related("user").order_by("user__email"))
    step = max(1, len(officers) // max(1, count))
    chosen = [m.user for m in officers[::step]][:count]
    manager = get_user_model().objects.get(email="manager@demo.example.gov")
    return {"officer": [session_of(user) for user in chosen],
            "manager": [session_of(manager) for _ in range(max(1, count // 2))]}


def applications() -> list[dict]:
    """Per service: the answers by question and the file each file question gets."""
    result = []
    for slug in APPLY_SERVICES:
        schema = Schema(Service.objects.get(slug=slug).current_version.schema)
        files = {}
        for spec in schema.fields:
            if spec["kind"] == "file":
                upload = sample_upload(spec)
                files[spec["key"]] = {"name": upload.name, "content_type": upload.content_type,
                                      "content": base64.b64encode(upload.read()).decode()}
        answers = sample_answers(schema)
        answers["seating_capacity"] = "80"  # and a second stage: the fire review once the first approve
        result.append({"service": slug, "answers": {k: v for k, v in answers.items() if k in
                                                    {f["key"] for f in schema.fields}}, "files": files})
    return result


def public_pages() -> dict:
    permits = (Permit.objects.filter(status=PermitStatus.VALID, rendered_at__isnull=False)
               .select_related("application").order_by("pk")[:VERIFIED_PERMITS])
    return {
        "services": sorted(Service.objects.filter(current_version__isnull=False).values_list("slug", flat=True)),
        "finders": sorted(Finder.objects.values_list("slug", flat=True)),
        "verify": [verify_url(p).split("://", 1)[1].split("/", 1)[1] for p in permits],
    }


def main(citizen_count: int, staff_count: int) -> dict:
    return {"citizens": citizens(citizen_count), "citizen_password": CITIZEN_PASSWORD,
            "sessions": staff_sessions(staff_count), "applications": applications(), **public_pages()}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), int(sys.argv[2]))))
