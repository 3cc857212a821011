"""The audit trail's keys, held outside the database: someone who can rewrite the audit table
cannot make rewritten links verify, nor sign a checkpoint, without them.

AUDIT_CHAIN_KEYS_FILE holds one ``<key id> <secret, base64>`` per line. The last line seals new
links (HMAC-SHA256, ``audit.chain``); every line verifies the links that name its id. Rotating
appends a line (``manage.py audit_keys --rotate``); a line is never removed while links name it.
Links sealed before the chain was keyed name no key (key id "") and keep their plain SHA-256.

AUDIT_ANCHOR_KEY_FILE holds the Ed25519 key (PEM, PKCS #8) that signs the checkpoints written
outside the database (``audit.anchors``); a checkpoint names it by fingerprint. Checkpoints signed
before a change of key verify with the earlier public keys listed in AUDIT_ANCHOR_TRUSTED_KEYS.
A key of its own, not the permits' signing key: it signs for the auditor, not for the public, and
one key's loss must not let the other's documents be forged.

With AUDIT_KEYS_AUTOCREATE (on except in production) a missing file is created on first use,
mode 0600 from the start; production expects provisioned ones (``manage.py audit_keys``)."""

import base64
import binascii
import hashlib
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from core.secret_files import append_private_file, create_private_file

KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
SECRET_BYTES = 32
MIN_SECRET_BYTES = 16


class AuditKeyError(ImproperlyConfigured):
    """A key file is missing or unreadable; the message says which and what to do."""


@dataclass(frozen=True)
class ChainKeys:
    by_id: dict[str, bytes]  # in the file's order: the last one seals
    path: Path

    @property
    def current(self) -> tuple[str, bytes]:
        if not self.by_id:
            raise AuditKeyError(f"The audit chain key file {self.path} is missing: create it with "
                                f"`manage.py audit_keys` or point AUDIT_CHAIN_KEYS_FILE at the provisioned one.")
        key_id = next(reversed(self.by_id))
        return key_id, self.by_id[key_id]

    def get(self, key_id: str) -> bytes | None:
        return self.by_id.get(key_id)


def new_key_line(taken: set[str] = frozenset()) -> str:
    while True:
        key_id = f"k{timezone.now():%Y%m%d}-{secrets.token_hex(3)}"
        if key_id not in taken:
            return f"{key_id} {base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()}\n"


def parse_chain_keys(text: str, path: Path) -> ChainKeys:
    keys: dict[str, bytes] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split()
        where = f"{path}, line {number}"
        if len(parts) != 2 or not KEY_ID.fullmatch(parts[0]):
            raise AuditKeyError(f"{where}: expected '<key id> <secret in base64>', the id of letters, digits, '.', "
                                f"'_' and '-' (at most 40).")
        if parts[0] in keys:
            raise AuditKeyError(f"{where}: the key id {parts[0]} appears twice.")
        try:
            secret = base64.b64decode(parts[1], validate=True)
        except binascii.Error:
            raise AuditKeyError(f"{where}: the secret is not base64.")
        if len(secret) < MIN_SECRET_BYTES:
            raise AuditKeyError(f"{where}: the secret has {len(secret)} bytes; at least {MIN_SECRET_BYTES} are needed.")
        keys[parts[0]] = secret
    if not keys:
        raise AuditKeyError(f"{path} holds no key.")
    return ChainKeys(keys, path)


def _key_file(path: Path, *, create: bool, content) -> tuple[int, int] | None:
    """The file's version (modification time, size) to reload it by; a missing file is created with
    ``content()`` when ``create``, else None."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        if not create:
            return None
        create_private_file(path, content())  # or another process just did
        stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


_loaded: dict[str, tuple[tuple[int, int], ChainKeys]] = {}


def chain_keys(*, create: bool | None = None) -> ChainKeys:
    """The chain keys, read once per process and again when the file changes. A missing file is
    created when ``create`` (by default AUDIT_KEYS_AUTOCREATE); otherwise there are no keys, which
    sealing refuses and verifying reports for every keyed link."""
    path = Path(settings.AUDIT_CHAIN_KEYS_FILE)
    if create is None:
        create = settings.AUDIT_KEYS_AUTOCREATE
    version = _key_file(path, create=create, content=lambda: new_key_line().encode())
    if version is None:
        return ChainKeys({}, path)
    loaded = _loaded.get(str(path))
    if loaded is None or loaded[0] != version:
        loaded = _loaded[str(path)] = (version, parse_chain_keys(path.read_text(), path))
    return loaded[1]


def chain_key_rotate() -> str:
    """Append a new chain key, which seals every link from now on; returns its id."""
    keys = chain_keys(create=True)
    line = new_key_line(set(keys.by_id))
    with keys.path.open("rb") as file:
        file.seek(0, 2)
        if file.tell():
            file.seek(-1, 2)
            line = line if file.read(1) == b"\n" else "\n" + line
    append_private_file(keys.path, line.encode())
    return line.split()[0]


# --- The checkpoints' signing key -----------------------------------------------------------------


@dataclass(frozen=True)
class AnchorSigner:
    key: Ed25519PrivateKey
    fingerprint: str
    path: Path


def fingerprint(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


_signers: dict[str, tuple[tuple[int, int], AnchorSigner]] = {}


def anchor_signer(*, create: bool | None = None) -> AnchorSigner:
    """The key that signs checkpoints, read once per process and again when the file changes."""
    path = Path(settings.AUDIT_ANCHOR_KEY_FILE)
    if create is None:
        create = settings.AUDIT_KEYS_AUTOCREATE
    version = _key_file(path, create=create, content=lambda: Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    if version is None:
        raise AuditKeyError(f"The checkpoint signing key {path} is missing: create it with `manage.py audit_keys` "
                            f"or point AUDIT_ANCHOR_KEY_FILE at the provisioned one.")
    loaded = _signers.get(str(path))
    if loaded is None or loaded[0] != version:
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except ValueError as error:
            raise AuditKeyError(f"{path}: not a PEM private key without a password ({error}).")
        if not isinstance(key, Ed25519PrivateKey):
            raise AuditKeyError(f"{path}: the checkpoint signing key must be an Ed25519 key.")
        loaded = _signers[str(path)] = (version, AnchorSigner(key, fingerprint(key.public_key()), path))
    return loaded[1]


def trusted_anchor_keys() -> dict[str, Ed25519PublicKey]:
    """The public keys checkpoints may be signed with, by fingerprint: the current signing key's
    (when this host has it) and those of AUDIT_ANCHOR_TRUSTED_KEYS."""
    trusted = {}
    try:
        signer = anchor_signer(create=False)
        trusted[signer.fingerprint] = signer.key.public_key()
    except AuditKeyError:
        pass  # verifying elsewhere, with the public keys alone
    for name in settings.AUDIT_ANCHOR_TRUSTED_KEYS:
        try:
            key = serialization.load_pem_public_key(Path(name).read_bytes())
        except (OSError, ValueError) as error:
            raise AuditKeyError(f"AUDIT_ANCHOR_TRUSTED_KEYS: {name} is not a readable PEM public key ({error}).")
        if not isinstance(key, Ed25519PublicKey):
            raise AuditKeyError(f"AUDIT_ANCHOR_TRUSTED_KEYS: {name} is not an Ed25519 public key.")
        trusted[fingerprint(key)] = key
    return trusted
