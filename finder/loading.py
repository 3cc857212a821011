"""The ``finders:`` section of a catalogue file: checked, written and dumped with the catalogue
(registered with catalogue.loading.sections when the app starts).

    finders:
      - slug: open-a-restaurant
        title: {en: Open a restaurant, zh-hans: 开办餐饮店}
        life_event: {en: Starting a business, zh-hans: 企业开办}          # optional
        intro: {en: "A few questions …", zh-hans: …}                     # optional
        questions: [cuisine, seating_capacity, uses_gas, plans_sign]      # keys of the field dictionary
        services:
          - {service: open-a-restaurant}
          - {service: renovate-a-shop-front, when: {plans_sign: true},
             because: {en: You plan a shop sign., zh-hans: 您计划设置店招标牌。}}

A question is a field of the dictionary (defined in the files read or already loaded) of a kind
that holds no personal data, since the answers travel in a link; a service's ``when`` is a
condition (catalogue.conditions) on the finder's own questions.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from catalogue.conditions import problems, referenced_keys
from catalogue.dumper import _Flow, _FlowList, _text
from catalogue.loading.apply import Counts, _upsert
from catalogue.loading.checks import _check_keys, _mapping, _pattern, _require, check_list, check_translations, join_path
from catalogue.loading.schema import SLUG_MAX, SLUG_RE, Catalogue
from catalogue.loading.sections import Entry
from catalogue.models import Field, Service

from .models import Finder, FinderQuestion, FinderService

FINDER_KEYS = ("slug", "title", "life_event", "intro", "questions", "services")
FINDER_REQUIRED = ("slug", "title", "questions", "services")
CONSIDERED_KEYS = ("service", "when", "because")
# Kinds whose answers say nothing about a person: the answers are the finder's link.
QUESTION_KINDS = ("choice", "multichoice", "boolean", "integer", "decimal")


@dataclass
class ConsideredSpec:
    service: str
    when: dict
    because: dict
    position: int


@dataclass
class FinderSpec:
    slug: str
    title: dict
    life_event: dict
    intro: dict
    questions: list[str]
    services: list[ConsideredSpec] = field(default_factory=list)
    position: int = 0


def question_spec(key: str, kind: str, label: dict, rules: dict) -> dict:
    """A question as catalogue.conditions and the finder's form read it: a schema field entry."""
    return {"key": key, "kind": kind, "label": label, **(rules or {})}


def _known_fields(catalogue: Catalogue, keys: set[str]) -> dict[str, dict]:
    """The fields named, as defined in the files read or else already loaded."""
    found = {f.key: question_spec(f.key, f.kind, f.label, f.rules) for f in catalogue.fields if f.key in keys}
    for row in Field.objects.filter(key__in=keys - set(found)):
        found[row.key] = question_spec(row.key, row.kind, row.label, row.rules)
    return found


def finders_check(entries: list[Entry], catalogue: Catalogue) -> list[FinderSpec]:
    """Every finder entry checked against the whole catalogue; those with no problem, checked."""
    named = {key for _report, _path, item in entries if isinstance(item, dict)
             for key in (item.get("questions") if isinstance(item.get("questions"), list) else [])
             if isinstance(key, str)}
    fields = _known_fields(catalogue, named)
    services = {s.slug for s in catalogue.services}
    wanted = {entry.get("service") for _r, _p, item in entries if isinstance(item, dict)
              and isinstance(item.get("services"), list) for entry in item["services"]
              if isinstance(entry, dict) and isinstance(entry.get("service"), str)}
    services |= set(Service.objects.filter(slug__in=wanted - services).values_list("slug", flat=True))
    checked, seen = [], {}
    for position, (report, path, item) in enumerate(entries):
        spec = _finder(item, path, report, fields=fields, services=services, position=position)
        slug = item.get("slug") if isinstance(item, dict) else None
        if isinstance(slug, str) and slug in seen:
            report(join_path(path, "slug"), _("duplicate finder %(value)r (first defined at %(origin)s)") % {
                "value": slug, "origin": seen[slug]})
            continue
        if isinstance(slug, str):
            seen[slug] = path
        if spec is not None:
            checked.append(spec)
    return checked


def _counting(report):
    """A report that also counts what it reports: an entry with any problem becomes nothing."""
    count = [0]

    def counted(where, message):
        count[0] += 1
        report(where, message)

    return counted, count


def _finder(item, path: str, report, *, fields: dict, services: set[str], position: int) -> FinderSpec | None:
    entry = _mapping(item, path, report)
    if entry is None:
        return None
    counted, count = _counting(report)
    _check_keys(entry, FINDER_KEYS, path, counted)
    _require(entry, FINDER_REQUIRED, path, counted)
    slug = _pattern(entry["slug"], join_path(path, "slug"), counted, SLUG_RE, SLUG_MAX, _("slug")) \
        if "slug" in entry else None
    title = check_translations(entry["title"], join_path(path, "title"), counted) if "title" in entry else None
    life_event = check_translations(entry["life_event"], join_path(path, "life_event"), counted) \
        if "life_event" in entry else {}
    intro = check_translations(entry["intro"], join_path(path, "intro"), counted) if "intro" in entry else {}
    questions = _questions(entry["questions"], join_path(path, "questions"), counted, fields) \
        if "questions" in entry else None
    listed = entry.get("questions") if isinstance(entry.get("questions"), list) else []
    asked = {key: fields[key] for key in listed if isinstance(key, str) and key in fields}
    considered = _services(entry["services"], join_path(path, "services"), counted, services, asked) \
        if "services" in entry else None
    if count[0] or None in (slug, title, life_event, intro, questions, considered):
        return None
    return FinderSpec(slug=slug, title=title, life_event=life_event, intro=intro, questions=questions,
                      services=considered, position=position)


def _questions(value, path: str, report, fields: dict) -> list[str] | None:
    keys = check_list(value, path, report)
    ok = keys is not None
    for i, key in enumerate(keys or []):
        where = f"{path}[{i}]"
        if not isinstance(key, str):
            report(where, _("must be a field key, not %(value)r") % {"value": key})
            ok = False
        elif key in keys[:i]:
            report(where, _("field %(key)r is listed twice") % {"key": key})
            ok = False
        elif key not in fields:
            report(where, _("unknown field %(value)r") % {"value": key})
            ok = False
        elif fields[key]["kind"] not in QUESTION_KINDS:
            report(where, _("field %(key)r is of kind %(kind)s: a finder asks only %(kinds)s questions, whose "
                            "answers say nothing about a person (they travel in a link)") % {
                "key": key, "kind": fields[key]["kind"], "kinds": ", ".join(QUESTION_KINDS)})
            ok = False
    return list(keys) if ok else None


def _services(value, path: str, report, services: set[str], asked: dict) -> list[ConsideredSpec] | None:
    items = check_list(value, path, report)
    if items is None:
        return None
    result, ok, seen = [], True, set()
    for i, item in enumerate(items):
        where = f"{path}[{i}]"
        entry = _mapping(item, where, report)
        spec = _considered(entry, where, report, services, asked, seen, position=i) if entry is not None else None
        if spec is None:
            ok = False
        else:
            result.append(spec)
    return result if ok else None


def _considered(entry: dict, path: str, report, services: set[str], asked: dict, seen: set[str], *,
                position: int) -> ConsideredSpec | None:
    counted, count = _counting(report)
    _check_keys(entry, CONSIDERED_KEYS, path, counted)
    _require(entry, ("service",), path, counted)
    slug = entry.get("service")
    if "service" in entry:
        if not isinstance(slug, str) or slug not in services:
            counted(join_path(path, "service"), _("unknown service %(value)r") % {"value": slug})
        elif slug in seen:
            counted(join_path(path, "service"), _("service %(value)r is listed twice") % {"value": slug})
        else:
            seen.add(slug)
    when = entry.get("when") or {}
    if "when" in entry:
        others = [key for key in referenced_keys(entry["when"]) if isinstance(key, str) and key not in asked]
        for key in others:
            counted(join_path(path, "when"), _("field %(key)r is not one of the finder's questions") % {"key": key})
        for problem in [] if others else problems(entry["when"], asked):
            counted(join_path(path, "when"), problem)
    because = check_translations(entry["because"], join_path(path, "because"), counted) \
        if "because" in entry else {}
    if count[0]:
        return None
    return ConsideredSpec(service=slug, when=when, because=because, position=position)


def finders_apply(specs: list[FinderSpec]) -> str:
    """Create or update each finder by slug; its questions and services become exactly those of
    the file. Finders missing from the files are kept, like every other catalogue object."""
    counts = Counts()
    existing = Finder.objects.in_bulk([s.slug for s in specs], field_name="slug")
    fields = Field.objects.in_bulk({key for s in specs for key in s.questions}, field_name="key")
    services = Service.objects.in_bulk({c.service for s in specs for c in s.services}, field_name="slug")
    for spec in specs:
        before = (counts.created, counts.updated)
        finder, _changed = _upsert(Finder, {"slug": spec.slug}, {
            "title": spec.title, "intro": spec.intro, "life_event": spec.life_event, "position": spec.position,
        }, counts, existing.get(spec.slug))
        questions = [(fields[key].pk, position) for position, key in enumerate(spec.questions)]
        considered = [(services[c.service].pk, c.when, c.because, c.position) for c in spec.services]
        if questions != list(finder.questions.values_list("field_id", "position")):
            finder.questions.all().delete()
            FinderQuestion.objects.bulk_create(
                FinderQuestion(finder=finder, field_id=pk, position=position) for pk, position in questions)
        elif considered == list(finder.considered.values_list("service_id", "when", "because", "position")):
            continue
        finder.considered.all().delete()
        FinderService.objects.bulk_create(
            FinderService(finder=finder, service_id=pk, when=when, because=because, position=position)
            for pk, when, because, position in considered)
        if (counts.created, counts.updated) == before:  # only its questions or services changed
            counts.unchanged -= 1
            counts.updated += 1
    return str(counts)


def finders_dump() -> list:
    """Every finder as a catalogue file writes it."""
    entries = []
    for finder in Finder.objects.prefetch_related("questions__field", "considered__service"):
        entry = {"slug": finder.slug, "title": _text(finder.title)}
        if finder.life_event:
            entry["life_event"] = _text(finder.life_event)
        if finder.intro:
            entry["intro"] = _text(finder.intro)
        entry["questions"] = _FlowList(q.field.key for q in finder.questions.all())
        services = []
        for considered in finder.considered.all():
            item = _Flow(service=considered.service.slug)
            if considered.when:
                item["when"] = considered.when
            if considered.because:
                item["because"] = dict(_text(considered.because))
            services.append(item)
        entry["services"] = services
        entries.append(entry)
    return entries
