"""What the run's clients hold before the first request, made with the portal's own services:
citizens with API tokens, a token for each reviewing department's system, and the answers and
files of one application. Prints JSON; run by bench/scale.py after migrate and load_catalogue.

    prepare.py SERVICE CITIZENS"""

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

from accounts.models import Role  # noqa: E402
from api.models import TokenKind  # noqa: E402
from api.services import api_token_create  # noqa: E402
from catalogue.models import Service  # noqa: E402
from catalogue.schema import Schema  # noqa: E402
from departments.models import Department  # noqa: E402
from devtools.samples import sample_answers, sample_upload  # noqa: E402


def main(service_slug: str, citizens: int) -> dict:
    schema = Schema(Service.objects.get(slug=service_slug).current_version.schema)
    citizen_tokens = []
    for i in range(citizens):
        user = get_user_model().objects.create(email=f"scale.citizen{i}@example.org", full_name=f"Scale Citizen {i}",
                                               role=Role.CITIZEN, email_verified=True)
        citizen_tokens.append(api_token_create(kind=TokenKind.CITIZEN, name="scale run", user=user)[1])
    departments = {}
    for code in sorted({review["department"] for review in schema.reviews}):
        departments[code] = api_token_create(kind=TokenKind.DEPARTMENT, name="scale run",
                                             department=Department.objects.get(code=code))[1]
    files = []
    for spec in schema.fields:
        if spec["kind"] == "file":
            upload = sample_upload(spec)
            files.append({"field_key": spec["key"], "name": upload.name, "content_type": upload.content_type,
                          "content": base64.b64encode(upload.read()).decode()})
    # A field each department may ask to have corrected (one it reads that is not a file).
    correctable = {code: next((key for key in schema.department_fields(code)
                               if schema.fields_by_key[key]["kind"] != "file"), None) for code in departments}
    return {"service": service_slug, "citizen_tokens": citizen_tokens, "department_tokens": departments,
            "answers": sample_answers(schema), "files": files, "correctable": correctable}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]))))
