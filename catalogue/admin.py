"""Admin for the catalogue. Every save that can change a service's form publishes a new version
(catalogue.schema.service_publish does nothing when the form is unchanged), and text is checked
with the same rules as catalogue files, so what the admin saves can be dumped and loaded again."""

import json
from contextlib import contextmanager

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.second_factor import FreshSecondFactorAdminMixin
from audit.services import audit_record, client_ip
from core.read_only_admin import ReadOnlyAdmin
from departments.models import Department, Membership, StandardReason
from departments.staff_events import memberships_of, staff_change_events

from .calendar import DEFAULT_WORKDAYS, calendar_change
from .loading.checks import (
    check_calendar,
    check_department_calendar,
    check_field,
    check_form_questions,
    check_identity_asked,
    check_reminder_days,
    check_reviews_changes_of,
    check_sections,
    check_synonyms,
    check_translations,
)
from .loading.conditions import (
    ReviewConditions,
    SectionConditions,
    check_field_conditions,
    check_form_conditions,
    schema_field,
)
from .loading.fees import check_fee, check_fee_fields
from .loading.guides import check_guide
from .loading.schema import RULE_KEYS, WEEKDAYS
from .models import (
    CertificateType,
    DepartmentCalendar,
    Field,
    FieldKind,
    FilingRequirement,
    Holiday,
    IdentityDetail,
    Register,
    Requirement,
    Service,
    ServiceVersion,
    Weekday,
    WorkCalendar,
    WorkingWeekend,
    identity_in_order,
)
from .registers import REGISTERS
from .schema import service_publish


def publish(request, services, message_user) -> None:
    """Publish each service whose form changed and say which versions were published."""
    published = []
    for service in services:
        version = service_publish(service=service)
        if version is not None:
            published.append(str(version))
    if published:
        message_user(request, gettext("New versions published: %(versions)s") % {"versions": ", ".join(published)},
                     messages.SUCCESS)


def services_using_fields(field_ids) -> list[Service]:
    return list(Service.objects.filter(requirements__fields__in=field_ids).distinct().order_by("position", "slug"))


def services_asking_for(type_ids) -> list[Service]:
    """The services whose form a certificate of these types answers: their schemas name the type
    and the services issuing it."""
    return list(Service.objects.filter(requirements__fields__certificate_type__in=[t for t in type_ids if t])
                .distinct().order_by("position", "slug"))


def condition_problems(*, fields_by_key: dict, reviews: list[ReviewConditions], sections, filed) -> list[tuple[str, str]]:
    """What is wrong with the conditions of one service's form, as (path, reason): the loader's checks."""
    found = []
    valid_sections = [SectionConditions(f"sections[{i}]", section["title"]["en"], section["when"])
                      for i, section in enumerate(sections or [])
                      if isinstance(section, dict) and isinstance(section.get("title"), dict)
                      and isinstance(section["title"].get("en"), str) and "when" in section]
    check_form_conditions(path="", report=lambda path, message: found.append((path.lstrip("."), message)),
                          fields_by_key=fields_by_key, reviews=reviews, sections=valid_sections, filed=filed)
    return found


def stored_form_problems(service: Service, fields_by_key: dict) -> list[tuple[str, str]]:
    """The problems of a stored service's conditions, its fields read from ``fields_by_key`` (a
    field being edited as it would be saved)."""
    by_pk = {row.pk: row.key for row in Field.objects.filter(requirements__service=service)}
    reviews = [ReviewConditions(f"reviews[{i}]", [by_pk[pk] for pk in requirement.fields.values_list("pk", flat=True)],
                                requirement.when)
               for i, requirement in enumerate(service.requirements.order_by("stage", "position", "id"))]
    filed = set(Field.objects.filter(filing_requirements__service=service).values_list("key", flat=True))
    return condition_problems(fields_by_key=fields_by_key, reviews=reviews, sections=service.sections, filed=filed)


class TranslationsMixin:
    """Checks JSON text fields as catalogue files do: ``complete`` ones need every required
    language, the others English when given at all."""

    complete: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()

    def _check_translations(self):
        for name in (*self.complete, *self.optional):
            value = self.cleaned_data.get(name)
            if name not in self.cleaned_data:
                continue
            if name in self.optional and not value:
                self.cleaned_data[name] = {}  # the column is NOT NULL; an empty text is {}
                continue
            problems = []
            cleaned = check_translations(value, "", lambda _path, message, found=problems: found.append(message),
                                         complete=name in self.complete)
            for message in problems:
                self.add_error(name, message)
            if cleaned is not None:
                self.cleaned_data[name] = cleaned


class ServiceAdminForm(TranslationsMixin, forms.ModelForm):
    complete = ("name", "life_event", "permit_title")
    optional = ("description", "fee")

    class Meta:
        model = Service
        fields = ("slug", "name", "life_event", "description", "synonyms", "fee", "fee_rule", "permit_title",
                  "permit_valid_days", "reminder_days", "renewal_asks", "renew_grace_days", "amendable", "rectify_days",
                  "certificate_type", "sections", "guide", "position", "is_active")
        help_texts = {
            "fee": _("The fee in words, per language, as the service guide shows it."),
            "fee_rule": _('What the portal charges, as under fee: in catalogue files without its text: {"currency": '
                          '"CNY", "items": [{"label": {"en": "Application fee", "zh-hans": "申请费"}, "amount": "200.00"}, '
                          '{"label": {...}, "per": "seating_capacity", "over": 20, "amount": "5.00"}], "exemptions": '
                          '[{"when": {...}, "reason": {...}}], "payment": "before_review", "refund": {"rejected": 0}}. '
                          'Empty: nothing to pay.'),
            "reminder_days": _("Calendar days before the permit ends that its holder is reminded, as in catalogue "
                               "files: [90, 30, 7]. Empty list: no reminders."),
            "renewal_asks": _('Questions asked again when the permit is renewed, as in catalogue files: '
                              '["seating_capacity"]. Every other answer is carried from the permit.'),
            "amendable": _('Questions whose answer the holder may change on a valid permit, as in catalogue files: '
                           '["business_name", "site_address"]. The reviews say which departments review a change.'),
            "guide": _("The service guide, as under guide: in catalogue files. A template must be a file already "
                       "loaded with the catalogue."),
            "sections": _('Pages of the form asked only under a condition, as in catalogue files: [{"title": {"en": '
                          '"Shop sign"}, "when": {"plans_sign": true}}]. The title is the English section of the fields.'),
        }

    def clean(self):
        cleaned_data = super().clean()
        self._check_translations()
        if "sections" in cleaned_data:
            # Their shape here; what they read, with the reviews (RequirementFormSet).
            problems = []
            sections = check_sections(cleaned_data["sections"] or [], "sections",
                                      lambda path, message: problems.append(f"{path}: {message}"))
            for message in problems:
                self.add_error("sections", message)
            if sections is not None:
                cleaned_data["sections"] = sections
        if "guide" in cleaned_data:
            problems = []
            stored = frozenset(self.instance.guide_files.values_list("name", flat=True)) if self.instance.pk else frozenset()
            checked = check_guide(cleaned_data["guide"] or {}, "", lambda path, message: problems.append(
                f"{path}: {message}" if path else message), base_dir=None, stored=stored)
            for message in problems:
                self.add_error("guide", message)
            if checked is not None:
                cleaned_data["guide"] = checked[0]
        if cleaned_data.get("fee_rule"):
            self._check_fee_rule(cleaned_data)
        elif "fee_rule" in cleaned_data:
            cleaned_data["fee_rule"] = {}  # the column is NOT NULL: no rule is {}
        if "synonyms" in cleaned_data:
            # Checked as in catalogue files; the column is NOT NULL, so no synonyms is {}.
            problems = []
            synonyms = check_synonyms(cleaned_data["synonyms"] or {}, "",
                                      lambda path, message: problems.append(f"{path}: {message}" if path else message))
            for message in problems:
                self.add_error("synonyms", message)
            if synonyms is not None:
                cleaned_data["synonyms"] = synonyms
        if "reminder_days" in cleaned_data:
            problems = []
            days = check_reminder_days(cleaned_data["reminder_days"] or [], "",
                                       lambda path, message: problems.append(f"{path}: {message}" if path else message))
            valid_days = cleaned_data.get("permit_valid_days")
            if days and valid_days and days[0] >= valid_days:
                problems.append(gettext("Each reminder must come after the permit is issued: fewer days than its "
                                        "validity (%(valid)d).") % {"valid": valid_days})
            for message in problems:
                self.add_error("reminder_days", message)
            if days is not None and not problems:
                cleaned_data["reminder_days"] = days
        for name in ("renewal_asks", "amendable"):
            if name in cleaned_data:
                self._check_questions(cleaned_data, name)
        return cleaned_data

    def _check_questions(self, cleaned_data, name: str) -> None:
        """A list of the service's questions (asked again at renewal, amendable), as the loader checks it."""
        problems = []
        keys = cleaned_data[name] or []
        asked = set(Field.objects.filter(requirements__service_id=self.instance.pk).values_list("key", flat=True))
        if not isinstance(keys, list):
            problems.append(gettext("Give a list of field keys."))
        else:
            check_form_questions(keys, asked, "", lambda path, message: problems.append(
                f"{path}: {message}" if path else message))
        for message in problems:
            self.add_error(name, message)
        if not problems:
            cleaned_data[name] = keys


    def _check_fee_rule(self, cleaned_data) -> None:
        """As catalogue files are checked: the rule's shape, then the fields it reads against the
        service's stored form."""
        problems = []

        def report(path, message):
            problems.append(f"{path.lstrip('.')}: {message}" if path.strip(".") else message)

        value = cleaned_data["fee_rule"]
        checked = check_fee({k: v for k, v in value.items() if k != "text"}, "", report) if isinstance(value, dict) \
            else check_fee({"currency": None}, "", report)
        if checked is not None:
            rule = checked[1]
            fields = Field.objects.filter(requirements__service=self.instance).distinct() if self.instance.pk else []
            check_fee_fields(rule, "", report, {row.key: schema_field(row) for row in fields},
                             asked={row.key for row in fields})
            cleaned_data["fee_rule"] = rule
        for message in problems:
            self.add_error("fee_rule", message)


class FieldAdminForm(forms.ModelForm):
    class Meta:
        model = Field
        fields = ("key", "kind", "label", "help", "section", "required", "rules", "certificate_type", "when", "position")
        help_texts = {
            "when": _('Asked only when this holds over answers of earlier pages, as in catalogue files: '
                      '{"seating_capacity": {"gt": 50}}, {"any": [...]}, {"not": ...}, {"cuisine": {"in": ["chinese"]}}, '
                      '{"contact_phone": {"is_set": true}}. Empty: always asked.'),
            "rules": _('By kind, as in catalogue files: {"max_length": 120} for text; {"min": 1, "max": 10} for numbers; '
                       '{"min": "today", "max": "today+365d"} or {"min": "2026-01-01"} for dates; '
                       '{"choices": [{"value": "a", "label": {"en": "A", "zh-hans": "甲"}}]}; '
                       '{"accept": ["application/pdf"], "max_size_mb": 10} for files.'),
        }

    def clean(self):
        cleaned_data = super().clean()
        if any(name in self.errors for name in ("key", "kind", "label", "help", "section", "rules", "when")):
            return cleaned_data
        rules = cleaned_data.get("rules") or {}
        if not isinstance(rules, dict):
            self.add_error("rules", gettext("must be a mapping of rule names to values"))
            return cleaned_data
        entry = {name: cleaned_data.get(name) for name in ("key", "kind", "label", "required")}
        entry.update({name: cleaned_data[name] for name in ("help", "section") if cleaned_data.get(name)})
        unknown = [key for key in rules if key not in RULE_KEYS]
        if unknown:
            self.add_error("rules", gettext("unknown rule %(keys)s (expected one of %(rules)s)") % {
                "keys": ", ".join(map(str, unknown)), "rules": ", ".join(RULE_KEYS)})
            return cleaned_data
        entry.update(rules)
        if cleaned_data.get("certificate_type"):
            entry["certificate"] = cleaned_data["certificate_type"].code
        problems = []
        spec = check_field(entry, "", lambda path, message: problems.append((path, message)))
        for path, message in problems:
            name = path.split(".")[0].split("[")[0]
            if name == "certificate":
                self.add_error("certificate_type", message)
            elif name in RULE_KEYS:
                self.add_error("rules", f"{path}: {message}")
            elif name in self.fields:
                self.add_error(name, message)
            else:
                self.add_error(None, f"{path}: {message}")
        if spec is not None:
            cleaned_data.update(label=spec.label, help=spec.help, section=spec.section, rules=spec.rules)
            self._check_conditions(cleaned_data, spec)
        return cleaned_data

    def _check_conditions(self, cleaned_data, spec):
        """The field's condition against the dictionary, and every service asking it against its
        pages, with the field as it would be saved."""
        cleaned_data["when"] = when = cleaned_data.get("when") or {}
        rows = list(Field.objects.exclude(pk=self.instance.pk))
        fields_by_key = {row.key: schema_field(row) for row in rows}
        fields_by_key[spec.key] = {"key": spec.key, "kind": spec.kind, "label": spec.label, "section": spec.section,
                                   "position": cleaned_data.get("position") or 0, "when": when, **spec.rules}
        report = lambda path, message: self.add_error("when", f"{path}: {message}")  # noqa: E731
        check_field_conditions([(report, f"{key}.when", key, field["when"]) for key, field in fields_by_key.items()
                                if field["when"]], fields_by_key)
        if self.instance.pk and not self.errors.get("when"):
            for service in services_using_fields([self.instance.pk]):
                for path, message in stored_form_problems(service, fields_by_key):
                    self.add_error("when", f"{service.slug}: {path}: {message}")


def identity_field(help_text) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(label=_("applicant's identity shown"), choices=IdentityDetail.choices,
                                     required=False, widget=forms.CheckboxSelectMultiple, help_text=help_text)


class IdentityFormMixin:
    """The details of the applicant's identity a review or a filing lists, stored in order."""

    def clean_identity(self):
        return identity_in_order(self.cleaned_data["identity"])


class RequirementForm(IdentityFormMixin, forms.ModelForm):
    identity = identity_field(_("What the department sees of the applicant, besides the fields it reviews; a phone or "
                                "an identity document number only where the form asks for contact_phone or id_number."))

    class Meta:
        model = Requirement
        fields = ("department", "stage", "sla_days", "fields", "identity", "when", "not_needed", "told_of_cancellation",
                  "reviews_renewals", "reviews_changes_of", "position")
        help_texts = {
            "when": _('The department reviews only when this holds over the answers, as in catalogue files: '
                      '{"any": [{"seating_capacity": {"gt": 50}}, {"uses_gas": true}]}. Empty: always.'),
            "not_needed": _('Why the review is not needed when its condition does not hold, in every language: '
                            '{"en": "...", "zh-hans": "..."}. Empty: the condition in words.'),
            "reviews_changes_of": _('The amendable questions among its fields a change of which the department reviews, '
                                    'as in catalogue files: ["site_address"]. Empty: it reviews no amendment.'),
        }

    def clean(self):
        cleaned_data = super().clean()
        cleaned_data["when"] = cleaned_data.get("when") or {}
        if not_needed := cleaned_data.get("not_needed"):
            problems = []
            if not cleaned_data["when"]:
                problems.append(gettext("says why the review is not needed when its condition does not hold: give the "
                                        "condition (when) too"))
            cleaned = check_translations(not_needed, "", lambda _path, message: problems.append(message))
            for message in problems:
                self.add_error("not_needed", message)
            if not problems:
                cleaned_data["not_needed"] = cleaned
        elif "not_needed" in cleaned_data:
            cleaned_data["not_needed"] = {}
        return cleaned_data


class RequirementFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if not kept:
            raise ValidationError(gettext("A service needs at least one department review."))
        stages = sorted({f.cleaned_data["stage"] for f in kept})
        if stages != list(range(1, len(stages) + 1)):
            raise ValidationError(gettext("Stages must start at 1 and have no gaps, found %(stages)s.") % {
                "stages": ", ".join(map(str, stages))})
        asked = {field.key for form in kept for field in form.cleaned_data.get("fields") or []}
        # The service form's values are on the instance by now (the admin validates it first).
        issued = self.instance.certificate_type_id
        if issued and (requiring := sorted(field.key for form in kept for field in form.cleaned_data.get("fields") or []
                                           if field.certificate_type_id == issued)):
            raise ValidationError(gettext(
                "The service issues %(type)s and its form asks for a certificate of that type (%(fields)s): a service "
                "cannot require the certificate it issues.") % {"type": self.instance.certificate_type.code,
                                                                 "fields": ", ".join(dict.fromkeys(requiring))})
        for form in kept:
            if not form.cleaned_data.get("fields"):
                form.add_error("fields", gettext("Choose at least one field."))
            check_identity_asked(form.cleaned_data.get("identity") or [], asked, "",
                                 lambda _path, message, form=form: form.add_error("identity", message))
            changes_of = form.cleaned_data.get("reviews_changes_of") or []
            if not isinstance(changes_of, list):
                form.add_error("reviews_changes_of", gettext("Give a list of field keys."))
            else:
                check_reviews_changes_of(changes_of, [f.key for f in form.cleaned_data.get("fields") or []],
                                         list(self.instance.amendable or []), "", lambda path, message, form=form:
                                         form.add_error("reviews_changes_of", f"{path}: {message}" if path else message))
        if not any(self.errors):
            self._check_conditions(kept)

    def _check_conditions(self, kept):
        """The reviews' conditions, the service's sections' and its fields' own, as the loader checks them."""
        fields_by_key = {row.key: schema_field(row) for row in Field.objects.all()}
        filed_ids = [i for _department, ids in posted_rows(self.data, FilingRequirement) for i in ids if str(i).isdigit()]
        problems = condition_problems(
            fields_by_key=fields_by_key,
            reviews=[ReviewConditions(f"reviews[{i}]", [f.key for f in form.cleaned_data["fields"]],
                                      form.cleaned_data.get("when") or {}) for i, form in enumerate(kept)],
            sections=self.instance.sections,
            filed=set(Field.objects.filter(pk__in=filed_ids).values_list("key", flat=True)))
        errors = []
        for path, message in problems:
            index = path[len("reviews["):].split("]")[0] if path.startswith("reviews[") else ""
            if index.isdigit():
                name = "fields" if ".fields[" in path else "when"
                kept[int(index)].add_error(name, f"{path.split('.', 1)[1]}: {message}")
            else:
                errors.append(f"{path}: {message}")
        if errors:
            raise ValidationError(errors)


class RequirementInline(admin.StackedInline):
    model = Requirement
    form = RequirementForm
    formset = RequirementFormSet
    extra = 0
    fields = ("department", "stage", "sla_days", "fields", "identity", "when", "not_needed", "told_of_cancellation",
              "reviews_renewals", "reviews_changes_of", "position")
    filter_horizontal = ("fields",)


class FilingRequirementForm(IdentityFormMixin, forms.ModelForm):
    identity = identity_field(_("What the department is told of the applicant when an application is approved; a "
                                "phone or an identity document number only where the form asks for contact_phone or "
                                "id_number."))

    class Meta:
        model = FilingRequirement
        fields = ("department", "fields", "identity", "position")
        help_texts = {"fields": _("Answers of the service's form the department is told of (never files).")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fields"].queryset = Field.objects.exclude(kind=FieldKind.FILE)


def posted_reviews(data) -> list[tuple[str, list[str]]]:
    """The department reviews the service's page posts, as (department id, field ids) for the rows
    kept: the filings are checked against them, which the reviews' own inline holds."""
    return posted_rows(data, Requirement)


def posted_rows(data, model) -> list[tuple[str, list[str]]]:
    """The rows of one department each (reviews, filings) the service's page posts, as
    (department id, field ids) for the rows kept: each inline is checked against the other's."""
    prefix = model._meta.get_field("service").remote_field.get_accessor_name()
    try:
        total = int(data.get(f"{prefix}-TOTAL_FORMS", 0))
    except (TypeError, ValueError):
        return []
    return [(data.get(f"{prefix}-{i}-department", ""), data.getlist(f"{prefix}-{i}-fields"))
            for i in range(min(total, 1000)) if not data.get(f"{prefix}-{i}-DELETE")
            and data.get(f"{prefix}-{i}-department")]


class FilingRequirementFormSet(forms.BaseInlineFormSet):
    """As in catalogue files: a department is told once, never one that reviews the service, and
    only of answers the service's form asks for."""

    def clean(self):
        super().clean()
        if any(self.errors) or not self.is_bound:
            return
        reviews = posted_reviews(self.data)
        reviewing = {department for department, _fields in reviews}
        asked_ids = {field_id for _department, fields in reviews for field_id in fields}
        asked = set(Field.objects.filter(pk__in=[i for i in asked_ids if str(i).isdigit()]).values_list("key", flat=True))
        told = set()
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE") or not data.get("department"):
                continue
            department = data["department"]
            if str(department.pk) in reviewing:
                form.add_error("department", gettext("%(name)s reviews this service: a department that reviews is not "
                                                     "also told by filing.") % {"name": department.display_name})
            elif department.pk in told:
                form.add_error("department", gettext("%(name)s is already told of this service's approvals.") % {
                    "name": department.display_name})
            told.add(department.pk)
            if stray := sorted(f.key for f in data.get("fields") or [] if f.key not in asked):
                form.add_error("fields", gettext("Not in the service's form: %(keys)s. List them in a review's fields "
                                                 "first.") % {"keys": ", ".join(stray)})
            check_identity_asked(data.get("identity") or [], asked, "",
                                 lambda _path, message, form=form: form.add_error("identity", message))


class FilingRequirementInline(admin.StackedInline):
    model = FilingRequirement
    form = FilingRequirementForm
    formset = FilingRequirementFormSet
    extra = 0
    fields = ("department", "fields", "identity", "position")
    filter_horizontal = ("fields",)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    form = ServiceAdminForm
    inlines = [RequirementInline, FilingRequirementInline]
    list_display = ("slug", "display_name", "current_version", "is_active", "position")
    list_filter = ("is_active",)
    search_fields = ("slug", "name")
    readonly_fields = ("current_version",)
    fields = ("slug", "name", "life_event", "description", "synonyms", "fee", "fee_rule", "permit_title", "permit_valid_days",
              "reminder_days", "renewal_asks", "renew_grace_days", "amendable", "rectify_days", "certificate_type", "sections",
              "guide", "position", "is_active", "current_version")

    @admin.display(description=_("name"))
    def display_name(self, obj):
        return obj.display_name

    def save_model(self, request, obj, form, change):
        # The type the permit was before: services asking for it no longer name this one as its issuer.
        obj._issued_before = form.initial.get("certificate_type") if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        # Requirements and their fields are saved here, after the service itself: only now is
        # the whole form known.
        super().save_related(request, form, formsets, change)
        services = [form.instance]
        if "certificate_type" in form.changed_data:
            services += [s for s in services_asking_for([getattr(form.instance, "_issued_before", None),
                                                         form.instance.certificate_type_id]) if s.pk != form.instance.pk]
        publish(request, services, self.message_user)


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    form = FieldAdminForm
    list_display = ("key", "display_label", "kind", "required", "position")
    list_filter = ("kind", "required")
    search_fields = ("key", "label")

    @admin.display(description=_("label"))
    def display_label(self, obj):
        return obj.display_label

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        publish(request, services_using_fields([form.instance.pk]), self.message_user)

    def delete_model(self, request, obj):
        services = services_using_fields([obj.pk])
        super().delete_model(request, obj)
        publish(request, services, self.message_user)

    def delete_queryset(self, request, queryset):
        services = services_using_fields(list(queryset.values_list("pk", flat=True)))
        super().delete_queryset(request, queryset)
        publish(request, services, self.message_user)


class RegisterAdminForm(TranslationsMixin, forms.ModelForm):
    complete = ("name",)

    class Meta:
        model = Register
        fields = ("code", "name", "consent_required", "position")

    def clean_code(self):
        code = self.cleaned_data["code"]
        if code not in REGISTERS:
            raise ValidationError(gettext("unknown register %(value)r (the register interface knows %(codes)s)") % {
                "value": code, "codes": ", ".join(REGISTERS)})
        return code

    def clean(self):
        cleaned_data = super().clean()
        self._check_translations()
        return cleaned_data


class CertificateTypeAdminForm(TranslationsMixin, forms.ModelForm):
    complete = ("name",)

    class Meta:
        model = CertificateType
        fields = ("code", "name")

    def clean(self):
        cleaned_data = super().clean()
        self._check_translations()
        return cleaned_data


@admin.register(CertificateType)
class CertificateTypeAdmin(admin.ModelAdmin):
    """The kinds of certificate a document question can be answered by; the forms asking for one
    name it, so a new name publishes their services again."""

    form = CertificateTypeAdminForm
    list_display = ("code", "display_name")
    search_fields = ("code", "name")

    @admin.display(description=_("name"))
    def display_name(self, obj):
        return obj.display_name

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        publish(request, services_asking_for([form.instance.pk]), self.message_user)


@admin.register(Register)
class RegisterAdmin(admin.ModelAdmin):
    """A register's name and whether the citizen must agree first are frozen into the versions of
    the services that take answers from it: a change publishes them again. Fields name a register
    by its code, so it is neither renamed nor deleted here."""

    form = RegisterAdminForm
    list_display = ("code", "display_name", "consent_required", "position")

    @admin.display(description=_("name"))
    def display_name(self, obj):
        return obj.display_name

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        bound = Field.objects.filter(register__register=obj.code).values_list("pk", flat=True)
        publish(request, services_using_fields(list(bound)), self.message_user)


@admin.register(ServiceVersion)
class ServiceVersionAdmin(ReadOnlyAdmin):
    """Versions are immutable: applications keep the version they were started on."""

    list_display = ("service", "number", "created_at")
    list_filter = ("service",)
    fields = ("service", "number", "created_at", "schema_display")
    readonly_fields = fields

    @admin.display(description=_("schema"))
    def schema_display(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.schema, indent=2, ensure_ascii=False))


class WorkCalendarForm(forms.ModelForm):
    workdays = forms.TypedMultipleChoiceField(
        label=_("working weekdays"), choices=Weekday.choices, coerce=int, widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WorkCalendar
        fields = ("workdays",)

    def clean_workdays(self):
        return sorted(self.cleaned_data["workdays"])


class CalendarChangeAdmin(admin.ModelAdmin):
    """Every save and delete of a calendar row raises the calendars' revision in its transaction
    (catalogue.calendar.calendar_change), so every process counts with it at once."""

    def save_model(self, request, obj, form, change):
        with calendar_change():
            super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        with calendar_change():
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with calendar_change():
            super().delete_queryset(request, queryset)


@admin.register(WorkCalendar)
class WorkCalendarAdmin(CalendarChangeAdmin):
    form = WorkCalendarForm
    readonly_fields = ("revision",)

    def has_add_permission(self, request):
        # One working week for the whole catalogue.
        return super().has_add_permission(request) and not WorkCalendar.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


def _check_calendar_dates(form, entry: dict, checker):
    """Check what a calendar form holds with the catalogue files' check (``checker``); each
    problem is shown on the form. Returns the checked data, or None."""
    problems = []
    spec = checker(entry, "", lambda path, message: problems.append(message))
    for message in problems:
        form.add_error(None, message)
    return spec


def _catalogue_workdays() -> list[int]:
    row = WorkCalendar.objects.order_by("pk").first()
    return sorted(row.workdays) if row and row.workdays else list(DEFAULT_WORKDAYS)


class CalendarDayForm(forms.ModelForm):
    """A holiday or a make-up working day, checked against the other kind as files are checked."""

    class Meta:
        fields = ("date",)

    def clean(self):
        cleaned_data = super().clean()
        if day := cleaned_data.get("date"):
            holiday = self._meta.model is Holiday
            holidays = [day] if holiday else list(Holiday.objects.filter(date=day).values_list("date", flat=True))
            working = list(WorkingWeekend.objects.filter(date=day).values_list("date", flat=True)) if holiday else [day]
            _check_calendar_dates(self, {"workdays": [WEEKDAYS[d] for d in _catalogue_workdays()],
                                         "holidays": holidays, "working_weekends": working}, check_calendar)
        return cleaned_data


class CalendarDayAdmin(CalendarChangeAdmin):
    list_display = ("date", "weekday")
    date_hierarchy = "date"

    def get_form(self, request, obj=None, change=False, **kwargs):
        return super().get_form(request, obj, change=change, form=CalendarDayForm, **kwargs)

    @admin.display(description=_("weekday"))
    def weekday(self, obj):
        return Weekday(obj.date.weekday()).label


@admin.register(Holiday)
class HolidayAdmin(CalendarDayAdmin):
    pass


@admin.register(WorkingWeekend)
class WorkingWeekendAdmin(CalendarDayAdmin):
    """Make-up working days (调休): a weekend day worked in exchange for a holiday."""


class DatesField(forms.CharField):
    """Dates written one a line (YYYY-MM-DD), kept as ISO text."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class DepartmentCalendarForm(forms.ModelForm):
    workdays = forms.TypedMultipleChoiceField(
        label=_("own working weekdays"), choices=Weekday.choices, coerce=int, widget=forms.CheckboxSelectMultiple,
        required=False, help_text=_("None ticked: the catalogue's working week."),
    )
    holidays = DatesField(label=_("extra closure days"), required=False, help_text=_("One date a line, YYYY-MM-DD."))
    working_days = DatesField(label=_("extra working days"), required=False,
                              help_text=_("One date a line, YYYY-MM-DD."))

    class Meta:
        model = DepartmentCalendar
        fields = ("department", "workdays", "holidays", "working_days")

    def clean(self):
        cleaned_data = super().clean()
        entry = {key: cleaned_data.get(key) or [] for key in ("holidays", "working_days")}
        if workdays := cleaned_data.get("workdays"):
            entry["workdays"] = [WEEKDAYS[d] for d in workdays]
        spec = _check_calendar_dates(self, entry, check_department_calendar)
        if spec is not None:
            cleaned_data.update(workdays=spec.workdays, holidays=[d.isoformat() for d in spec.holidays],
                                working_days=[d.isoformat() for d in spec.working_days])
        return cleaned_data


@admin.register(DepartmentCalendar)
class DepartmentCalendarAdmin(CalendarChangeAdmin):
    """Where a department's working days differ from the catalogue's."""

    form = DepartmentCalendarForm
    list_display = ("department", "workdays", "holidays", "working_days")
    autocomplete_fields = ("department",)


# --- Departments: the catalogue names them, and a change republishes the services they review -----------


class DepartmentAdminForm(TranslationsMixin, forms.ModelForm):
    complete = ("name",)
    optional = ("address", "opening_hours")

    class Meta:
        model = Department
        fields = ("code", "name", "email", "is_supervising_office", "address", "opening_hours", "phone",
                  "advice_days")

    def clean(self):
        cleaned_data = super().clean()
        self._check_translations()
        return cleaned_data


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("user", "role")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Whose membership it is stays fixed: rights given through it (an application shared
            # with the department) go with it when it is deleted, never to another person.
            self.fields["user"].disabled = True


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipForm
    extra = 0
    fields = ("user", "role")
    raw_id_fields = ("user",)


@admin.register(Department)
class DepartmentAdmin(FreshSecondFactorAdminMixin, admin.ModelAdmin):
    """Its memberships (who is an officer or a supervisor where) ask for a fresh second factor."""

    form = DepartmentAdminForm
    inlines = [MembershipInline]
    list_display = ("code", "display_name", "email", "is_supervising_office")
    search_fields = ("code", "name", "email")

    @admin.display(description=_("name"))
    def display_name(self, obj):
        return obj.display_name

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # A service's published form names its reviewing departments and those told by filing.
        services = Service.objects.filter(Q(requirements__department=form.instance)
                                          | Q(filing_requirements__department=form.instance)).distinct().order_by(
            "position", "slug")
        publish(request, services, self.message_user)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        # Everyone who is a member now or is named in the inline: each change is audited.
        members = set(Membership.objects.filter(department=form.instance).values_list("user_id", flat=True))
        members |= {f.cleaned_data["user"].pk for f in formset.forms if f.cleaned_data.get("user")}
        with self._memberships_audited(request, members, form.instance.code):
            return super().save_formset(request, form, formset, change)

    def delete_model(self, request, obj):
        with self._memberships_audited(request, set(obj.memberships.values_list("user_id", flat=True)), obj.code):
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        members = set(Membership.objects.filter(department__in=queryset).values_list("user_id", flat=True))
        with self._memberships_audited(request, members, ""):
            super().delete_queryset(request, queryset)

    @contextmanager
    def _memberships_audited(self, request, user_ids, department_code):
        before = memberships_of(user_ids)
        yield
        people = list(get_user_model().objects.filter(pk__in=user_ids).order_by("pk"))
        audit_record(*staff_change_events(people, {}, before, actor=request.user, ip=client_ip(request),
                                          department_code=department_code))


class StandardReasonAdminForm(TranslationsMixin, forms.ModelForm):
    complete = ("text",)

    class Meta:
        model = StandardReason
        fields = ("department", "text", "position", "active")

    def clean(self):
        cleaned_data = super().clean()
        self._check_translations()
        return cleaned_data


@admin.register(StandardReason)
class StandardReasonAdmin(admin.ModelAdmin):
    form = StandardReasonAdminForm
    list_display = ("department", "display_text", "position", "active")
    list_filter = ("department", "active")
    ordering = ("department__code", "position")

    @admin.display(description=_("text"))
    def display_text(self, obj):
        return obj.display_text
