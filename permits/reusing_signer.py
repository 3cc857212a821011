"""A pyHanko signer that builds the CMS signature of a permit once per key and reuses it.

Every permit's signature container is the same but for two values: the digest of the signed
bytes (the ``message_digest`` signed attribute) and the signature over the signed attributes.
pyHanko assembles the whole container afresh each time with asn1crypto, which costs more than
the rest of signing together (tens of milliseconds, against a fraction of one for the ECDSA
signature itself). This signer lets pyHanko build the container once, keeps it as DER, and for
each document loads it, puts the new digest in and signs the attributes again. Anything the
template cannot stand for (a dry run, a timestamp, other attribute settings, a time-varying
attribute) goes to pyHanko as before."""

from pyhanko.sign.signers import SimpleSigner

# Attributes that are the same in every signature of one key and digest algorithm; the
# message digest is replaced. A template with any other attribute is not reused.
_FIXED_ATTRIBUTES = {"content_type", "signing_certificate_v2"}


class ReusingSigner(SimpleSigner):
    @classmethod
    def from_signer(cls, signer: SimpleSigner) -> "ReusingSigner":
        return cls(signing_cert=signer.signing_cert, signing_key=signer.signing_key,
                   cert_registry=signer.cert_registry)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._templates: dict[str, bytes | None] = {}  # digest algorithm -> ContentInfo DER

    async def async_sign(self, data_digest: bytes, digest_algorithm: str, dry_run=False, use_pades=False,
                         timestamper=None, signed_attr_settings=None, is_pdf_sig=True, encap_content_info=None):
        plain = (not dry_run and use_pades and timestamper is None and is_pdf_sig and encap_content_info is None
                 and _no_extra_attributes(signed_attr_settings))
        if not plain or self._templates.get(digest_algorithm, b"") is None:
            return await super().async_sign(data_digest, digest_algorithm, dry_run=dry_run, use_pades=use_pades,
                                            timestamper=timestamper, signed_attr_settings=signed_attr_settings,
                                            is_pdf_sig=is_pdf_sig, encap_content_info=encap_content_info)
        if digest_algorithm not in self._templates:
            built = await super().async_sign(data_digest, digest_algorithm, use_pades=True,
                                             signed_attr_settings=signed_attr_settings)
            self._templates[digest_algorithm] = built.dump() if _reusable(built) else None
            return built
        return await self._from_template(self._templates[digest_algorithm], data_digest, digest_algorithm)

    async def _from_template(self, template: bytes, data_digest: bytes, digest_algorithm: str):
        from asn1crypto import cms

        content_info = cms.ContentInfo.load(template)
        signer_info = content_info["content"]["signer_infos"][0]
        attributes = signer_info["signed_attrs"]
        for attribute in attributes:
            if attribute["type"].native == "message_digest":
                attribute["values"] = [data_digest]
        # What is signed is the attributes' DER as a SET OF (RFC 5652 §5.4): the [0] IMPLICIT field
        # they are stored in, with the SET tag.
        signed = b"\x31" + attributes.dump()[1:]
        signer_info["signature"] = await self.async_sign_raw(signed, digest_algorithm)
        return content_info


def _no_extra_attributes(settings) -> bool:
    """Settings that add no signed attribute to a PAdES signature (its signing time goes in the
    signature dictionary, not in the attributes)."""
    return settings is None or (getattr(settings, "cades_signed_attrs", None) is None
                                and getattr(settings, "adobe_revinfo_attr", None) is None)


def _reusable(content_info) -> bool:
    attributes = content_info["content"]["signer_infos"][0]["signed_attrs"]
    names = [attribute["type"].native for attribute in attributes]
    return names.count("message_digest") == 1 and set(names) - {"message_digest"} <= _FIXED_ATTRIBUTES
