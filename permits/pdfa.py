"""A structural check of the PDF/A-3b requirements a permit file can break.

No PDF/A validator can be installed from the package registries the portal builds from (veraPDF,
the reference one, is a Java program distributed on its own), so this reads the file with pikepdf
and checks what our renderer and signer could get wrong: the identification in the XMP packet, the
output intent with its ICC profile, fonts embedded, attachments described as PDF/A-3 wants them,
annotations printed, no image smoothed by the viewer (/Interpolate), nothing PDF/A forbids
(encryption, JavaScript, launch actions)."""

import io

PDFA_PART, PDFA_CONFORMANCE = "3", "B"
# Annotation flags (PDF 32000-1, 12.5.3): PDF/A wants Print set, and Hidden, Invisible, NoView unset.
_PRINT, _HIDDEN_FLAGS = 4, 1 | 2 | 32
_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


def pdfa_problems(data: bytes) -> list[str]:
    """What keeps ``data`` from being PDF/A-3b, in the order checked; empty when nothing does.
    Raises pikepdf.PdfError for bytes that are not a PDF."""
    import pikepdf

    problems = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if pdf.is_encrypted:
            problems.append("the file is encrypted")
        if "/ID" not in pdf.trailer:
            problems.append("the trailer has no file identifier (/ID)")
        problems += _identification(pdf)
        problems += _output_intent(pdf)
        problems += _fonts(pdf)
        problems += _attachments(pdf)
        problems += _annotations(pdf)
        problems += _interpolated_images(pdf)
        problems += _forbidden(pdf)
    return problems


def _identification(pdf) -> list[str]:
    if "/Metadata" not in pdf.Root:
        return ["no XMP metadata"]
    meta = pdf.open_metadata()
    part, conformance = meta.get("pdfaid:part"), meta.get("pdfaid:conformance")
    problems = []
    if (part, conformance) != (PDFA_PART, PDFA_CONFORMANCE):
        problems.append(f"XMP identifies PDF/A part {part} conformance {conformance}, not 3B")
    info = pdf.trailer.get("/Info")
    if info is not None and "/Producer" in info and str(info.Producer) != meta.get("pdf:Producer"):
        problems.append("the document information's Producer differs from the XMP pdf:Producer")
    return problems


def _output_intent(pdf) -> list[str]:
    import pikepdf

    for intent in pdf.Root.get("/OutputIntents", []):
        profile = intent.get("/DestOutputProfile")
        if intent.get("/S") == pikepdf.Name.GTS_PDFA1 and isinstance(profile, pikepdf.Stream):
            return [] if profile.get("/N") in (1, 3, 4) else ["the output intent's ICC profile has no colour count"]
    return ["no PDF/A output intent with an ICC profile"]


def _fonts(pdf) -> list[str]:
    problems = []
    for number, page in enumerate(pdf.pages, start=1):
        for name, font in _page_fonts(page):
            if font.get("/Subtype") == "/Type3":
                continue
            descendants = font.get("/DescendantFonts")
            described = descendants[0] if descendants is not None else font
            descriptor = described.get("/FontDescriptor")
            if descriptor is None or not any(key in descriptor for key in _FONT_FILES):
                problems.append(f"page {number}: font {name} ({described.get('/BaseFont')}) is not embedded")
    return problems


def _page_fonts(page):
    """(resource name, font) of a page and of the form XObjects it draws."""
    seen, pending = set(), [page.obj.get("/Resources")]
    while pending:
        resources = pending.pop()
        if resources is None or resources.objgen in seen and resources.objgen != (0, 0):
            continue
        seen.add(resources.objgen)
        yield from (resources.get("/Font") or {}).items()
        for xobject in (resources.get("/XObject") or {}).values():
            if xobject.get("/Subtype") == "/Form":
                pending.append(xobject.get("/Resources"))


def _attachments(pdf) -> list[str]:
    names = pdf.Root.get("/Names")
    files = names.get("/EmbeddedFiles") if names is not None else None
    entries = list(files.get("/Names", [])) if files is not None else []
    associated = {spec.objgen for spec in pdf.Root.get("/AF", [])}
    problems = []
    for spec in entries[1::2]:
        label = str(spec.get("/UF", spec.get("/F", "?")))
        stream = spec.get("/EF", {}).get("/F")
        if "/AFRelationship" not in spec:
            problems.append(f"attachment {label} has no AFRelationship")
        if stream is None or "/Subtype" not in stream:
            problems.append(f"attachment {label} has no MIME type")
        elif "/ModDate" not in stream.get("/Params", {}):
            problems.append(f"attachment {label} has no modification date")
        if spec.objgen not in associated:
            problems.append(f"attachment {label} is not associated with the document (/AF)")
    return problems


def _annotations(pdf) -> list[str]:
    problems = []
    for number, page in enumerate(pdf.pages, start=1):
        for annotation in page.obj.get("/Annots", []):
            if annotation.get("/Subtype") == "/Popup":
                continue
            flags = int(annotation.get("/F", 0))
            if not flags & _PRINT or flags & _HIDDEN_FLAGS:
                problems.append(f"page {number}: a {annotation.get('/Subtype')} annotation is not printed as shown")
    return problems


def _interpolated_images(pdf) -> list[str]:
    """PDF/A (ISO 19005-2, 6.2.8) wants an image's /Interpolate false or absent: how it looks
    must not depend on the viewer's smoothing."""
    import pikepdf

    return [f"image {obj.objgen[0]} asks the viewer to interpolate it" for obj in pdf.objects
            if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image" and obj.get("/Interpolate") is True]


def _forbidden(pdf) -> list[str]:
    problems = []
    names = pdf.Root.get("/Names")
    if names is not None and "/JavaScript" in names:
        problems.append("the document has JavaScript")
    action = pdf.Root.get("/OpenAction")
    if hasattr(action, "get") and action.get("/S") in ("/JavaScript", "/Launch"):
        problems.append("the document opens with a forbidden action")
    return problems
