"""The signing key pair: created by permit_keys (or on first use in development), kept unless
forced, refused when production has none."""

import io
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from core.pdf import html_to_pdf
from permits import signing


@pytest.fixture
def keys(settings, tmp_path):
    settings.PERMIT_SIGNING_KEY = str(tmp_path / "keys" / "signing.key")
    settings.PERMIT_SIGNING_CERT = str(tmp_path / "keys" / "signing.crt")
    signing.clear_cache()
    yield Path(settings.PERMIT_SIGNING_KEY), Path(settings.PERMIT_SIGNING_CERT)
    signing.clear_cache()


def test_permit_keys_creates_a_pair_and_keeps_it_unless_forced(keys):
    key, cert = keys
    out = io.StringIO()
    call_command("permit_keys", stdout=out)
    assert out.getvalue().startswith(f"Created permit signing key {key}")
    assert key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----") and oct(key.stat().st_mode)[-3:] == "600"
    assert cert.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    first = cert.read_bytes()
    out = io.StringIO()
    call_command("permit_keys", stdout=out)
    assert out.getvalue().startswith("Kept the existing") and cert.read_bytes() == first
    call_command("permit_keys", "--force", stdout=io.StringIO())
    assert cert.read_bytes() != first


def test_a_file_signed_with_another_key_is_not_ours(keys):
    pdf = signing.sign_pdf(html_to_pdf("<p>Permit</p>"))
    assert signing.check_signature(pdf).ok
    call_command("permit_keys", "--force", stdout=io.StringIO())  # a new key: the old file's signer is unknown
    check = signing.check_signature(pdf)
    assert (check.signed, check.intact, check.valid, check.ours, check.trusted) == (True, True, True, False, False)


def test_an_earlier_certificate_listed_as_trusted_still_verifies(keys, settings, tmp_path):
    key, cert = keys
    pdf = signing.sign_pdf(html_to_pdf("<p>Permit</p>"))
    (tmp_path / "old.crt").write_bytes(cert.read_bytes())
    call_command("permit_keys", "--force", stdout=io.StringIO())
    settings.PERMIT_TRUSTED_CERTS = [str(tmp_path / "old.crt")]
    assert signing.check_signature(pdf).ok


def test_production_without_a_key_refuses_to_sign(keys, settings):
    settings.PERMIT_SIGNING_AUTOCREATE = False
    with pytest.raises(ImproperlyConfigured, match="permit signing key"):
        signing.sign_pdf(html_to_pdf("<p>Permit</p>"))
    assert not keys[0].exists()


def test_bytes_that_are_not_a_pdf(keys):
    for data in (b"", b"GIF89a", b"%PDF-1.7\n garbage \x00" * 10):
        with pytest.raises(signing.NotAPdf):
            signing.check_signature(data)


def test_the_signer_is_loaded_once_and_again_when_its_files_change(keys, tmp_path):
    key, cert = keys
    call_command("permit_keys", stdout=io.StringIO())
    first = signing.signer()
    assert signing.signer() is first
    # Another pair put in place the way an operator would (no call into the portal): the next
    # signature uses it.
    other_key, other_cert = tmp_path / "other.key", tmp_path / "other.crt"
    signing.create_key_pair(key_path=other_key, cert_path=other_cert, common_name="Rotated permits")
    key.write_bytes(other_key.read_bytes())
    cert.write_bytes(other_cert.read_bytes())
    second = signing.signer()
    assert second is not first and "Rotated permits" in second.signing_cert.subject.human_friendly
    assert signing.check_signature(signing.sign_pdf(html_to_pdf("<p>Permit</p>"))).signer == (
        "Organization: One-stop Government Service Portal, Common Name: Rotated permits")


def _message_digest(pdf: bytes) -> bytes:
    from pyhanko.pdf_utils.reader import PdfFileReader

    attributes = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0].signer_info["signed_attrs"]
    return next(a["values"][0].native for a in attributes if a["type"].native == "message_digest")


def test_the_signature_container_is_built_once_per_key_and_each_file_gets_its_own_digest(keys, tmp_path):
    call_command("permit_keys", stdout=io.StringIO())
    one, two = html_to_pdf("<p>Permit one</p>"), html_to_pdf("<p>Permit two</p>")
    signed = [signing.sign_pdf(pdf) for pdf in (one, two, one)]
    assert [signing.check_signature(pdf).ok for pdf in signed] == [True, True, True]
    assert list(signing.signer()._templates) == ["sha256"]
    assert len({_message_digest(pdf) for pdf in signed}) == 3  # the third file differs in its signing time
    # A new pair in place: a new signer, whose container is built again with the new certificate.
    key, cert = keys
    signing.create_key_pair(key_path=key, cert_path=cert, common_name="Rotated permits", force=True)
    assert signing.signer()._templates == {}
    check = signing.check_signature(signing.sign_pdf(one))
    assert check.ok and check.signer == "Organization: One-stop Government Service Portal, Common Name: Rotated permits"
    assert list(signing.signer()._templates) == ["sha256"]
    check = signing.check_signature(signing.sign_pdf(two))
    assert check.ok and check.signer == "Organization: One-stop Government Service Portal, Common Name: Rotated permits"
