"""PAdES signatures on permits (pyHanko), and checking them.

The key and certificate are files named by settings (PERMIT_SIGNING_KEY, PERMIT_SIGNING_CERT).
For development, tests and the demo a self-signed pair is created under var/ on first use when
PERMIT_SIGNING_AUTOCREATE is on (``manage.py permit_keys`` does the same on purpose); production
turns that off, so a missing key fails the render task loudly and the reconciler retries it."""

import io
import logging
import threading
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core.secret_files import replace_private_file

log = logging.getLogger(__name__)
# pyHanko imports cryptography's DSA key class (to recognise DSA keys), and cryptography warns on
# that import. Permits are signed with EC or RSA keys; nothing here uses DSA. Only this module
# imports pyHanko's signers.
warnings.filterwarnings("ignore", message="DSA is deprecated", module=r"pyhanko\.")

SIGNATURE_FIELD = "PermitSignature"
# Room for the CMS object in the file: pyHanko otherwise signs twice (once to measure).
SIGNATURE_BYTES = 8192
_lock = threading.Lock()
_cache: dict = {}


def create_key_pair(*, key_path: Path, cert_path: Path, common_name: str, days: int = 3650, force: bool = False) -> bool:
    """Write a new P-256 key and a self-signed certificate for it; False if both exist."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    if key_path.exists() and cert_path.exists() and not force:
        return False
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "One-stop Government Service Portal"),
    ])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=False, encipher_only=False, decipher_only=False,
        ), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    replace_private_file(key_path, key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))  # public
    clear_cache()
    return True


def key_paths() -> tuple[Path, Path]:
    return Path(settings.PERMIT_SIGNING_KEY), Path(settings.PERMIT_SIGNING_CERT)


def ensure_keys() -> None:
    key_path, cert_path = key_paths()
    if key_path.exists() and cert_path.exists():
        return
    if not settings.PERMIT_SIGNING_AUTOCREATE:
        raise ImproperlyConfigured(
            f"The permit signing key {key_path} or certificate {cert_path} is missing "
            "(set PERMIT_SIGNING_KEY and PERMIT_SIGNING_CERT, or run manage.py permit_keys for a demo)."
        )
    with _lock:
        if create_key_pair(key_path=key_path, cert_path=cert_path, common_name=settings.PERMIT_SIGNER_NAME):
            log.warning("created a self-signed permit signing key %s (development and demo only)", key_path)


def _stamp(path: Path) -> tuple:
    stat = path.stat()
    return (str(path), stat.st_mtime_ns, stat.st_size)


def signer():
    """The pyHanko signer, loaded once per process (and again when the files change), with its
    signature container built once (permits.reusing_signer)."""
    from pyhanko.sign import signers

    from .reusing_signer import ReusingSigner

    ensure_keys()
    key_path, cert_path = key_paths()
    stamp = ("signer", _stamp(key_path), _stamp(cert_path))
    if stamp not in _cache:
        password = settings.PERMIT_SIGNING_KEY_PASSWORD.encode() or None
        loaded = signers.SimpleSigner.load(str(key_path), str(cert_path), key_passphrase=password)
        if loaded is None:
            raise ImproperlyConfigured(f"could not load the permit signing key {key_path} / certificate {cert_path}")
        _cache.clear()
        _cache[stamp] = ReusingSigner.from_signer(loaded)
    return _cache[stamp]


def trusted_certificates() -> list:
    """Our signing certificate and any earlier ones (PERMIT_TRUSTED_CERTS, after a key change)."""
    from pyhanko.keys import load_cert_from_pemder

    certs = [signer().signing_cert]
    for extra in settings.PERMIT_TRUSTED_CERTS:
        certs.append(load_cert_from_pemder(extra))
    return certs


def clear_cache() -> None:
    _cache.clear()


def _outside_event_loop(function, *args, **kwargs):
    """pyHanko's synchronous calls run their own asyncio loop, which cannot start in a thread
    that already runs one (an ASGI server, a Playwright test): there, run them in a thread."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def sign_pdf(pdf: bytes) -> bytes:
    """Add an invisible PAdES baseline signature covering the whole file."""
    return _outside_event_loop(_sign_pdf, pdf)


def _sign_pdf(pdf: bytes) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
        reason="Issued by the one-stop government service portal", location=settings.SITE_URL,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    return signers.sign_pdf(writer, meta, signer=signer(), bytes_reserved=SIGNATURE_BYTES).getvalue()


@dataclass(frozen=True)
class SignatureCheck:
    """What pyHanko says about the signature of a file."""

    signed: bool  # there is a signature at all
    ours: bool = False  # made with our certificate (or an earlier one of ours), valid or not
    intact: bool = False  # the signed bytes are unchanged
    valid: bool = False  # the signature value is correct for them
    trusted: bool = False  # made by our certificate (or an earlier one of ours)
    whole_file: bool = False  # nothing was added after signing
    signer: str = ""
    signed_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.signed and self.intact and self.valid and self.trusted and self.whole_file


class NotAPdf(ValueError):
    pass


def check_signature(data: bytes) -> SignatureCheck:
    """Check the first signature of a PDF against our certificates. Raises NotAPdf for bytes
    that cannot be read as a PDF; never trusts anything but our own certificates."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    if not data.lstrip()[:5] == b"%PDF-":
        raise NotAPdf("not a PDF")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception as error:  # a damaged or hostile file: pyHanko raises many kinds
        raise NotAPdf(str(error)) from error
    if not signatures:
        return SignatureCheck(signed=False)
    trusted = trusted_certificates()
    try:
        ours = signatures[0].signer_cert.sha256 in {cert.sha256 for cert in trusted}
    except Exception:
        ours = False
    context = ValidationContext(trust_roots=trusted, allow_fetching=False, revocation_mode="soft-fail")
    try:
        status = _outside_event_loop(validate_pdf_signature, signatures[0], context, skip_diff=True)
    except Exception:
        log.info("signature check failed on an uploaded file", exc_info=True)
        return SignatureCheck(signed=True, ours=ours)
    return SignatureCheck(
        signed=True, ours=ours, intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
        whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        signer=status.signing_cert.subject.human_friendly if status.signing_cert else "",
        signed_at=status.signer_reported_dt,
    )
