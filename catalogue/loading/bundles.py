"""Bundles in catalogue files: several services one life event needs, applied for together.

    bundles: [{slug, name, life_event, description, one_permit: false,
               services: [{service: <slug>, when: <condition>, depends_on: [<slug>, ...]}, ...]}, ...]

A bundle has at least two member services, each once. ``when`` (catalogue.conditions) is checked
against the questions of the bundle's combined form (every member's); ``depends_on`` names other
members of the same bundle, without a cycle. Members must be services of the files or of the
database. Applying makes a bundle's members exactly those of the file.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from ..conditions import dependency_cycle, problems
from ..models import Bundle, BundleMember, Field, Service
from .checks import Report, _check_keys, _mapping, _pattern, _require, check_list, check_translations, entries, join_path
from .schema import SLUG_MAX, SLUG_RE, FieldSpec, ServiceSpec

BUNDLE_KEYS = ("slug", "name", "life_event", "description", "one_permit", "services")
BUNDLE_REQUIRED = ("slug", "name", "life_event", "services")
MEMBER_KEYS = ("service", "when", "depends_on")


@dataclass
class BundleMemberSpec:
    service: str
    when: dict
    depends_on: list[str]
    path: str  # where it was written, for the checks against the whole catalogue


@dataclass
class BundleSpec:
    slug: str
    name: dict
    life_event: dict
    description: dict
    one_permit: bool
    members: list[BundleMemberSpec]
    position: int
    report: Report | None = field(default=None, repr=False, compare=False)


def check_bundle(value, path: str, report: Report, *, position: int = 0) -> BundleSpec | None:
    """One bundle on its own; its members' services and conditions are checked against the whole
    catalogue by ``check_bundle_members``."""
    entry = _mapping(value, path, report)
    if entry is None:
        return None
    _check_keys(entry, BUNDLE_KEYS, path, report)
    _require(entry, BUNDLE_REQUIRED, path, report)
    ok = not (set(entry) - set(BUNDLE_KEYS))
    slug = _pattern(entry["slug"], join_path(path, "slug"), report, SLUG_RE, SLUG_MAX, _("bundle slug")) \
        if "slug" in entry else None
    texts = {}
    for key, complete in (("name", True), ("life_event", True), ("description", False)):
        texts[key] = check_translations(entry[key], join_path(path, key), report, complete=complete) \
            if key in entry else (None if complete else {})
    one_permit = entry.get("one_permit", False)
    if not isinstance(one_permit, bool):
        report(join_path(path, "one_permit"), _("must be true or false"))
        ok = False
    members = _members(entry["services"], join_path(path, "services"), report) if "services" in entry else None
    if not ok or None in (slug, texts["name"], texts["life_event"], texts["description"], members):
        return None
    return BundleSpec(slug=slug, name=texts["name"], life_event=texts["life_event"], description=texts["description"],
                      one_permit=one_permit, members=members, position=position, report=report)


def _members(value, path: str, report: Report) -> list[BundleMemberSpec] | None:
    items = check_list(value, path, report)
    if items is None:
        return None
    if len(items) < 2:
        report(path, _("a bundle brings together at least two services"))
        return None
    members, seen, ok = [], set(), True
    for member_path, entry in entries(items, path, report, MEMBER_KEYS, ("service",)):
        if entry is None:
            ok = False
            continue
        ok &= not (set(entry) - set(MEMBER_KEYS))
        slug = _pattern(entry["service"], join_path(member_path, "service"), report, SLUG_RE, SLUG_MAX,
                        _("service slug")) if "service" in entry else None
        if slug in seen:
            report(join_path(member_path, "service"), _("service %(value)r is already a member") % {"value": slug})
            ok = False
        seen.add(slug)
        when = entry.get("when") or {}
        if not isinstance(when, dict):
            report(join_path(member_path, "when"), _("must be a condition (a mapping)"))
            ok = False
        depends_on = entry.get("depends_on", [])
        if not isinstance(depends_on, list) or not all(isinstance(s, str) for s in depends_on):
            report(join_path(member_path, "depends_on"), _("must be a list of service slugs"))
            ok = False
            depends_on = []
        if slug is None:
            ok = False
            continue
        members.append(BundleMemberSpec(service=slug, when=when if isinstance(when, dict) else {},
                                        depends_on=list(depends_on), path=member_path))
    for member in members:
        for i, other in enumerate(member.depends_on):
            if other == member.service or other not in seen:
                report(f"{member.path}.depends_on[{i}]", _("%(value)r is not another service of this bundle") % {
                    "value": other})
                ok = False
    if cycle := dependency_cycle({m.service: dict.fromkeys(m.depends_on, True) for m in members}):
        report(path, _("the services depend on each other in a circle: %(cycle)s") % {"cycle": " → ".join(cycle)})
        ok = False
    return members if ok else None


def check_bundle_members(bundles: list[BundleSpec], *, services: list[ServiceSpec], fields: list[FieldSpec]) -> None:
    """Each member is a service of the files or of the database, and each member's condition reads
    questions of the bundle's combined form, as catalogue.conditions checks them."""
    in_files = {spec.slug: spec for spec in services}
    wanted = {m.service for b in bundles for m in b.members} - set(in_files)
    stored = {service.slug: service for service in Service.objects.filter(slug__in=wanted).select_related("current_version")}
    definitions = {spec.key: {"key": spec.key, "kind": spec.kind, **spec.rules} for spec in fields}
    for bundle in bundles:
        asked: set[str] = set()
        for member in bundle.members:
            if member.service in in_files:
                asked |= {key for review in in_files[member.service].reviews for key in review.fields}
            elif member.service in stored:
                version = stored[member.service].current_version
                asked |= {spec["key"] for spec in (version.schema["fields"] if version else [])}
            else:
                bundle.report(join_path(member.path, "service"), _("unknown service %(value)r") % {"value": member.service})
        missing = asked - set(definitions)
        known = {**definitions, **{f.key: {"key": f.key, "kind": f.kind, **(f.rules or {})}
                                   for f in Field.objects.filter(key__in=missing)}}
        form = {key: known[key] for key in asked if key in known}
        for member in bundle.members:
            if member.when:
                for problem in problems(member.when, form):
                    bundle.report(join_path(member.path, "when"), problem)


def apply_bundles(bundles: list[BundleSpec], counts) -> None:
    """Upsert each bundle by slug; its members become exactly those of the file."""
    services = Service.objects.in_bulk({m.service for b in bundles for m in b.members}, field_name="slug")
    existing = Bundle.objects.in_bulk([b.slug for b in bundles], field_name="slug")
    for spec in bundles:
        values = {"name": spec.name, "life_event": spec.life_event, "description": spec.description,
                  "one_permit": spec.one_permit, "position": spec.position}
        bundle = existing.get(spec.slug)
        if bundle is None:
            bundle = Bundle.objects.create(slug=spec.slug, **values)
            counts.created += 1
        elif any(getattr(bundle, name) != value for name, value in values.items()):
            Bundle.objects.filter(pk=bundle.pk).update(**values)
            counts.updated += 1
        else:
            counts.unchanged += 1
        wanted = [(services[m.service].pk, m.when, m.depends_on, position) for position, m in enumerate(spec.members)]
        current = list(bundle.members.order_by("position", "id").values_list("service_id", "when", "depends_on",
                                                                            "position"))
        if current != wanted:
            bundle.members.all().delete()
            BundleMember.objects.bulk_create([
                BundleMember(bundle=bundle, service_id=service_id, when=when, depends_on=depends_on, position=position)
                for service_id, when, depends_on, position in wanted])
