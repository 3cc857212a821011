"""A service's ``guide:`` in a catalogue file, checked (catalogue.guides describes it) and its
template files read from the catalogue's folder, their type checked against their name
(catalogue.guide_files). A guide may be incomplete (a language not yet written, a part not yet
published): that is a warning the reader lists (``guide_gaps``), not an error; what is there must
be right."""

from pathlib import Path
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from .. import guide_files
from ..guides import SPECIFICATIONS
from .checks import Report, _check_keys, _positive_int, check_list, check_translations, join_path
from .schema import SMALL_INT_MAX

GUIDE_KEYS = ("legal_basis", "who_may_apply", "conditions", "materials", "statutory_days", "promised_days", "faq")
LEGAL_BASIS_KEYS = ("title", "link")
MATERIAL_KEYS = ("name", "specification", "copies", "format", "template")
FAQ_KEYS = ("question", "answer")
LINK_MAX = 500


def check_guide_text(value, path: str, report: Report) -> dict | None:
    """Text in any of the portal's languages (at least one): a language missing is a gap the
    reader warns of, a language unknown or an empty text is an error."""
    return check_translations(value, path, report, any_language=True)


def _items(value, path: str, report: Report, keys, required):
    """Each entry of a list of mappings, with its path, or (path, None) when it is not one."""
    for i, item in enumerate(check_list(value, path, report, non_empty=False) or []):
        item_path = f"{path}[{i}]"
        if not isinstance(item, dict):
            report(item_path, _("must be a mapping of keys to values"))
            yield item_path, None
            continue
        _check_keys(item, keys, item_path, report)
        missing = [key for key in required if key not in item]
        for key in missing:
            report(join_path(item_path, key), _("is required"))
        yield item_path, (None if missing or set(item) - set(keys) else item)


def _link(value, path: str, report: Report) -> str | None:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("https", "http") or not parts.netloc or len(value) > LINK_MAX:
        report(path, _("%(value)r is not a web address (https://…)") % {"value": value})
        return None
    return value


def _template(value, path: str, report: Report, base_dir: Path | None, files: list, stored: set) -> str | None:
    if not isinstance(value, str) or not guide_files.NAME_RE.match(value):
        report(path, _("%(value)r is not a file name beside the catalogue file (letters, digits, . _ - and an "
                       "extension)") % {"value": value})
        return None
    if base_dir is None and value in stored:
        return value
    if base_dir is None:
        report(path, _("a template file can only be loaded from a catalogue file"))
        return None
    try:
        content = (base_dir / value).read_bytes()
    except FileNotFoundError:
        report(path, _("file %(name)r not found beside the catalogue file") % {"name": value})
        return None
    except OSError as exc:
        report(path, _("%(name)r cannot be read: %(reason)s") % {"name": value, "reason": exc.strerror or exc})
        return None
    if problem := guide_files.content_problem(value, content):
        report(path, problem)
        return None
    if all(f.name != value for f in files):
        files.append(guide_files.checked(value, content))
    return value


def check_guide(value, path: str, report: Report, *, base_dir: Path | None,
                stored: frozenset = frozenset()) -> tuple[dict, list] | None:
    """The guide and the template files it names (catalogue.guide_files.CheckedFile), or None.
    Without ``base_dir`` (the admin) a template must be one of the files ``stored`` already."""
    if not isinstance(value, dict):
        report(path, _("must be a mapping of keys to values"))
        return None
    _check_keys(value, GUIDE_KEYS, path, report)
    ok = not (set(value) - set(GUIDE_KEYS))
    guide, files = {}, []
    if "legal_basis" in value:
        guide["legal_basis"] = []
        for item_path, item in _items(value["legal_basis"], join_path(path, "legal_basis"), report,
                                      LEGAL_BASIS_KEYS, ("title",)):
            title = check_guide_text(item["title"], join_path(item_path, "title"), report) if item else None
            link = _link(item["link"], join_path(item_path, "link"), report) if item and "link" in item else ""
            ok &= None not in (title, link)
            if ok:
                guide["legal_basis"].append({"title": title, **({"link": link} if link else {})})
    for key in ("who_may_apply", "conditions"):
        if key in value:
            guide[key] = check_guide_text(value[key], join_path(path, key), report)
            ok &= guide[key] is not None
    if "materials" in value:
        guide["materials"] = []
        for item_path, item in _items(value["materials"], join_path(path, "materials"), report, MATERIAL_KEYS,
                                      ("name", "specification", "copies")):
            if item is None:
                ok = False
                continue
            material = {"name": check_guide_text(item["name"], join_path(item_path, "name"), report),
                        "specification": item["specification"],
                        "copies": _positive_int(item["copies"], join_path(item_path, "copies"), report, maximum=99)}
            if item["specification"] not in SPECIFICATIONS:
                report(join_path(item_path, "specification"), _("must be one of %(values)s") % {
                    "values": ", ".join(SPECIFICATIONS)})
                material["specification"] = None
            if "format" in item:
                material["format"] = check_guide_text(item["format"], join_path(item_path, "format"), report)
            if "template" in item:
                material["template"] = _template(item["template"], join_path(item_path, "template"), report,
                                                 base_dir, files, stored)
            ok &= None not in material.values()
            guide["materials"].append(material)
    for key in ("statutory_days", "promised_days"):
        if key in value:
            guide[key] = _positive_int(value[key], join_path(path, key), report, maximum=SMALL_INT_MAX)
            ok &= guide[key] is not None
    if "faq" in value:
        guide["faq"] = []
        for item_path, item in _items(value["faq"], join_path(path, "faq"), report, FAQ_KEYS, FAQ_KEYS):
            entry = {key: check_guide_text(item[key], join_path(item_path, key), report) for key in FAQ_KEYS} \
                if item else None
            ok &= entry is not None and None not in entry.values()
            if ok:
                guide["faq"].append(entry)
    return (guide, files) if ok else None
