"""Sample answers and files for the demo, the synthetic history and the simulator."""

import io
from functools import cache

from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter

from approvals.sla import local_today
from catalogue.schema import Schema, date_bound


def blank_pdf() -> bytes:
    """A one-page, well-formed PDF with no active content: it passes every upload check."""
    writer, out = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=595, height=842)
    writer.write(out)
    return out.getvalue()


@cache
def sample_files() -> dict[str, tuple[bytes, str]]:
    """Tiny but real files by content type (content, file name), recognised by libmagic and
    accepted by the upload checks; made on first use."""
    return {
        "application/pdf": (blank_pdf(), "document.pdf"),
        "image/png": (bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c49444154789c63f8ffff3f0005fe02fe"
            "0def46b80000000049454e44ae426082"), "image.png"),
    }


# A well-formed code of each format (catalogue.registers.KEY_FORMATS): the demo's company, person
# and address in the reference register service (register_service.demo).
SAMPLE_KEYS = {"uscc": "91110105MA01GD8N3Q", "ric": "110105198806150024", "address_code": "1101050010000088"}


def sample_answers(schema: Schema) -> dict:
    """An answer to every question but the files, within the question's bounds."""
    answers = {}
    for spec in schema.fields:
        kind, key = spec["kind"], spec["key"]
        if kind == "file":
            continue
        if spec.get("format"):
            answers[key] = SAMPLE_KEYS[spec["format"]]
        elif kind in ("text", "textarea"):
            answers[key] = f"Sample {key.replace('_', ' ')}"[: spec.get("max_length") or 200]
        elif kind == "email":
            answers[key] = "applicant@example.org"
        elif kind == "phone":
            answers[key] = "+86 10 6512 3456"
        elif kind in ("integer", "decimal"):
            answers[key] = str(spec.get("min") if spec.get("min") is not None else 1)
        elif kind == "date":
            answers[key] = (date_bound(spec["min"], local_today()) if spec.get("min") else local_today()).isoformat()
        elif kind == "choice":
            answers[key] = spec["choices"][0]["value"]
        elif kind == "multichoice":
            answers[key] = [spec["choices"][0]["value"]]
        elif kind == "boolean":
            answers[key] = "true"
    return answers


def sample_upload(spec: dict) -> SimpleUploadedFile:
    for content_type in spec.get("accept") or ["application/pdf"]:
        if content_type in sample_files():
            content, name = sample_files()[content_type]
            return SimpleUploadedFile(name, content, content_type=content_type)
    raise ValueError(f"no sample file for {spec['key']}: accepts {spec.get('accept')}")
