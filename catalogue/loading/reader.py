"""Catalogue files read as one catalogue: YAML parsed safely, each entry checked, duplicates
across files and the departments and fields reviews and filings name checked against the whole catalogue.
Every problem is collected (file, path, reason); nothing is returned unless there is none."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from ..conditions import referenced_keys
from ..guides import guide_gaps, office_gaps
from ..models import Field, FieldKind, Requirement, Service
from .bundles import check_bundle, check_bundle_members
from .checks import (
    Report,
    check_calendar,
    check_certificate_type,
    check_department,
    check_field,
    check_list,
    check_references,
    check_register,
    check_register_bindings,
    check_required_certificates,
    check_service,
    join_path,
)
from .conditions import ReviewConditions, SectionConditions, check_field_conditions, check_form_conditions, schema_field
from .fees import check_fee_fields
from .guides import check_guide
from .schema import TOP_LEVEL_KEYS, Catalogue, FieldSpec
from .sections import SECTIONS


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    message: str

    def __str__(self):
        return f"{self.file}: {self.path}: {self.message}" if self.path else f"{self.file}: {self.message}"


class CatalogueInvalid(Exception):
    """The files are not a valid catalogue; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s) in the catalogue")
        self.problems = problems



# -- YAML --------------------------------------------------------------------------------------


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe YAML that rejects a key given twice in one mapping (PyYAML keeps the last one
    silently) and leaves an impossible date such as 2026-13-01 as text, so that it is reported
    as a bad date at its path instead of failing the whole file."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                continue  # unhashable: the base class reports it
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, f"found duplicate key {key!r}", key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _yaml_problem(exc: yaml.YAMLError) -> tuple[str, str]:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem, context = getattr(exc, "problem", None), getattr(exc, "context", None)
    message = f"{problem} ({context})" if problem and context else (problem or context or str(exc))
    if mark is None:
        return "", _("invalid YAML: %(message)s") % {"message": message}
    where = _("line %(line)d, column %(column)d") % {"line": mark.line + 1, "column": mark.column + 1}
    return where, _("invalid YAML: %(message)s") % {"message": message}


# -- reading files -------------------------------------------------------------------------------


class _Reader:
    def __init__(self):
        self.files: list[str] = []
        self.problems: list[Problem] = []
        self.catalogue = Catalogue()
        self.calendar_origin: str | None = None
        # code/key/slug -> "file: path" of its first definition, for duplicates across files
        self.origins: dict[str, dict[str, str]] = {"certificate_types": {}, "departments": {}, "registers": {},
                                                   "fields": {}, "services": {}, "bundles": {}}
        self.field_count = 0
        self.service_count = 0
        self.register_count = 0
        self.bundle_count = 0
        # (report, field key, binding, path) of each field taken from a register, and (report, path,
        # fields asked) of each service, checked against each other at the end.
        self.bindings: list[tuple[Report, str, dict, str]] = []
        self.asking: list[tuple[Report, str, set[str]]] = []
        # (report, kind, value, path) of each department and field a review or filing names, and each
        # certificate type a field or a permit names, checked at the end
        self.references: list[tuple[Report, str, str, str]] = []
        # (report, path, the type the permit is, the reviews' field keys) of each service issuing a type
        self.issuing: list[tuple[Report, str, str, list[str]]] = []
        # key of a registered section -> (report, path, item) of each of its entries
        self.sections: dict[str, list] = {}
        # (report, path of when, key, condition) of each field asked under a condition, and (report,
        # path, spec) of each service, their conditions checked against the whole dictionary at the end
        self.field_conditions: list[tuple[Report, str, str, dict]] = []
        self.forms: list[tuple[Report, str, object]] = []
        self.field_places: dict[str, tuple[Report, str]] = {}  # field key -> (report, path) in the files
        self.guides: list[tuple[str, str, object]] = []  # (file, path, spec) of each service, for its gaps

    def reporter(self, file: str) -> Report:
        return lambda path, message: self.problems.append(Problem(file, path, message))

    def read(self, path: Path) -> None:
        file = str(path)
        self.files.append(file)
        report = self.reporter(file)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            report("", _("file not found"))
            return
        except IsADirectoryError:
            report("", _("is a directory, not a catalogue file"))
            return
        except UnicodeDecodeError:
            report("", _("is not UTF-8 text"))
            return
        except OSError as exc:
            report("", _("cannot be read: %(reason)s") % {"reason": exc.strerror or exc})
            return
        try:
            data = yaml.load(text, Loader=_Loader)  # noqa: S506 -- _Loader is a SafeLoader
        except yaml.YAMLError as exc:
            report(*_yaml_problem(exc))
            return
        except (ValueError, RecursionError) as exc:  # a constructor rejecting a tagged value
            report("", _("invalid YAML: %(message)s") % {"message": exc})
            return
        if data is None:
            return
        known = (*TOP_LEVEL_KEYS, *SECTIONS)
        if not isinstance(data, dict):
            report("", _("must be a mapping with any of the keys %(keys)s") % {"keys": ", ".join(known)})
            return
        for key in data:
            if key not in known:
                report(str(key), _("unknown top-level key (expected one of %(keys)s)") % {"keys": ", ".join(known)})
        if "calendar" in data:
            self._calendar(file, data["calendar"], report)
        for kind in ("certificate_types", "departments", "registers", "fields", "services", "bundles"):
            if kind in data:
                items = check_list(data[kind], kind, report, non_empty=False)
                for i, item in enumerate(items or []):
                    getattr(self, f"_{kind}")(file, f"{kind}[{i}]", item, report)
        for key in SECTIONS:
            if key in data:
                items = check_list(data[key], key, report, non_empty=False)
                self.sections.setdefault(key, []).extend((report, f"{key}[{i}]", item) for i, item in enumerate(items or []))

    def _calendar(self, file, value, report):
        if self.calendar_origin is not None:
            report("calendar", _("the calendar is already defined in %(origin)s") % {"origin": self.calendar_origin})
            return
        self.calendar_origin = file
        self.catalogue.calendar = check_calendar(value, "calendar", report)

    def _unique(self, kind: str, identity, file: str, path: str, report: Report, what: str) -> bool:
        if not isinstance(identity, str):
            return True
        origins = self.origins[kind]
        if identity in origins:
            report(path, _("duplicate %(what)s %(value)r (first defined at %(origin)s)") % {
                "what": what, "value": identity, "origin": origins[identity]})
            return False
        origins[identity] = f"{file}: {path}"
        return True

    def _certificate_types(self, file, path, item, report):
        spec = check_certificate_type(item, path, report)
        code = item.get("code") if isinstance(item, dict) else None
        if self._unique("certificate_types", code, file, join_path(path, "code"), report, _("certificate type")) and spec:
            self.catalogue.certificate_types.append(spec)

    def _departments(self, file, path, item, report):
        spec = check_department(item, path, report)
        code = item.get("code") if isinstance(item, dict) else None
        if self._unique("departments", code, file, join_path(path, "code"), report, _("department")) and spec:
            self.catalogue.departments.append(spec)
            self.catalogue.warnings += [
                Problem(file, join_path(path, gap.path), _incomplete(gap))
                for gap in office_gaps(address=spec.address, opening_hours=spec.opening_hours, phone=spec.phone)]

    def _registers(self, file, path, item, report):
        spec = check_register(item, path, report, position=self.register_count)
        self.register_count += 1
        code = item.get("code") if isinstance(item, dict) else None
        if self._unique("registers", code, file, join_path(path, "code"), report, _("register")) and spec:
            self.catalogue.registers.append(spec)

    def _fields(self, file, path, item, report):
        references = []
        spec = check_field(item, path, report, position=self.field_count, references=references)
        self.references.extend((report, *reference) for reference in references)
        self.field_count += 1
        key = item.get("key") if isinstance(item, dict) else None
        if self._unique("fields", key, file, join_path(path, "key"), report, _("field")) and spec:
            self.catalogue.fields.append(spec)
            if spec.register:
                self.bindings.append((report, spec.key, spec.register, join_path(path, "register")))
            self.field_places[spec.key] = (report, path)
            if "when" in item:
                self.field_conditions.append((report, join_path(path, "when"), spec.key, spec.when))

    def _services(self, file, path, item, report):
        references = []
        spec = check_service(item, path, report, position=self.service_count, references=references)
        guide = ({}, [])
        if isinstance(item, dict) and "guide" in item:
            guide = check_guide(item["guide"], join_path(path, "guide"), report, base_dir=Path(file).parent)
        if spec is not None and guide is not None:
            spec.guide, spec.guide_files = guide
            self.guides.append((file, path, spec))
        self.references.extend((report, *reference) for reference in references)
        self.service_count += 1
        slug = item.get("slug") if isinstance(item, dict) else None
        if self._unique("services", slug, file, join_path(path, "slug"), report, _("service")) and spec \
                and guide is not None:
            self.catalogue.services.append(spec)
            self.asking.append((report, path, {key for review in spec.reviews for key in review.fields}))
            self.forms.append((report, path, spec))
            if spec.certificate_type:
                self.issuing.append((report, join_path(path, "permit.certificate_type"), spec.certificate_type,
                                     [key for review in spec.reviews for key in review.fields]))

    def _bundles(self, file, path, item, report):
        spec = check_bundle(item, path, report, position=self.bundle_count)
        self.bundle_count += 1
        slug = item.get("slug") if isinstance(item, dict) else None
        if self._unique("bundles", slug, file, join_path(path, "slug"), report, _("bundle")) and spec:
            self.catalogue.bundles.append(spec)

    def check_references(self) -> None:
        check_references(self.references, departments=set(self.origins["departments"]), fields=set(self.origins["fields"]),
                         file_fields={f.key for f in self.catalogue.fields if f.kind == FieldKind.FILE},
                         certificate_types=set(self.origins["certificate_types"]))
        check_register_bindings(self.bindings, self.asking, registers=set(self.origins["registers"]),
                                key_formats={f.key: f.rules.get("format") for f in self.catalogue.fields},
                                defined=set(self.origins["fields"]))
        check_required_certificates(self.issuing, field_certificates={
            spec.key: spec.certificate for spec in self.catalogue.fields})
        check_bundle_members(self.catalogue.bundles, services=self.catalogue.services, fields=self.catalogue.fields)
        self.check_conditions()
        # Report in the order the files were given, then in the order found (sort is stable).
        order = {file: i for i, file in enumerate(self.files)}
        self.problems.sort(key=lambda p: order[p.file])


    def check_guides(self) -> None:
        """Every service guide not complete in a language, part by part, as warnings."""
        for file, path, spec in self.guides:
            self.catalogue.warnings += [Problem(file, join_path(path, gap.path), _incomplete(gap))
                                        for gap in guide_gaps(spec.guide, fee=spec.fee)]

    def check_sections(self) -> None:
        """The registered sections' entries, checked against the whole catalogue once it is read."""
        for key, entries in self.sections.items():
            self.catalogue.sections[key] = SECTIONS[key].check(entries, self.catalogue)
        order = {file: i for i, file in enumerate(self.files)}
        self.problems.sort(key=lambda p: order[p.file])

    def check_conditions(self) -> None:
        """Conditions against the dictionary (the files' fields, and those loaded before that they
        read or services ask), then each service's against its form."""
        fields_by_key = {spec.key: _as_schema_field(spec) for spec in self.catalogue.fields}
        invalid = set(self.origins["fields"]) - set(fields_by_key)  # their own problems are reported
        wanted = {key for _r, _p, _k, condition in self.field_conditions for key in _keys_in(condition)}
        for _r, _p, spec in self.forms:
            wanted |= {key for review in spec.reviews for key in [*review.fields, *_keys_in(review.when)]}
            wanted |= {key for section in spec.sections for key in _keys_in(section["when"])}
        # The services loaded before that the files do not describe but whose form asks a field the
        # files (re)define: a new condition, section or order of that field must suit them too.
        others = list(Service.objects.exclude(slug__in=[spec.slug for _r, _p, spec in self.forms])
                      .filter(requirements__fields__key__in=list(self.field_places)).distinct()
                      .order_by("position", "slug").prefetch_related(
                          Prefetch("requirements", queryset=Requirement.objects.order_by("stage", "position", "id")
                                   .prefetch_related("fields")), "filing_requirements__fields"))
        for service in others:
            wanted |= {f.key for requirement in service.requirements.all() for f in requirement.fields.all()}
        for _round in range(2):  # and the fields the conditions of those loaded before read
            for row in Field.objects.filter(key__in=wanted - set(fields_by_key) - invalid):
                fields_by_key[row.key] = schema_field(row)
                wanted |= set(_keys_in(row.when))
        check_field_conditions(self.field_conditions, fields_by_key, skip=invalid)
        for report, path, spec in self.forms:
            check_form_conditions(
                path=path, report=report, fields_by_key=fields_by_key, skip=invalid,
                reviews=[ReviewConditions(f"{path}.reviews[{review.position}]", review.fields, review.when)
                         for review in spec.reviews],
                sections=[SectionConditions(f"{path}.sections[{i}]", section["title"]["en"], section["when"])
                          for i, section in enumerate(spec.sections)],
                filed={key for filing in spec.filings for key in filing.fields})
            check_fee_fields(spec.fee_rule, f"{path}.fee", report, fields_by_key,
                             asked={key for review in spec.reviews for key in review.fields})
        for service in others:
            self._check_loaded_form(service, fields_by_key, invalid)

    def _check_loaded_form(self, service, fields_by_key: dict, invalid: set[str]) -> None:
        """A service loaded before, with the fields as the files define them: its problems are
        reported where the files define the first field of its form they (re)define."""
        reviews = [ReviewConditions(f"reviews[{i}]", [f.key for f in sorted(requirement.fields.all(),
                                                                           key=lambda f: (f.position, f.key))],
                                    requirement.when) for i, requirement in enumerate(service.requirements.all())]
        key = next(key for review in reviews for key in review.fields if key in self.field_places)
        report, path = self.field_places[key]
        check_form_conditions(
            path="", fields_by_key=fields_by_key, skip=invalid, reviews=reviews,
            report=lambda where, message: report(path, _("%(service)s, loaded before: %(path)s: %(message)s") % {
                "service": service.slug, "path": where.lstrip("."), "message": message}),
            sections=[SectionConditions(f"sections[{i}]", section["title"]["en"], section["when"])
                      for i, section in enumerate(service.sections or [])],
            filed={f.key for filing in service.filing_requirements.all() for f in filing.fields.all()})


def _incomplete(gap) -> str:
    return _("not yet published in %(language)s: %(what)s") % {"language": gap.language, "what": gap.what}


def _as_schema_field(spec: FieldSpec) -> dict:
    """A field of the files as a form schema has it, for the conditions that read it."""
    return {"key": spec.key, "kind": spec.kind, "label": spec.label, "section": spec.section,
            "position": spec.position, "when": spec.when, **spec.rules}


def _keys_in(condition) -> list:
    return [key for key in referenced_keys(condition) if isinstance(key, str)]


def catalogue_parse(*, paths: Sequence[str | Path]) -> Catalogue:
    """Read and check the files as one catalogue. Raises CatalogueInvalid listing every problem."""
    reader = _Reader()
    for path in paths:
        reader.read(Path(path))
    reader.check_references()
    reader.check_sections()
    reader.check_guides()
    if reader.problems:
        raise CatalogueInvalid(reader.problems)
    return reader.catalogue
